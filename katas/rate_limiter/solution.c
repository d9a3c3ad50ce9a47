/* solution.c - your rate limiter. It compiles as it is, and every stage
 * reports "not attempted" until rl_create says yes to that stage's
 * algorithm. The contract is rate_limiter.h; the rules and hints are in
 * README.md. */
#include <errno.h>
#include <stdlib.h>

#include "rate_limiter.h"

/* Where to start: stage 1, fixed window (README, "Stage 1"). Make rl_create
 * accept RL_FIXED_WINDOW, run `make kata=rate_limiter check stage=1`, and
 * move to the next algorithm when it passes. Keep answering RL_ENOTIMPL for
 * the algorithms you have not written yet.
 *
 * What a limiter holds: the config, and a table from key to that key's
 * state. What a key's state is depends on the algorithm; for every one of
 * them, ask "what is the least I must remember to decide the next request,
 * and to say how many more would pass and how long to wait?" For a fixed
 * window that is which window you are in and how many were allowed in it.
 *
 * Traps, each of which a stage checks:
 * - Keys are bytes, not strings: they may hold NUL bytes and may be empty
 *   (key_len 0, key may be NULL). Never strlen them; compare key_len and
 *   the bytes.
 * - The caller may reuse its key buffer once rl_check returns: copy the key
 *   into memory you own before you keep it.
 * - Time may go backwards for a key (threads race to call you): remember
 *   the latest now_ns you saw for the key and use it instead of an earlier
 *   one.
 * - Limits and windows can be large and now_ns can be near 2^62: think
 *   about which products can overflow 64 bits before you write them.
 * - A limit of 0 denies everything, with retry_after_ns = RL_NEVER.
 * - Stage 5 calls you from many threads at once: until then you may ignore
 *   threads. Stage 6 checks that keys nobody uses any more give their
 *   memory back. */

/* Yours to fill: what one limiter holds. */
struct rl {
  rl_config_t config;
};

int rl_create(const rl_config_t *config, rl_t **out) {
  (void)config;
  *out = NULL;
  return RL_ENOTIMPL;
}

void rl_destroy(rl_t *rl) {
  free(rl);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  (void)rl;
  (void)key;
  (void)now_ns;
  if (key_len > RL_KEY_MAX)
    return -EINVAL;
  *decision =
      (rl_decision_t){.allowed = false, .remaining = 0, .retry_after_ns = 0};
  return 0;
}

/* Stage 7 (README, "Stage 7"): the token bucket again, its state in Redis
 * so that many processes share one limit. Include <hiredis/hiredis.h>; the
 * harness links hiredis and starts a Redis for the stage. */

/* Yours to fill: one process's connection and what it needs to decide. */
struct rl_redis {
  rl_redis_config_t config;
};

int rl_redis_create(const rl_redis_config_t *config, rl_redis_t **out) {
  (void)config;
  *out = NULL;
  return RL_ENOTIMPL;
}

void rl_redis_destroy(rl_redis_t *rl) {
  free(rl);
}

int rl_redis_check(rl_redis_t *rl, const void *key, size_t key_len,
                   uint64_t now_ns, rl_decision_t *decision) {
  (void)rl;
  (void)key;
  (void)now_ns;
  if (key_len > RL_KEY_MAX)
    return -EINVAL;
  *decision =
      (rl_decision_t){.allowed = false, .remaining = 0, .retry_after_ns = 0};
  return 0;
}
