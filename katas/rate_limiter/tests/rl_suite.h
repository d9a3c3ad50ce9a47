/* rl_suite.h - the rate limiter stages' fixture: the plug-in's functions,
 * limiters that skip when not written, and model-checked calls whose
 * failure messages say what was asked, what came back and why. */
#ifndef RL_SUITE_H
#define RL_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rate_limiter.h"
#include "rl_api.h"
#include "rl_model.h"
#include "stagekit.h"

#define RLS_NS_PER_S 1000000000ULL

/* Binds the plug-in's functions on first use; fails the test if one is
 * missing. */
const rl_api_t *rls_api(void);

/* Every suite's .init: installs the crash guard of stagekit. */
void rls_setup(void);

/* Seeds rng from the run's seed and a per-test salt, so that each test has
 * its own sequence and the same seed replays it. */
void rls_rng(rng_t *rng, uint64_t salt);

/* A limiter under test and what it was made with. */
typedef struct rls_limiter {
  rl_t *rl;
  /* Stage 7: the Redis-backed handle decisions go to instead of rl; config
   * then says RL_TOKEN_BUCKET, the rule the model applies. */
  rl_redis_t *redis;
  rl_config_t config;
  /* Optional words on the rule the test is about, added to a failure
   * unless the failure shows a more specific cause (a forgotten key, a
   * wait in ms, ...), which is then named instead. */
  const char *note;
  /* Optional facts about what the test is doing (its round, its
   * parameters), added to every failure. */
  const char *context;
  /* Calls checked on this limiter so far, on any key. */
  uint64_t calls;
} rls_limiter_t;

/* Creates a limiter; skips the test when rl_create answers RL_ENOTIMPL,
 * fails it on any other error. */
void rls_open(rls_limiter_t *limiter, rl_algorithm_t algorithm, uint64_t limit,
              uint64_t window_ns);

/* Destroys the limiter (rl_destroy) and forgets it. */
void rls_close(rls_limiter_t *limiter);

/* Whether the plug-in implements algorithm: creates and destroys one
 * limiter. Fails the test when rl_create gives an unexpected error. */
bool rls_implements(rl_algorithm_t algorithm);

/* "-22 (-EINVAL)": a return code for messages; static ring buffer. */
const char *rls_rc_text(int rc);

/* A key as a message shows it: quoted, \xNN for bytes that are not
 * printable, at most 40 bytes then "…" and the length. Static ring. */
const char *rls_key_text(const void *bytes, size_t len);

#define RLS_HISTORY 12

/* One call as the plug-in answered it, for the history in messages. */
typedef struct rls_call {
  uint64_t number, now, effective;
  rl_decision_t decision;
} rls_call_t;

/* A key the test follows: its bytes, the model's state for it and its last
 * calls. */
typedef struct rls_key {
  unsigned char bytes[RL_KEY_MAX + 1];
  size_t len;
  bool null_pointer; /* passed as NULL (only with len 0) */
  rlm_key_t model;
  uint64_t calls;
  rls_call_t history[RLS_HISTORY];
} rls_key_t;

/* Makes key a fresh key with len bytes copied from bytes; bytes NULL means
 * the empty key passed as a NULL pointer. */
void rls_key_set(rls_key_t *key, const void *bytes, size_t len);

/* A fresh text key. */
void rls_key_text_set(rls_key_t *key, const char *text);

/* Frees the model's memory for key. */
void rls_key_release(rls_key_t *key);

/* Calls rl_check (rl_redis_check for a Redis-backed limiter) for key at
 * now and asserts that it returned 0 and that
 * allowed, remaining and retry_after_ns are exactly what the model says;
 * a failure explains the rule, the state and the key's last calls.
 * Returns the plug-in's decision. */
rl_decision_t rls_check(rls_limiter_t *limiter, rls_key_t *key, uint64_t now);

/* rls_check, but passing bytes (which must hold key's bytes, or be any
 * pointer when key's length is 0) instead of the key's own copy. */
rl_decision_t rls_check_bytes(rls_limiter_t *limiter, rls_key_t *key,
                              const void *bytes, uint64_t now);

/* rls_check count times at the same now. */
void rls_check_times(rls_limiter_t *limiter, rls_key_t *key, uint64_t now,
                     uint64_t count);

#endif /* RL_SUITE_H */
