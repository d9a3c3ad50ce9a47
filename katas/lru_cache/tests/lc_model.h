/* lc_model.h - an exact, deliberately plain LRU cache over a fixed set of
 * key numbers: the oracle stage suites compare a plug-in against. */
#ifndef LC_MODEL_H
#define LC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lru_cache.h"

#define LCM_NONE UINT32_MAX

/* Why a key holds no entry, for messages. */
typedef enum lcm_gone {
  LCM_NEVER_PUT,
  LCM_EVICTED,
  LCM_DELETED,
  LCM_EXPIRED,
  LCM_REJECTED /* its last put was refused (-E2BIG) */
} lcm_gone_t;

/* One key's entry, or why there is none. */
typedef struct lcm_entry {
  bool present;
  uint32_t newer, older; /* recency list neighbours, LCM_NONE at the ends */
  unsigned char *value;
  size_t value_len;
  uint64_t deadline; /* 0: no TTL */
  uint64_t put_at;   /* the model's step of its last put */
  uint64_t used_at;  /* the model's step of its last put or hit */
  lcm_gone_t gone;
  uint64_t gone_at;     /* the step that removed it */
  uint32_t evicted_for; /* the key whose put evicted it */
} lcm_entry_t;

/* A cache of key_count keys numbered 0.., whose lengths the model knows
 * (bytes are the test's business). Written for obviousness, then for
 * enough speed to follow 100 000 operations. */
typedef struct lcm {
  lc_config_t config;
  uint32_t key_count;
  size_t *key_lens;
  lcm_entry_t *entries;
  uint32_t newest, oldest;
  uint64_t items, bytes; /* stored now, expired but not reclaimed too */
  lc_stats_t stats;
  uint64_t step; /* one per call, for "used at" and "evicted at" */
} lcm_t;

/* Makes an empty model; copies key_lens. Returns 0 or -ENOMEM. */
int lcm_init(lcm_t *model, const lc_config_t *config, uint32_t key_count,
             const size_t *key_lens);

/* Frees what the model holds. */
void lcm_free(lcm_t *model);

/* lc_get: the live entry (made the most recent) or NULL, counting a hit or
 * a miss; an expired entry is reclaimed and missed. */
const lcm_entry_t *lcm_get(lcm_t *model, uint32_t key, uint64_t now);

/* lc_put: 0, or -E2BIG (nothing changes). Evicts from the least recently
 * used end, reclaiming expired entries it meets there. */
int lcm_put(lcm_t *model, uint32_t key, const void *value, size_t value_len,
            uint64_t ttl, uint64_t now);

/* lc_delete: whether a live entry was removed. */
bool lcm_delete(lcm_t *model, uint32_t key, uint64_t now);

/* lc_expire: whether there was a live entry (its TTL then changes). */
bool lcm_expire(lcm_t *model, uint32_t key, uint64_t ttl, uint64_t now);

/* lc_ttl: whether there was a live entry, and its TTL left in *ttl. */
bool lcm_ttl(const lcm_t *model, uint32_t key, uint64_t now, uint64_t *ttl);

/* The key's entry without touching anything; NULL when none is stored or
 * it has expired at now. */
const lcm_entry_t *lcm_peek(const lcm_t *model, uint32_t key, uint64_t now);

/* How many entries are more recent than key's (0: it is the newest). */
uint64_t lcm_rank(const lcm_t *model, uint32_t key);

/* Live entries at now, and their key + value bytes. */
uint64_t lcm_live(const lcm_t *model, uint64_t now, uint64_t *bytes);

#endif /* LC_MODEL_H */
