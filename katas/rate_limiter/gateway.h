/* gateway.h - the rate limiter served over HTTP: the kata's serve hooks. */
#ifndef RATE_LIMITER_GATEWAY_H
#define RATE_LIMITER_GATEWAY_H

#include "http.h"
#include "plugin.h"

/* Creates a limiter from plugin for options: "algorithm=NAME" (fixed_window,
 * sliding_log, token_bucket, sliding_window, or redis for stage 7's;
 * default: the first in-process one the plug-in implements), "limit=N"
 * (default 10), "window=SECONDS" (decimal, default 1); with redis,
 * "redis=HOST:PORT" (default: a redis-server started for this gateway and
 * stopped with it) and "fail_open=0|1" (default 0). Returns 0, -ENOSYS
 * when the plug-in lacks the algorithm, -EINVAL for wrong options (said on
 * stderr), or the create function's error. */
int gateway_open(const plugin_t *plugin, const char *options, void **state);

void gateway_close(void *state);

/* Answers one request: the client is the X-Client-Id header or the key
 * query parameter; GET /healthz is never limited. 200 allowed, 429 limited
 * (Retry-After), both with the RateLimit-Policy and RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers; 400 without a usable client id;
 * on Redis, when it does not answer: 200 failing open, or 503 with
 * Retry-After failing closed; 500 when the limiter fails otherwise. */
void gateway_http(void *state, const http_request_t *req, http_response_t *res);

#endif /* RATE_LIMITER_GATEWAY_H */
