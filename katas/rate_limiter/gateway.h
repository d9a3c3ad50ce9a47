/* gateway.h - the rate limiter served over HTTP: the kata's serve hooks. */
#ifndef RATE_LIMITER_GATEWAY_H
#define RATE_LIMITER_GATEWAY_H

#include "http.h"
#include "options.h"
#include "plugin.h"

/* The gateway's options, in the order of gateway_options. */
enum {
  GATEWAY_ALGORITHM, /* fixed_window ... sliding_window, or redis: stage 7's
                        limiter; unset: the first in-process one the
                        plug-in implements */
  GATEWAY_LIMIT,     /* requests per window, default 10 */
  GATEWAY_WINDOW,    /* ns, default 1 s */
  GATEWAY_REDIS,     /* with redis: HOST:PORT; unset: a redis-server started
                        for this gateway and stopped with it */
  GATEWAY_FAIL_OPEN, /* with redis: 0 or 1, default 0 */
  GATEWAY_OPTION_COUNT
};
extern const option_spec_t gateway_options[GATEWAY_OPTION_COUNT];

/* Creates a limiter from plugin for values (one per gateway_options);
 * loop is the server's (unused: every answer is given at once).
 * Returns 0, -ENOSYS when the plug-in lacks the algorithm, -EINVAL for
 * options that do not go together (said on stderr), or the create
 * function's error. */
int gateway_open(const plugin_t *plugin, const option_value_t *values,
                 uv_loop_t *loop, void **state);

void gateway_close(void *state);

/* Answers one request: the client is the X-Client-Id header or the key
 * query parameter; GET /healthz is never limited. 200 allowed, 429 limited
 * (Retry-After), both with the RateLimit-Policy and RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers; 400 without a usable client id;
 * on Redis, when it does not answer: 200 failing open, or 503 with
 * Retry-After failing closed; 500 when the limiter fails otherwise. */
void gateway_http(void *state, const http_request_t *req, http_response_t *res);

#endif /* RATE_LIMITER_GATEWAY_H */
