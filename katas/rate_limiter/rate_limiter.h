/* rate_limiter.h - the contract a rate limiter implements: create, check,
 * destroy. Read this file and katas/rate_limiter/README.md; nothing else. */
#ifndef RATE_LIMITER_H
#define RATE_LIMITER_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Returned by rl_create for an algorithm you have not written yet. The
 * harness then shows that stage as "not attempted" instead of failed. */
#define RL_ENOTIMPL (-ENOSYS)

/* The longest key a caller may pass; longer keys get -EINVAL. */
#define RL_KEY_MAX 1024

/* retry_after_ns when no wait will ever do (limit 0). */
#define RL_NEVER UINT64_MAX

typedef enum rl_algorithm {
  RL_FIXED_WINDOW = 1,  /* stage 1 */
  RL_SLIDING_LOG = 2,   /* stage 2 */
  RL_TOKEN_BUCKET = 3,  /* stage 3 */
  RL_SLIDING_WINDOW = 4 /* stage 4: sliding window counter */
} rl_algorithm_t;

typedef struct rl_config {
  rl_algorithm_t algorithm;
  uint64_t limit;     /* requests per window per key; 0 denies everything */
  uint64_t window_ns; /* W, the window length in ns; must be > 0 */
} rl_config_t;

typedef struct rl_decision {
  bool allowed;
  /* How many further requests for this key would be allowed at this same
   * instant, after this one. */
  uint64_t remaining;
  /* The smallest wait d >= 0 in ns such that a request for this key at
   * t + d would be allowed, if nothing else happened in between; t is the
   * time the call was decided at: now_ns, or the latest time already seen
   * for the key when now_ns is earlier. 0 when remaining > 0; RL_NEVER when
   * limit is 0. */
  uint64_t retry_after_ns;
} rl_decision_t;

/* One limiter: many keys, one algorithm, one limit. Opaque to callers. */
typedef struct rl rl_t;

/* Creates a limiter for config and stores it in *out (config and out are
 * never NULL).
 * Returns 0; RL_ENOTIMPL when config->algorithm is one you do not do;
 * -EINVAL when the algorithm is none of rl_algorithm_t, window_ns is 0, or
 * limit * window_ns does not fit in 63 bits;
 * -ENOMEM when memory runs out. The algorithm decides first: -EINVAL for an
 * unknown one, RL_ENOTIMPL for one you do not do whatever the other fields
 * say, then -EINVAL for window_ns or the product. The limiter owns no
 * memory of the caller's. */
int rl_create(const rl_config_t *config, rl_t **out);

/* Frees everything the limiter holds. rl may be NULL. */
void rl_destroy(rl_t *rl);

/* Decides whether one request for key at now_ns is allowed, counts it if it
 * is, and fills *decision.
 * key: key_len bytes, binary (may hold NUL bytes), may be empty (key_len 0,
 * key may then be NULL), at most RL_KEY_MAX. The caller may reuse the bytes
 * as soon as the call returns: copy what you keep.
 * now_ns: the time, supplied by the caller; never read a clock yourself.
 * Calls for one key may arrive slightly out of order from several threads: a
 * now_ns earlier than one already seen for that key is treated as the latest
 * seen. Must be safe to call from many threads at once (stage 5).
 * Returns 0; -EINVAL for a key longer than RL_KEY_MAX, whatever the limit
 * (*decision then means nothing); -ENOMEM. */
int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision);

/* Stage 7: the token bucket of stage 3, its state kept in Redis, so that
 * many processes (ten API servers) share one limit per key. Link with
 * hiredis (#include <hiredis/hiredis.h>); the harness starts the Redis. */

/* Redis keeps numbers exact only below 2^53 (its Lua computes in doubles):
 * limit * window_ns must stay at or below this. Times need not: servers on
 * different hosts pass wall-clock ns (about 1.8e18), which a Lua number
 * would round to 256 ns; keep them exact (as text, or in two parts). */
#define RL_REDIS_EXACT_MAX (1ULL << 53)

typedef struct rl_redis_config {
  const char *host;   /* Redis's address, e.g. "127.0.0.1" */
  int port;           /* and port */
  uint64_t limit;     /* L: the token bucket's capacity, and its refill */
  uint64_t window_ns; /* per W, as in stage 3 */
  /* When Redis cannot answer a decision (it is down, restarting, or the
   * reply is an error): true lets the request through, false refuses it. */
  bool fail_open;
} rl_redis_config_t;

/* One process's handle on the shared limiter: one connection to Redis.
 * Calls on one handle come from one thread at a time; each thread or
 * process makes its own handle. Opaque to callers. */
typedef struct rl_redis rl_redis_t;

/* Connects to Redis for config and stores the handle in *out.
 * Returns 0; RL_ENOTIMPL when you do not do stage 7; -EINVAL when window_ns
 * is 0 or limit * window_ns exceeds RL_REDIS_EXACT_MAX (checked before
 * connecting); -ECONNREFUSED when Redis cannot be reached; -ENOMEM. Handles
 * made with the same config and the same Redis share every key's state: that is
 * the point. */
int rl_redis_create(const rl_redis_config_t *config, rl_redis_t **out);

/* Closes the connection and frees the handle. rl may be NULL. Leaves the
 * keys' state in Redis for the other handles. */
void rl_redis_destroy(rl_redis_t *rl);

/* Decides one request for key at now_ns exactly as stage 3's token bucket
 * would if every process's calls for the key were made on one limiter, in
 * the order Redis saw them, and fills *decision (remaining and
 * retry_after_ns as in rl_check). The decision and the update of the key's
 * state must be one atomic step in Redis. key, key_len and now_ns as in
 * rl_check; any now_ns, all processes passing times from one clock (on
 * several hosts, wall-clock ns). Redis's own clock is not that clock: if you
 * let Redis
 * expire a key, do it no sooner than W of real time after its last call.
 * Returns 0; -EINVAL for a key longer than RL_KEY_MAX; -EIO when Redis did
 * not answer (down, restarting, an error reply) — *decision is then filled
 * as config->fail_open says (allowed, or denied, with remaining 0 and
 * retry_after_ns 0), and the next call tries again (reconnecting, and
 * reloading a script the restarted Redis has forgotten) without waiting
 * for more than a few ms when Redis is still down. */
int rl_redis_check(rl_redis_t *rl, const void *key, size_t key_len,
                   uint64_t now_ns, rl_decision_t *decision);

#endif /* RATE_LIMITER_H */
