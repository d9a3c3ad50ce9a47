/* solution.c - your cache. It compiles as it is, and every stage reports
 * "not attempted" until lc_create says yes to a policy. The contract is
 * lru_cache.h; the rules and hints are in README.md. */
#include <errno.h>
#include <stdlib.h>

#include "lru_cache.h"

/* Where to start: stage 1, exact LRU (README, "Stage 1"). Make lc_create
 * accept LC_POLICY_LRU, run `make kata=lru_cache check stage=1`, and go on
 * stage by stage. Keep answering LC_ENOTIMPL for LC_POLICY_OWN until you
 * reach stage 6.
 *
 * What a cache holds: a hash table from key to entry, and the entries in
 * a doubly linked list ordered by last use, so that a get, a put and an
 * eviction each touch a fixed number of entries (stage 2 times that).
 *
 * Traps, each of which a stage checks:
 * - Keys and values are bytes, not strings: they may hold NUL bytes and may
 *   be empty. Never strlen them; compare key_len and the bytes (memcmp).
 * - An empty value and the value "0" are values: a hit is *found, never a
 *   test on the value's bytes or length.
 * - The caller reuses its buffers as soon as a call returns: copy the key
 *   and the value into memory you own.
 * - A get refreshes recency; so does a put on an existing key, which also
 *   replaces the value (of any length) and the TTL.
 * - An entry whose deadline is <= now_ns is gone, exactly at the deadline.
 * - Stage 5 calls you from many threads at once: until then you may ignore
 *   threads. */

/* Yours to fill: what one cache holds. */
struct lc {
  lc_config_t config;
};

int lc_create(const lc_config_t *config, lc_t **out) {
  (void)config;
  *out = NULL;
  return LC_ENOTIMPL;
}

void lc_destroy(lc_t *cache) {
  free(cache);
}

int lc_get(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           void *buffer, size_t buffer_size, size_t *value_len, bool *found) {
  (void)cache;
  (void)key;
  (void)key_len;
  (void)now_ns;
  (void)buffer;
  (void)buffer_size;
  (void)value_len;
  *found = false;
  return LC_ENOTIMPL;
}

int lc_put(lc_t *cache, const void *key, size_t key_len, const void *value,
           size_t value_len, uint64_t ttl_ns, uint64_t now_ns) {
  (void)cache;
  (void)key;
  (void)key_len;
  (void)value;
  (void)value_len;
  (void)ttl_ns;
  (void)now_ns;
  return LC_ENOTIMPL;
}

int lc_delete(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
              bool *deleted) {
  (void)cache;
  (void)key;
  (void)key_len;
  (void)now_ns;
  *deleted = false;
  return LC_ENOTIMPL;
}

int lc_expire(lc_t *cache, const void *key, size_t key_len, uint64_t ttl_ns,
              uint64_t now_ns, bool *found) {
  (void)cache;
  (void)key;
  (void)key_len;
  (void)ttl_ns;
  (void)now_ns;
  *found = false;
  return LC_ENOTIMPL;
}

int lc_ttl(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           uint64_t *ttl_ns, bool *found) {
  (void)cache;
  (void)key;
  (void)key_len;
  (void)now_ns;
  *ttl_ns = 0;
  *found = false;
  return LC_ENOTIMPL;
}

int lc_stats(lc_t *cache, lc_stats_t *stats) {
  (void)cache;
  *stats = (lc_stats_t){0, 0, 0, 0, 0, 0};
  return LC_ENOTIMPL;
}
