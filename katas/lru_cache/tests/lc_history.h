/* lc_history.h - seeded random histories of gets, puts and deletes run
 * against a plug-in beside the model; a failing or crashing history is
 * shrunk to the shortest one found that still fails, and told. */
#ifndef LC_HISTORY_H
#define LC_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "lru_cache.h"
#include "rng.h"

typedef enum lch_kind {
  LCH_GET,       /* lc_get with a buffer large enough for any value */
  LCH_GET_SMALL, /* lc_get with a buffer of size bytes (maybe NULL, 0) */
  LCH_PUT,       /* lc_put of size bytes made from seed, no TTL */
  LCH_DELETE
} lch_kind_t;

/* One call of a history. */
typedef struct lch_op {
  uint8_t kind;
  uint32_t key;
  uint32_t size;
  uint64_t seed; /* a put's value: 0 makes it size '0' characters */
} lch_op_t;

/* The keys a history uses, numbered 0..count-1, and the cache it runs on. */
typedef struct lch_setup {
  lc_config_t config;
  uint32_t key_count;
  unsigned char **keys;
  size_t *key_lens;
  const char *title; /* "capacity 3": where the history ran, for messages */
} lch_setup_t;

/* Makes count keys: "k<i>", some with NUL bytes, key 0 empty.
 * Returns 0 or -ENOMEM; lch_keys_free releases them. */
int lch_keys_make(lch_setup_t *setup, uint32_t count);
void lch_keys_free(lch_setup_t *setup);

/* Fills ops with count seeded random calls over setup's keys, shaped so
 * that hits, misses, overwrites and evictions all happen often. */
void lch_generate(const lch_setup_t *setup, rng_t *rng, lch_op_t *ops,
                  size_t count);

/* Runs ops on a fresh cache (setup's plug-in config) beside the model,
 * comparing every answer and then the stats. Returns -1 when all agree,
 * else the index of the first call that differs. */
long lch_replay(const lch_setup_t *setup, const lch_op_t *ops, size_t count);

/* Runs ops in a child process; on a difference or a crash shrinks the
 * history (re-running candidates on fresh caches, each in a child, at most
 * budget calls and 10 s in all). A difference fails the test with the
 * shortest failing history, what came back, what was expected and why; a
 * crash is replayed in this process, the shortest crashing history noted
 * as the step, so that the harness tells it as any crash. */
void lch_check(const lch_setup_t *setup, lch_op_t *ops, size_t count,
               uint64_t budget);

#endif /* LC_HISTORY_H */
