/* naive.c - the obvious exact LRU, the yardstick: arrays that every call
 * scans from end to end under one mutex, recency kept as the tick of each
 * entry's last use. LC_POLICY_LRU only. */

/* Correct in every rule, and O(n) per call on purpose, which the constant
 * time stage exists to catch:
 * sdkata-expect: stage 2
 * The scans read parallel arrays of hashes and ticks rather than whole
 * entries, so that a cache of tens of thousands of entries still passes
 * the other stages in their time limits. Expired entries are reclaimed by
 * a pass over every entry whenever the earliest deadline has come. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lru_cache.h"

#define NAIVE_MIN_SLOTS 16

typedef struct naive_entry {
  unsigned char *key; /* our own copies of the caller's bytes */
  unsigned char *value;
  size_t key_len;
  size_t value_len;
  uint64_t deadline; /* 0: never expires */
} naive_entry_t;

struct lc {
  pthread_mutex_t lock;
  uint64_t max_entries; /* UINT64_MAX for no limit */
  uint64_t max_bytes;   /* likewise */
  /* Entry i is entries[i], with its key's hash in hashes[i] and the tick
   * of its last get hit or put in used[i]. */
  naive_entry_t *entries;
  uint64_t *hashes;
  uint64_t *used;
  size_t count;
  size_t slots; /* room in each array */
  uint64_t tick;
  uint64_t earliest; /* no deadline comes before it; UINT64_MAX: none */
  lc_stats_t stats;
};

/* FNV-1a: a key's bytes are compared only when the hashes agree. */
static uint64_t naive_hash(const void *key, size_t len) {
  const unsigned char *p = key;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

/* When a TTL given at now runs out: 0 for none, saturated past the end of
 * time. */
static uint64_t naive_deadline(uint64_t now, uint64_t ttl) {
  if (ttl == 0)
    return 0;
  return now > UINT64_MAX - ttl ? UINT64_MAX : now + ttl;
}

static void naive_set_deadline(lc_t *c, naive_entry_t *e, uint64_t deadline) {
  e->deadline = deadline;
  if (deadline != 0 && deadline < c->earliest)
    c->earliest = deadline;
}

static bool naive_expired(const naive_entry_t *e, uint64_t now) {
  return e->deadline != 0 && e->deadline <= now;
}

/* Frees entry i and fills its place with the last entry. */
static void naive_remove(lc_t *c, size_t i) {
  naive_entry_t *e = &c->entries[i];
  c->stats.bytes -= e->key_len + e->value_len;
  c->stats.items--;
  free(e->key);
  free(e->value);
  c->count--;
  c->entries[i] = c->entries[c->count];
  c->hashes[i] = c->hashes[c->count];
  c->used[i] = c->used[c->count];
}

/* Reclaims every entry expired at now, once the earliest deadline has
 * come, and finds the next earliest. */
static void naive_reclaim(lc_t *c, uint64_t now) {
  if (now < c->earliest)
    return;
  c->earliest = UINT64_MAX;
  size_t i = 0;
  while (i < c->count) {
    naive_entry_t *e = &c->entries[i];
    if (naive_expired(e, now)) {
      naive_remove(c, i); /* place i now holds another entry: look again */
      c->stats.expirations++;
    } else {
      naive_set_deadline(c, e, e->deadline);
      i++;
    }
  }
}

/* The index of key, or -1. */
static long naive_index(const lc_t *c, const void *key, size_t key_len) {
  uint64_t hash = naive_hash(key, key_len);
  for (size_t i = 0; i < c->count; i++)
    if (c->hashes[i] == hash && c->entries[i].key_len == key_len &&
        (key_len == 0 || memcmp(c->entries[i].key, key, key_len) == 0))
      return (long)i;
  return -1;
}

/* Begins a call on key at now: locks the cache, reclaims what expired and
 * returns the index of key, or -1. */
static long naive_enter(lc_t *c, const void *key, size_t key_len,
                        uint64_t now) {
  pthread_mutex_lock(&c->lock);
  naive_reclaim(c, now);
  return naive_index(c, key, key_len);
}

/* Resizes the arrays to hold slots entries. Returns 0, or -ENOMEM with
 * every array still at least as large as before. */
static int naive_resize(lc_t *c, size_t slots) {
  naive_entry_t *entries = realloc(c->entries, slots * sizeof *entries);
  if (entries != NULL)
    c->entries = entries;
  uint64_t *hashes = realloc(c->hashes, slots * sizeof *hashes);
  if (hashes != NULL)
    c->hashes = hashes;
  uint64_t *used = realloc(c->used, slots * sizeof *used);
  if (used != NULL)
    c->used = used;
  if (entries == NULL || hashes == NULL || used == NULL)
    return -ENOMEM;
  c->slots = slots;
  return 0;
}

/* Gives memory back once the arrays are a quarter full. */
static void naive_shrink(lc_t *c) {
  if (c->slots > NAIVE_MIN_SLOTS && c->count * 4 < c->slots)
    naive_resize(c, c->slots / 2);
}

static unsigned char *naive_copy(const void *bytes, size_t len) {
  unsigned char *copy = malloc(len > 0 ? len : 1);
  if (copy != NULL && len > 0)
    memcpy(copy, bytes, len);
  return copy;
}

static void naive_free(lc_t *c) {
  for (size_t i = 0; i < c->count; i++) {
    free(c->entries[i].key);
    free(c->entries[i].value);
  }
  free(c->entries);
  free(c->hashes);
  free(c->used);
  free(c);
}

int lc_create(const lc_config_t *config, lc_t **out) {
  if (config == NULL || out == NULL ||
      (config->policy != LC_POLICY_LRU && config->policy != LC_POLICY_OWN) ||
      (config->max_entries == 0 && config->max_bytes == 0))
    return -EINVAL;
  if (config->policy != LC_POLICY_LRU)
    return LC_ENOTIMPL;
  lc_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return -ENOMEM;
  if (naive_resize(c, NAIVE_MIN_SLOTS) != 0) {
    naive_free(c);
    return -ENOMEM;
  }
  c->max_entries = config->max_entries ? config->max_entries : UINT64_MAX;
  c->max_bytes = config->max_bytes ? config->max_bytes : UINT64_MAX;
  c->earliest = UINT64_MAX;
  pthread_mutex_init(&c->lock, NULL);
  *out = c;
  return 0;
}

void lc_destroy(lc_t *cache) {
  if (cache == NULL)
    return;
  pthread_mutex_destroy(&cache->lock);
  naive_free(cache);
}

int lc_get(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           void *buffer, size_t buffer_size, size_t *value_len, bool *found) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  long i = naive_enter(cache, key, key_len, now_ns);
  *found = i >= 0; /* live: the reclaim took any expired entry */
  *value_len = 0;
  if (*found) {
    naive_entry_t *e = &cache->entries[i];
    cache->used[i] = ++cache->tick;
    *value_len = e->value_len;
    size_t n = e->value_len < buffer_size ? e->value_len : buffer_size;
    if (n > 0)
      memcpy(buffer, e->value, n);
    cache->stats.hits++;
  } else {
    cache->stats.misses++;
  }
  pthread_mutex_unlock(&cache->lock);
  return 0;
}

int lc_put(lc_t *cache, const void *key, size_t key_len, const void *value,
           size_t value_len, uint64_t ttl_ns, uint64_t now_ns) {
  if (key_len > LC_KEY_MAX || value_len > LC_VALUE_MAX)
    return -EINVAL;
  uint64_t size = (uint64_t)key_len + value_len;
  if (size > cache->max_bytes)
    return -E2BIG;
  naive_entry_t fresh = {.key = naive_copy(key, key_len),
                         .value = naive_copy(value, value_len),
                         .key_len = key_len,
                         .value_len = value_len};
  long old = naive_enter(cache, key, key_len, now_ns);
  /* Room for one more entry before any live one changes, so that running
   * out of memory leaves the cache as it was. */
  if (fresh.key == NULL || fresh.value == NULL ||
      (cache->count == cache->slots &&
       naive_resize(cache, cache->slots * 2) != 0)) {
    pthread_mutex_unlock(&cache->lock);
    free(fresh.key);
    free(fresh.value);
    return -ENOMEM;
  }
  if (old >= 0) /* live: an expired one went in the reclaim */
    naive_remove(cache, (size_t)old);
  while (cache->count + 1 > cache->max_entries ||
         cache->stats.bytes + size > cache->max_bytes) {
    size_t victim = 0;
    for (size_t i = 1; i < cache->count; i++)
      if (cache->used[i] < cache->used[victim])
        victim = i;
    naive_remove(cache, victim);
    cache->stats.evictions++;
  }
  size_t i = cache->count++;
  cache->entries[i] = fresh;
  naive_set_deadline(cache, &cache->entries[i], naive_deadline(now_ns, ttl_ns));
  cache->hashes[i] = naive_hash(key, key_len);
  cache->used[i] = ++cache->tick;
  cache->stats.items++;
  cache->stats.bytes += size;
  pthread_mutex_unlock(&cache->lock);
  return 0;
}

int lc_delete(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
              bool *deleted) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  long i = naive_enter(cache, key, key_len, now_ns);
  *deleted = i >= 0;
  if (i >= 0)
    naive_remove(cache, (size_t)i);
  naive_shrink(cache);
  pthread_mutex_unlock(&cache->lock);
  return 0;
}

int lc_expire(lc_t *cache, const void *key, size_t key_len, uint64_t ttl_ns,
              uint64_t now_ns, bool *found) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  long i = naive_enter(cache, key, key_len, now_ns);
  *found = i >= 0;
  if (i >= 0)
    naive_set_deadline(cache, &cache->entries[i],
                       naive_deadline(now_ns, ttl_ns));
  pthread_mutex_unlock(&cache->lock);
  return 0;
}

/* Only reads: lc_ttl must not change the stats, so an expired entry is
 * left for the next other call. */
int lc_ttl(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           uint64_t *ttl_ns, bool *found) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  pthread_mutex_lock(&cache->lock);
  long i = naive_index(cache, key, key_len);
  *found = i >= 0 && !naive_expired(&cache->entries[i], now_ns);
  *ttl_ns = 0;
  if (*found)
    *ttl_ns = cache->entries[i].deadline == 0
                  ? LC_PERSISTENT
                  : cache->entries[i].deadline - now_ns;
  pthread_mutex_unlock(&cache->lock);
  return 0;
}

int lc_stats(lc_t *cache, lc_stats_t *stats) {
  pthread_mutex_lock(&cache->lock);
  *stats = cache->stats;
  pthread_mutex_unlock(&cache->lock);
  return 0;
}
