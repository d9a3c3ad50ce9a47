/* rl_redis.h - stage 7's fixture: a private redis-server for each test, the
 * plug-in's rl_redis_* functions, and Redis-backed limiters that rls_check
 * model-checks as it does in-process ones. */
#ifndef RL_REDIS_H
#define RL_REDIS_H

#include <stdbool.h>
#include <stdint.h>

#include "rate_limiter.h"
#include "rl_suite.h"

/* Binds the functions on first use; skips the test (not attempted) when
 * the plug-in has none of them, as a solution.c written before stage 7
 * existed, and fails it when it has only some. */
const rl_redis_api_t *rlr_api(void);

/* The suite's .init: the crash guard, then a fresh redis-server on a free
 * loopback port (fails the test, saying why, when it cannot start). */
void rlr_setup(void);

/* The suite's .fini: stops the server and removes its directory. */
void rlr_teardown(void);

/* The port of this test's redis-server on 127.0.0.1. */
int rlr_port(void);

/* Stops this test's redis-server and starts an empty one on the same port:
 * every key and loaded script is gone, as after a crash without
 * persistence. */
void rlr_restart(void);

/* Opens a Redis-backed limiter on this test's server into limiter (its
 * model: stage 3's token bucket with limit and window_ns); skips the test
 * when rl_redis_create answers RL_ENOTIMPL, fails it on another error. */
void rlr_open(rls_limiter_t *limiter, uint64_t limit, uint64_t window_ns,
              bool fail_open);

/* rl_redis_destroy, and forgets the handle. */
void rlr_close(rls_limiter_t *limiter);

#endif /* RL_REDIS_H */
