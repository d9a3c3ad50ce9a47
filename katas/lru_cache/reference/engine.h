/* engine.h - the body of every reference cache: shards, locks, limits, TTL
 * and the expiry sweep, defining the plug-in's lc_* functions around the
 * eviction order that the including file brings. */
#ifndef LC_ENGINE_H
#define LC_ENGINE_H

/* Include once, from the one .c file of a plug-in, after defining:
 * - LC_ENGINE_POLICY: the lc_policy_t it answers to (the other one gets
 *   LC_ENOTIMPL);
 * - LC_ENGINE_SHARDS: the most shards it splits the keys into, a power of
 *   two (1: one lock, exact order);
 * - the order, a struct lc_order kept per shard, and its hooks, each
 *   called with the shard locked:
 *     int order_init(lc_order_t *)           0 or -ENOMEM
 *     void order_fini(lc_order_t *)          frees what init made
 *     void order_insert(lc_order_t *, lc_entry_t *e, const lc_entry_t *old)
 *         a new entry e; old is the live entry of the same key it
 *         replaces, already out of the order, or NULL
 *     void order_hit(lc_order_t *, lc_entry_t *)    a get found it
 *     void order_remove(lc_order_t *, lc_entry_t *) it leaves the order
 *     lc_entry_t *order_victim(lc_order_t *)  the entry to evict next,
 *         still in the order (order_remove follows), or NULL when empty.
 *
 * Limits are global even with several shards: the cache's item and byte
 * counts are atomics, and an entry goes in only once it has reserved its
 * place in both (a compare-and-swap that fails rather than pass a limit).
 * So the bytes another thread can see never exceed max_bytes. Each shard
 * has a fair share of the limits (a 1/shards part of each), which only
 * chooses where a put that needs room evicts: in its own shard when the
 * new entry would take it past its share, else in the shards that are
 * past theirs, locking one at a time.
 *
 * Expired entries go when a call finds one, when they are the victim, and
 * by a sweep: every LC_SWEEP_EVERY calls into a shard, the call (after
 * unlocking) looks at the next few buckets of the next shard in a round
 * over all of them, for shards no call reaches. In a shard with no entry
 * that has a TTL a sweep only sees whether the table should shrink. */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "lru_cache.h"
#include "table.h"

#define LC_SWEEP_EVERY 16   /* calls into a shard between two sweeps */
#define LC_SWEEP_BUCKETS 16 /* buckets a sweep looks at, plus four ... */
#define LC_SWEEP_MAX 1024   /* ... per expired entry, up to this many */
#define LC_SHARD_ENTRIES 64 /* fewest entries per shard worth a shard */
#define LC_SHARD_BYTES 4096 /* fewest bytes per shard worth a shard */

/* A shard fills whole cache lines, so threads in two shards never write
 * to the same line. */
typedef struct lc_shard {
  alignas(64) pthread_mutex_t lock;
  lc_table_t table;
  lc_order_t order;
  uint64_t bytes; /* key and value bytes of its entries */
  uint64_t timed; /* entries with a deadline */
  uint64_t calls; /* calls into the shard, to pace the sweeps */
  uint64_t hits;
  uint64_t misses;
  uint64_t evictions;
  uint64_t expirations;
} lc_shard_t;

struct lc {
  uint64_t max_entries; /* UINT64_MAX when the config says 0 */
  uint64_t max_bytes;   /* likewise */
  uint64_t shard_mask;  /* shards - 1 */
  lc_shard_t *shards;
  alignas(64) atomic_uint_least64_t items; /* stored or reserved */
  atomic_uint_least64_t bytes;
  atomic_uint_least64_t sweep_next; /* the shard the next sweep visits */
};

static inline lc_shard_t *lc_shard_of(lc_t *c, uint64_t hash) {
  return &c->shards[(hash >> 40) & c->shard_mask];
}

/* Counts one entry of size bytes against both limits, or nothing when
 * either would be passed. */
static inline bool lc_reserve(lc_t *c, uint64_t size) {
  uint64_t items = atomic_load_explicit(&c->items, memory_order_relaxed);
  do {
    if (items >= c->max_entries)
      return false;
  } while (!atomic_compare_exchange_weak_explicit(&c->items, &items, items + 1,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed));
  uint64_t bytes = atomic_load_explicit(&c->bytes, memory_order_relaxed);
  do {
    if (size > c->max_bytes - bytes) {
      atomic_fetch_sub_explicit(&c->items, 1, memory_order_relaxed);
      return false;
    }
  } while (!atomic_compare_exchange_weak_explicit(
      &c->bytes, &bytes, bytes + size, memory_order_relaxed,
      memory_order_relaxed));
  return true;
}

/* Takes e out of shard s (locked) and gives back its place in the limits;
 * e is then the caller's to free. */
static inline void lc_detach(lc_t *c, lc_shard_t *s, lc_entry_t *e) {
  lc_table_remove(&s->table, e);
  order_remove(&s->order, e);
  if (e->deadline != 0)
    s->timed--;
  s->bytes -= lc_entry_size(e);
  atomic_fetch_sub_explicit(&c->items, 1, memory_order_relaxed);
  atomic_fetch_sub_explicit(&c->bytes, lc_entry_size(e), memory_order_relaxed);
}

/* Reclaims e, which expired, from shard s (locked). */
static inline void lc_reclaim(lc_t *c, lc_shard_t *s, lc_entry_t *e) {
  s->expirations++;
  lc_detach(c, s, e);
  free(e);
}

/* The live entry of key in shard s (locked) at now, or NULL; an expired
 * one found on the way is reclaimed. */
static inline lc_entry_t *lc_find_live(lc_t *c, lc_shard_t *s, uint64_t hash,
                                       const void *key, size_t key_len,
                                       uint64_t now) {
  lc_entry_t *e = lc_table_find(&s->table, hash, key, key_len);
  if (e == NULL || !lc_entry_expired(e, now))
    return e;
  lc_reclaim(c, s, e);
  return NULL;
}

/* Begins a call on key (hash is its lc_hash) at now: locks the key's
 * shard, which the caller ends with lc_leave, and finds the live entry in
 * *live (NULL when there is none). */
static inline lc_shard_t *lc_enter(lc_t *c, const void *key, size_t key_len,
                                   uint64_t hash, uint64_t now,
                                   lc_entry_t **live) {
  lc_shard_t *s = lc_shard_of(c, hash);
  pthread_mutex_lock(&s->lock);
  *live = lc_find_live(c, s, hash, key, key_len, now);
  return s;
}

/* Evicts the victim of shard s (locked) at now: an expiration if it had
 * expired, else an eviction. Returns false when s is empty. */
static inline bool lc_evict(lc_t *c, lc_shard_t *s, uint64_t now) {
  lc_entry_t *victim = order_victim(&s->order);
  if (victim == NULL)
    return false;
  if (lc_entry_expired(victim, now)) {
    lc_reclaim(c, s, victim);
  } else {
    s->evictions++;
    lc_detach(c, s, victim);
    free(victim);
  }
  return true;
}

/* Whether shard s (locked) holding extra more bytes in one more entry
 * would pass its share of the limits. With one shard that is the limits. */
static inline bool lc_past_share(const lc_t *c, const lc_shard_t *s,
                                 uint64_t extra) {
  uint64_t n = c->shard_mask + 1;
  return (s->table.count + 1) * n > c->max_entries ||
         (s->bytes + extra) * n > c->max_bytes;
}

/* Evicts one entry at now from a shard other than s (not locked), for a
 * put into s: the first one past its share in a round from s on, or on a
 * second round any that has entries. Returns false when all were empty. */
static bool lc_evict_elsewhere(lc_t *c, lc_shard_t *s, uint64_t now) {
  uint64_t first = (uint64_t)(s - c->shards);
  for (int round = 0; round < 2; round++) {
    for (uint64_t i = 1; i <= c->shard_mask; i++) {
      lc_shard_t *other = &c->shards[(first + i) & c->shard_mask];
      pthread_mutex_lock(&other->lock);
      bool evicted =
          (round == 1 || lc_past_share(c, other, 0)) && lc_evict(c, other, now);
      pthread_mutex_unlock(&other->lock);
      if (evicted)
        return true;
    }
  }
  return false;
}

/* Reserves room for an entry of size bytes into shard s (locked). Returns
 * true, or false when the room came from other shards: s was unlocked
 * meanwhile (it is locked again), so the caller must look its key up
 * again. */
static inline bool lc_make_room(lc_t *c, lc_shard_t *s, uint64_t size,
                                uint64_t now) {
  while (!lc_reserve(c, size)) {
    if (lc_past_share(c, s, size) && lc_evict(c, s, now))
      continue;
    /* Only with several shards: the room is held by the others, or by
     * puts into them that have reserved it and will store soon. */
    pthread_mutex_unlock(&s->lock);
    while (!lc_reserve(c, size))
      if (!lc_evict_elsewhere(c, s, now))
        sched_yield(); /* all empty: let those puts finish */
    pthread_mutex_lock(&s->lock);
    return false;
  }
  return true;
}

/* Reclaims expired entries of the next shard in the round at now: the
 * next LC_SWEEP_BUCKETS buckets, four more for each expired entry found.
 * Skips a shard another thread holds: the next sweep comes soon. */
static void lc_sweep(lc_t *c, uint64_t now) {
  uint64_t next =
      atomic_fetch_add_explicit(&c->sweep_next, 1, memory_order_relaxed);
  lc_shard_t *s = &c->shards[next & c->shard_mask];
  if (pthread_mutex_trylock(&s->lock) != 0)
    return;
  lc_table_t *t = &s->table;
  uint64_t budget = LC_SWEEP_BUCKETS;
  for (uint64_t i = 0; s->timed > 0 && i < budget && i < LC_SWEEP_MAX; i++) {
    lc_entry_t **link = &t->buckets[t->cursor];
    while (*link != NULL) {
      if (lc_entry_expired(*link, now)) {
        lc_reclaim(c, s, *link); /* *link is now the next in the chain */
        budget += 4;
      } else {
        link = &(*link)->chain;
      }
    }
    t->cursor = (t->cursor + 1) & t->mask;
  }
  lc_table_shrink(t);
  pthread_mutex_unlock(&s->lock);
}

/* Ends a call into shard s (locked) made at now: unlocks it, and now and
 * then sweeps. */
static inline void lc_leave(lc_t *c, lc_shard_t *s, uint64_t now) {
  bool sweep = ++s->calls % LC_SWEEP_EVERY == 0;
  pthread_mutex_unlock(&s->lock);
  if (sweep)
    lc_sweep(c, now);
}

/* Finalises the first n shards and frees the cache. */
static void lc_free(lc_t *c, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    lc_table_fini(&c->shards[i].table);
    order_fini(&c->shards[i].order);
    pthread_mutex_destroy(&c->shards[i].lock);
  }
  free(c->shards);
  free(c);
}

/* How many shards a cache of these limits gets: LC_ENGINE_SHARDS, halved
 * while a shard would hold too few entries for its own order to mean much
 * (a small cache stays close to exact). */
static uint64_t lc_shard_count(uint64_t max_entries, uint64_t max_bytes) {
  uint64_t n = LC_ENGINE_SHARDS;
  while (n > 1 &&
         (max_entries / n < LC_SHARD_ENTRIES || max_bytes / n < LC_SHARD_BYTES))
    n /= 2;
  return n;
}

int lc_create(const lc_config_t *config, lc_t **out) {
  if (config == NULL || out == NULL ||
      (config->policy != LC_POLICY_LRU && config->policy != LC_POLICY_OWN) ||
      (config->max_entries == 0 && config->max_bytes == 0))
    return -EINVAL;
  if (config->policy != LC_ENGINE_POLICY)
    return LC_ENOTIMPL;
  lc_t *c = aligned_alloc(alignof(lc_t), sizeof *c);
  if (c == NULL)
    return -ENOMEM;
  c->max_entries = config->max_entries ? config->max_entries : UINT64_MAX;
  c->max_bytes = config->max_bytes ? config->max_bytes : UINT64_MAX;
  uint64_t n = lc_shard_count(c->max_entries, c->max_bytes);
  c->shard_mask = n - 1;
  atomic_init(&c->items, 0);
  atomic_init(&c->bytes, 0);
  atomic_init(&c->sweep_next, 0);
  c->shards = aligned_alloc(alignof(lc_shard_t), n * sizeof *c->shards);
  if (c->shards == NULL) {
    free(c);
    return -ENOMEM;
  }
  memset(c->shards, 0, n * sizeof *c->shards);
  for (uint64_t i = 0; i < n; i++) {
    lc_shard_t *s = &c->shards[i];
    if (lc_table_init(&s->table) != 0) {
      lc_free(c, i);
      return -ENOMEM;
    }
    if (order_init(&s->order) != 0) {
      free(s->table.buckets);
      lc_free(c, i);
      return -ENOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
  }
  *out = c;
  return 0;
}

void lc_destroy(lc_t *cache) {
  if (cache != NULL)
    lc_free(cache, cache->shard_mask + 1);
}

int lc_get(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           void *buffer, size_t buffer_size, size_t *value_len, bool *found) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  lc_entry_t *e;
  lc_shard_t *s =
      lc_enter(cache, key, key_len, lc_hash(key, key_len), now_ns, &e);
  *found = e != NULL;
  *value_len = 0;
  if (e != NULL) {
    s->hits++;
    order_hit(&s->order, e);
    *value_len = e->value_len;
    size_t n = e->value_len < buffer_size ? e->value_len : buffer_size;
    if (n > 0)
      memcpy(buffer, lc_entry_value(e), n);
  } else {
    s->misses++;
  }
  lc_leave(cache, s, now_ns);
  return 0;
}

int lc_put(lc_t *cache, const void *key, size_t key_len, const void *value,
           size_t value_len, uint64_t ttl_ns, uint64_t now_ns) {
  if (key_len > LC_KEY_MAX || value_len > LC_VALUE_MAX)
    return -EINVAL;
  uint64_t size = (uint64_t)key_len + value_len;
  if (size > cache->max_bytes)
    return -E2BIG;
  /* Copy first, so that running out of memory leaves the cache as it was
   * and the lock is not held across malloc. */
  uint64_t hash = lc_hash(key, key_len);
  lc_entry_t *fresh = lc_entry_new(hash, key, key_len, value, value_len,
                                   lc_deadline(now_ns, ttl_ns));
  if (fresh == NULL)
    return -ENOMEM;
  /* The entry replaced leaves before making room, so that it is not
   * counted against the new one (nor chosen as its victim). */
  lc_entry_t *old;
  lc_shard_t *s = lc_enter(cache, key, key_len, hash, now_ns, &old);
  if (old != NULL)
    lc_detach(cache, s, old);
  if (!lc_make_room(cache, s, size, now_ns)) {
    /* A put of the same key may have come in while s was unlocked. */
    lc_entry_t *racer = lc_find_live(cache, s, hash, key, key_len, now_ns);
    if (racer != NULL) {
      lc_detach(cache, s, racer);
      free(racer);
    }
  }
  lc_table_insert(&s->table, fresh);
  s->bytes += size;
  if (fresh->deadline != 0)
    s->timed++;
  order_insert(&s->order, fresh, old);
  lc_leave(cache, s, now_ns);
  free(old);
  return 0;
}

int lc_delete(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
              bool *deleted) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  lc_entry_t *e;
  lc_shard_t *s =
      lc_enter(cache, key, key_len, lc_hash(key, key_len), now_ns, &e);
  *deleted = e != NULL;
  if (e != NULL) {
    lc_detach(cache, s, e);
    free(e);
    lc_table_shrink(&s->table);
  }
  lc_leave(cache, s, now_ns);
  return 0;
}

int lc_expire(lc_t *cache, const void *key, size_t key_len, uint64_t ttl_ns,
              uint64_t now_ns, bool *found) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  lc_entry_t *e;
  lc_shard_t *s =
      lc_enter(cache, key, key_len, lc_hash(key, key_len), now_ns, &e);
  *found = e != NULL;
  if (e != NULL) {
    uint64_t deadline = lc_deadline(now_ns, ttl_ns);
    s->timed += (deadline != 0) - (e->deadline != 0);
    e->deadline = deadline;
  }
  lc_leave(cache, s, now_ns);
  return 0;
}

/* Only reads: an expired entry is left to the sweep, since lc_ttl must not
 * change the stats (an expiration would). */
int lc_ttl(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           uint64_t *ttl_ns, bool *found) {
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  uint64_t hash = lc_hash(key, key_len);
  lc_shard_t *s = lc_shard_of(cache, hash);
  pthread_mutex_lock(&s->lock);
  const lc_entry_t *e = lc_table_find(&s->table, hash, key, key_len);
  *found = e != NULL && !lc_entry_expired(e, now_ns);
  *ttl_ns = 0;
  if (*found)
    *ttl_ns = e->deadline == 0 ? LC_PERSISTENT : e->deadline - now_ns;
  pthread_mutex_unlock(&s->lock);
  return 0;
}

int lc_stats(lc_t *cache, lc_stats_t *stats) {
  memset(stats, 0, sizeof *stats);
  for (uint64_t i = 0; i <= cache->shard_mask; i++) {
    lc_shard_t *s = &cache->shards[i];
    pthread_mutex_lock(&s->lock);
    stats->hits += s->hits;
    stats->misses += s->misses;
    stats->evictions += s->evictions;
    stats->expirations += s->expirations;
    pthread_mutex_unlock(&s->lock);
  }
  stats->items = atomic_load_explicit(&cache->items, memory_order_relaxed);
  stats->bytes = atomic_load_explicit(&cache->bytes, memory_order_relaxed);
  return 0;
}

#endif /* LC_ENGINE_H */
