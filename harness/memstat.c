/* memstat.c - how many bytes the process has allocated, from jemalloc. */
#include "memstat.h"

#include <dlfcn.h>
#include <stddef.h>

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

int64_t memstat_allocated(void) {
  /* Looked up at run time so that sanitizer builds, which have no
   * jemalloc, still link. */
  static mallctl_fn mallctl_address;
  static int looked_up;
  if (!looked_up) {
    mallctl_address = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    looked_up = 1;
  }
  if (mallctl_address == NULL)
    return -1;
  mallctl_address("thread.tcache.flush", NULL, NULL, NULL, 0);
  uint64_t epoch = 1;
  size_t epoch_size = sizeof epoch;
  mallctl_address("epoch", &epoch, &epoch_size, &epoch, epoch_size);
  size_t allocated = 0;
  size_t allocated_size = sizeof allocated;
  if (mallctl_address("stats.allocated", &allocated, &allocated_size, NULL,
                      0) != 0)
    return -1;
  return (int64_t)allocated;
}
