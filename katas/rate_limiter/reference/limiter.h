/* limiter.h - what the four reference limiters share around the key table:
 * the limiter struct, config checks, creation and destruction. */
#ifndef RL_LIMITER_H
#define RL_LIMITER_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "keytable.h"
#include "rate_limiter.h"

struct rl {
  kt_table_t table;  /* first: it wants 64-byte alignment */
  uint64_t limit;    /* L */
  uint64_t window;   /* W */
  uint64_t capacity; /* L * W, which rl_create checked fits in 63 bits */
};

/* Checks config and makes a limiter (drop frees what a key's state owns,
 * or is NULL). mine is the algorithm the calling file implements; the
 * others answer RL_ENOTIMPL. Returns what rl_create returns. */
static inline int lim_create(const rl_config_t *config, rl_t **out,
                             rl_algorithm_t mine,
                             void (*drop)(uint64_t *state)) {
  if (out == NULL)
    return -EINVAL;
  *out = NULL;
  if (config == NULL || config->algorithm < RL_FIXED_WINDOW ||
      config->algorithm > RL_SLIDING_WINDOW)
    return -EINVAL;
  if (config->algorithm != mine)
    return RL_ENOTIMPL;
  if (config->window_ns == 0 ||
      (config->limit != 0 &&
       config->window_ns > (uint64_t)INT64_MAX / config->limit))
    return -EINVAL;
  rl_t *rl = aligned_alloc(alignof(rl_t), sizeof *rl);
  if (rl == NULL)
    return -ENOMEM;
  if (kt_init(&rl->table, drop) != 0) {
    free(rl);
    return -ENOMEM;
  }
  rl->limit = config->limit;
  rl->window = config->window_ns;
  rl->capacity = config->limit * config->window_ns;
  *out = rl;
  return 0;
}

/* Frees the limiter and every key it holds; rl may be NULL. */
static inline void lim_destroy(rl_t *rl) {
  if (rl == NULL)
    return;
  kt_fini(&rl->table);
  free(rl);
}

/* The answer to every request when the limit is 0: no state needed. */
static inline void lim_deny_forever(rl_decision_t *decision) {
  *decision = (rl_decision_t){
      .allowed = false, .remaining = 0, .retry_after_ns = RL_NEVER};
}

/* The start every rl_check shares: rejects a key over RL_KEY_MAX, answers a
 * limit of 0 without touching the table, and otherwise finds (or makes) the
 * key's slot and locks its shard. Returns 0 with the shard locked (the
 * caller must kt_release it), 1 when *decision is already the answer, or a
 * negative error. */
static inline int lim_acquire(rl_t *rl, const void *key, size_t key_len,
                              rl_decision_t *decision, kt_shard_t **shard,
                              kt_slot_t **slot) {
  if (key_len > RL_KEY_MAX)
    return -EINVAL;
  if (rl->limit == 0) {
    lim_deny_forever(decision);
    return 1;
  }
  int rc = kt_acquire(&rl->table, key, key_len, shard, slot);
  return rc < 0 ? rc : 0; /* a new key starts from a zeroed state */
}

/* The time a call is judged at: an earlier now_ns than the latest seen for
 * the key counts as that latest. Updates *last. */
static inline uint64_t lim_clamp(uint64_t *last, uint64_t now) {
  if (now > *last)
    *last = now;
  return *last;
}

#endif /* RL_LIMITER_H */
