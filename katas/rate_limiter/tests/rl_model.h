/* rl_model.h - exact, deliberately plain models of the four rate limiting
 * algorithms: the oracle every stage suite compares a plug-in against. */
#ifndef RL_MODEL_H
#define RL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rate_limiter.h"

/* One key's state under any of the four algorithms; each algorithm uses
 * only its own fields. Written for obviousness, not speed. */
typedef struct rlm_key {
  bool seen;       /* a call for this key happened */
  uint64_t latest; /* the latest time a call was treated at */
  /* Fixed window and sliding window counter. */
  uint64_t window; /* index of the window latest falls in */
  uint64_t curr;   /* requests allowed in that window */
  uint64_t prev;   /* sliding window: allowed in the window before it */
  /* Token bucket: tokens scaled by W, in [0, L*W], as of latest. */
  uint64_t level;
  /* Sliding log: times of allowed requests in (latest - W, latest],
   * ascending. */
  uint64_t *log;
  size_t log_len, log_cap;
} rlm_key_t;

/* A fresh key: no state, as if never seen. */
void rlm_key_init(rlm_key_t *key);

/* Frees what the key holds (the sliding log) and makes it fresh. */
void rlm_key_free(rlm_key_t *key);

/* The time a call at now is treated at: now, or the latest time seen for
 * the key when now is earlier. */
uint64_t rlm_effective_time(const rlm_key_t *key, uint64_t now);

/* Whether a request at t >= the key's latest time would be allowed, with
 * nothing else happening first. Pure. */
bool rlm_would_allow(const rl_config_t *config, const rlm_key_t *key,
                     uint64_t t);

/* How many requests in a row would be allowed at t (>= latest), without
 * changing the key. */
uint64_t rlm_capacity_at(const rl_config_t *config, const rlm_key_t *key,
                         uint64_t t);

/* Decides a request at now exactly as the stage rules say, records it when
 * allowed, and returns the decision the contract requires: remaining by
 * closed form, retry_after_ns by binary search over rlm_would_allow (which
 * is monotone in t), relative to the effective time. */
rl_decision_t rlm_check(const rl_config_t *config, rlm_key_t *key,
                        uint64_t now);

/* Whether the key's state at t >= latest still matters: false when it
 * equals a fresh key's for every later request, so that an implementation
 * may already have reclaimed it. */
bool rlm_state_matters(const rl_config_t *config, const rlm_key_t *key,
                       uint64_t t);

/* Explains in words what the rule sees for a request at t (>= latest):
 * the limit and the counts, times or level that decide it. Writes a
 * NUL-terminated sentence fragment into out. */
void rlm_explain(const rl_config_t *config, const rlm_key_t *key, uint64_t t,
                 char *out, size_t out_size);

/* What a new key's state is under the algorithm, for people: "a full
 * bucket of L tokens", ... A static string. */
const char *rlm_fresh_words(rl_algorithm_t algorithm);

/* Explains why the key's state at t (>= latest) still matters, i.e. why the
 * key is not idle and must not have been forgotten: the stage 6 rule for
 * its algorithm and what this key holds. Call only when rlm_state_matters
 * is true. Writes a NUL-terminated sentence into out. */
void rlm_explain_not_idle(const rl_config_t *config, const rlm_key_t *key,
                          uint64_t t, char *out, size_t out_size);

/* Formats ns as seconds with 9 decimals ("1.000000500s"), or "RL_NEVER".
 * Returns one of a ring of static buffers, so that a message can hold
 * several; not thread-safe. */
const char *rlm_seconds(uint64_t ns);

/* The algorithm's name for people: "fixed window", ... */
const char *rlm_algorithm_title(rl_algorithm_t algorithm);

#endif /* RL_MODEL_H */
