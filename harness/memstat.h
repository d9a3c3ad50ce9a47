/* memstat.h - how many bytes the process has allocated, from jemalloc. */
#ifndef SDKATA_MEMSTAT_H
#define SDKATA_MEMSTAT_H

#include <stdint.h>

/* Bytes currently allocated through jemalloc by the whole process, after
 * flushing this thread's cache so that the count is exact. Returns -1 when
 * jemalloc is not the allocator (sanitizer builds): callers then skip
 * byte-exact checks. */
int64_t memstat_allocated(void);

#endif /* SDKATA_MEMSTAT_H */
