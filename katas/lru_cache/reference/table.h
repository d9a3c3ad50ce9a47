/* table.h - the hash table of the reference caches: chained through the
 * entries themselves, doubled when as full as it has buckets, halved when
 * an eighth full, with a cursor for the expiry sweep. */
#ifndef LC_TABLE_H
#define LC_TABLE_H

/* Chaining rather than open addressing because the entries are separate
 * blocks anyway: the chain link costs 8 bytes inside the entry, a bucket
 * 8 to 16 bytes per entry, and removal is exact (no tombstones). Resizing
 * rehashes everything at once; its cost, a pass over the entries each time
 * the count doubles or falls to an eighth, is constant per operation on
 * average. Indices come from the low 32 bits of the hash, kept in the
 * entry, so a resize never reads a key. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "entry.h"

#define LC_TABLE_MIN 16           /* buckets; a power of two */
#define LC_TABLE_MAX (1ULL << 32) /* buckets the 32-bit hashes can index */

typedef struct lc_table {
  lc_entry_t **buckets;
  uint64_t mask;   /* buckets - 1 */
  uint64_t count;  /* entries */
  uint64_t cursor; /* the bucket the next sweep starts at */
} lc_table_t;

/* Sets up an empty table. Returns 0 or -ENOMEM. */
static inline int lc_table_init(lc_table_t *t) {
  t->buckets = calloc(LC_TABLE_MIN, sizeof *t->buckets);
  if (t->buckets == NULL)
    return -ENOMEM;
  t->mask = LC_TABLE_MIN - 1;
  t->count = 0;
  t->cursor = 0;
  return 0;
}

/* Frees every entry and the buckets. */
static inline void lc_table_fini(lc_table_t *t) {
  for (uint64_t i = 0; i <= t->mask; i++) {
    lc_entry_t *e = t->buckets[i];
    while (e != NULL) {
      lc_entry_t *chain = e->chain;
      free(e);
      e = chain;
    }
  }
  free(t->buckets);
}

/* Moves every entry into a table of size buckets. On -ENOMEM the table
 * stays as it was: still correct, only more or less full than wanted. */
static inline int lc_table_resize(lc_table_t *t, uint64_t size) {
  lc_entry_t **buckets = calloc(size, sizeof *buckets);
  if (buckets == NULL)
    return -ENOMEM;
  for (uint64_t i = 0; i <= t->mask; i++) {
    lc_entry_t *e = t->buckets[i];
    while (e != NULL) {
      lc_entry_t *chain = e->chain;
      lc_entry_t **bucket = &buckets[e->hash & (size - 1)];
      e->chain = *bucket;
      *bucket = e;
      e = chain;
    }
  }
  free(t->buckets);
  t->buckets = buckets;
  t->mask = size - 1;
  t->cursor = 0;
  return 0;
}

/* The entry holding key (hash = lc_hash of it), or NULL. */
static inline lc_entry_t *lc_table_find(const lc_table_t *t, uint64_t hash,
                                        const void *key, size_t key_len) {
  lc_entry_t *e = t->buckets[hash & t->mask];
  while (e != NULL && !lc_entry_is(e, hash, key, key_len))
    e = e->chain;
  return e;
}

/* Adds e, whose key is not in the table yet. */
static inline void lc_table_insert(lc_table_t *t, lc_entry_t *e) {
  if (t->count > t->mask && t->mask + 1 < LC_TABLE_MAX)
    lc_table_resize(t, (t->mask + 1) * 2);
  lc_entry_t **bucket = &t->buckets[e->hash & t->mask];
  e->chain = *bucket;
  *bucket = e;
  t->count++;
}

/* Takes e, which is in the table, out of it; e stays the caller's. */
static inline void lc_table_remove(lc_table_t *t, lc_entry_t *e) {
  lc_entry_t **link = &t->buckets[e->hash & t->mask];
  while (*link != e)
    link = &(*link)->chain;
  *link = e->chain;
  t->count--;
}

/* Halves the table while it is at most an eighth full, so that a cache
 * emptied by deletes and expiry gives its buckets back. Called where
 * entries go away for good, never in the middle of a sweep. */
static inline void lc_table_shrink(lc_table_t *t) {
  uint64_t size = t->mask + 1;
  if (size <= LC_TABLE_MIN || t->count * 8 > size)
    return;
  while (size > LC_TABLE_MIN && t->count * 4 < size)
    size /= 2;
  lc_table_resize(t, size);
}

#endif /* LC_TABLE_H */
