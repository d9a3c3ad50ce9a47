/* lru_cache.h - the contract an in-memory cache implements: create, get,
 * put, delete, TTLs, stats, destroy. Read this file and
 * katas/lru_cache/README.md; nothing else. */
#ifndef LRU_CACHE_H
#define LRU_CACHE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returned by lc_create for a policy you have not written yet, and by any
 * function you have not written yet. The harness then shows the stages that
 * need it as "not attempted" instead of failed. */
#define LC_ENOTIMPL (-ENOSYS)

/* The longest key and the longest value a caller may store; longer ones get
 * -EINVAL. Keys and values may be empty. */
#define LC_KEY_MAX 1024
#define LC_VALUE_MAX (1024 * 1024)

/* A TTL (ttl_ns) of LC_NO_TTL means the entry never expires. */
#define LC_NO_TTL 0

/* lc_ttl's answer for an entry that has no TTL. */
#define LC_PERSISTENT UINT64_MAX

typedef enum lc_policy {
  /* Exact least-recently-used: when room is needed, the entry whose last
   * lc_get hit or lc_put is the oldest goes first. Stages 1 to 5. */
  LC_POLICY_LRU = 1,
  /* Any eviction policy you like (SIEVE, S3-FIFO, W-TinyLFU, ...): every
   * other rule still holds, only the choice of victim is yours. Stage 6,
   * where it must beat LRU's hit ratio. */
  LC_POLICY_OWN = 2
} lc_policy_t;

typedef struct lc_config {
  lc_policy_t policy;
  /* At most this many entries are stored at any moment; 0: no limit. */
  uint64_t max_entries;
  /* At most this many bytes of keys plus values (key_len + value_len summed
   * over stored entries, your own overhead not counted) at any moment; 0: no
   * limit. At least one of max_entries and max_bytes is not 0. */
  uint64_t max_bytes;
} lc_config_t;

typedef struct lc_stats {
  uint64_t hits;        /* lc_get calls that found a live entry */
  uint64_t misses;      /* lc_get calls that did not */
  uint64_t evictions;   /* live entries removed to make room */
  uint64_t expirations; /* expired entries reclaimed, each once, whichever
                           call removed it (a put making room too) */
  uint64_t items;       /* entries stored now (expired, unreclaimed too) */
  uint64_t bytes;       /* their key_len + value_len, summed */
} lc_stats_t;

/* One cache: many keys, one policy, one capacity. Opaque to callers. */
typedef struct lc lc_t;

/* Creates a cache for config and stores it in *out.
 * Returns 0; LC_ENOTIMPL when config->policy is one you do not do; -EINVAL
 * when the policy is none of lc_policy_t or both limits are 0 (for a policy
 * you do not do, LC_ENOTIMPL or -EINVAL); -ENOMEM. */
int lc_create(const lc_config_t *config, lc_t **out);

/* Frees everything the cache holds. cache may be NULL. */
void lc_destroy(lc_t *cache);

/* Looks key up at now_ns. On a hit, copies the first min(value_len,
 * buffer_size) bytes of the value into buffer (which may be NULL when
 * buffer_size is 0), stores the value's full length in *value_len and sets
 * *found; a caller whose buffer was too small calls again with a larger one.
 * A hit makes the entry the most recently used; it does not extend a TTL.
 * An entry whose deadline is <= now_ns is gone: a miss. On a miss *found is
 * false and *value_len is 0.
 * Returns 0; -EINVAL for a key longer than LC_KEY_MAX. */
int lc_get(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           void *buffer, size_t buffer_size, size_t *value_len, bool *found);

/* Stores a copy of value under a copy of key at now_ns, replacing any value
 * and TTL the key had, and makes it the most recently used; the caller may
 * reuse both buffers as soon as the call returns. ttl_ns: the entry expires
 * at now_ns + ttl_ns (gone from that instant on), or at UINT64_MAX, the end
 * of time, when that sum does not fit in 64 bits; LC_NO_TTL: never. Evicts
 * entries until the new one fits both limits; the entry being replaced is
 * not counted against it. Expired entries not yet reclaimed still count:
 * the policy picks the victim, which may be live while expired entries
 * elsewhere still hold room; a victim that has expired is an expiration,
 * not an eviction. Returns 0; -EINVAL for a key or value over its maximum,
 * checked first; -E2BIG when key_len + value_len alone exceeds max_bytes;
 * after either the cache is unchanged; -ENOMEM. */
int lc_put(lc_t *cache, const void *key, size_t key_len, const void *value,
           size_t value_len, uint64_t ttl_ns, uint64_t now_ns);

/* Removes key at now_ns and sets *deleted when a live entry was removed.
 * Returns 0; -EINVAL for a key longer than LC_KEY_MAX. */
int lc_delete(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
              bool *deleted);

/* Gives a live entry a new TTL at now_ns (as lc_put would: LC_NO_TTL
 * removes it, a deadline past 64 bits is UINT64_MAX) without touching its
 * value or its recency, and sets *found when there was a live entry.
 * Returns 0; -EINVAL for a key longer than LC_KEY_MAX. */
int lc_expire(lc_t *cache, const void *key, size_t key_len, uint64_t ttl_ns,
              uint64_t now_ns, bool *found);

/* Stores in *ttl_ns how long a live entry has left at now_ns (deadline -
 * now_ns, > 0), or LC_PERSISTENT when it has no TTL, and sets *found when
 * there was a live entry. Changes nothing, neither recency nor any stat: an
 * expired entry it sees is answered not found and left for the other calls
 * to reclaim. Returns 0; -EINVAL for a key longer than LC_KEY_MAX. */
int lc_ttl(lc_t *cache, const void *key, size_t key_len, uint64_t now_ns,
           uint64_t *ttl_ns, bool *found);

/* Fills *stats. Returns 0. */
int lc_stats(lc_t *cache, lc_stats_t *stats);

/* Time and threads.
 * - now_ns is supplied by the caller; never read a clock yourself. Calls may
 *   arrive slightly out of order from several threads: an entry is expired
 *   at now_ns when its deadline <= now_ns, whatever times came before.
 * - Expired entries are reclaimed as calls go on, with no thread of your
 *   own: whenever a call but lc_ttl and lc_stats finds one, and by a bounded
 *   sweep inside calls, so that entries no one asks for again are reclaimed
 *   too.
 * - Every function must be safe to call from many threads at once
 *   (stage 5). */

#endif /* LRU_CACHE_H */
