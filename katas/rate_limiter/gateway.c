/* gateway.c - the rate limiter served over HTTP (sdkata serve): one limiter
 * from a plug-in, in-process or on Redis (stage 7), one decision per
 * request, answered with the RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers-11. */
#include "gateway.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rate_limiter.h"
#include "redis_server.h"
#include "rl_api.h"

#define DEFAULT_LIMIT 10
#define NS_PER_SECOND 1000000000ULL
/* Retry-After when no wait will ever do (limit 0, RL_NEVER): HTTP's
 * delay-seconds has no "never", so a year stands for it. It is still a
 * valid delay that fits the 31 bits many clients parse it into, and no
 * client that honours it comes back while the policy stands. */
#define NEVER_SECONDS (365ULL * 24 * 3600)
/* The quota policy's name in both fields; this server has one policy. */
#define POLICY "\"default\""

/* What the options ask for beyond rl_config_t: the limiter on Redis. */
typedef struct redis_options {
  int wanted;     /* algorithm=redis */
  char host[256]; /* redis=HOST:PORT; "" starts a redis-server of our own */
  int port;
  int fail_open; /* fail_open=1 */
} redis_options_t;

typedef struct gateway {
  rl_api_t api;
  rl_t *limiter;
  rl_config_t config;
  /* Stage 7: the shared limiter, when algorithm=redis. */
  rl_redis_api_t redis_api;
  rl_redis_t *redis;
  redis_options_t redis_options;
  redis_server_t *own_redis; /* the redis-server this gateway started */
  char policy[96]; /* the RateLimit-Policy value, the same on every answer */
} gateway_t;

/* The options' choices of algorithm: rl_algorithm_t's values from 1, then
 * stage 7's limiter on Redis. */
static const char *const algorithm_names[] = {"fixed_window", "sliding_log",
                                              "token_bucket", "sliding_window",
                                              "redis",        NULL};
#define ALGORITHM_COUNT 4
#define ALGORITHM_REDIS 4 /* the index of "redis" */

const option_spec_t gateway_options[GATEWAY_OPTION_COUNT] = {
    [GATEWAY_ALGORITHM] = {"algorithm", OPTION_CHOICE, NULL,
                           "the limiter (default: the first your file "
                           "implements)",
                           algorithm_names},
    [GATEWAY_LIMIT] = {"limit", OPTION_COUNT, "10",
                       "requests per window per client", NULL, 0, 0},
    [GATEWAY_WINDOW] = {"window", OPTION_SECONDS, "1", "the window", NULL, 1,
                        0},
    [GATEWAY_REDIS] = {"redis", OPTION_ADDRESS, NULL,
                       "algorithm=redis: the Redis to share (default: a "
                       "redis-server of its own)"},
    [GATEWAY_FAIL_OPEN] = {"fail_open", OPTION_FLAG, "0",
                           "algorithm=redis: allow when Redis does not "
                           "answer"},
};

/* Fills config and redis from values; algorithm 0 means "not asked for".
 * Returns 0 or -EINVAL (said on stderr). */
static int read_options(const option_value_t *values, rl_config_t *config,
                        redis_options_t *redis) {
  const option_value_t *algorithm = &values[GATEWAY_ALGORITHM];
  *config = (rl_config_t){0, values[GATEWAY_LIMIT].number,
                          values[GATEWAY_WINDOW].number};
  *redis = (redis_options_t){0};
  redis->wanted = algorithm->set && algorithm->number == ALGORITHM_REDIS;
  if (algorithm->set && !redis->wanted)
    config->algorithm = (rl_algorithm_t)(algorithm->number + 1);
  redis->fail_open = (int)values[GATEWAY_FAIL_OPEN].number;
  if (values[GATEWAY_REDIS].set) {
    snprintf(redis->host, sizeof redis->host, "%s", values[GATEWAY_REDIS].host);
    redis->port = values[GATEWAY_REDIS].port;
  }
  if (!redis->wanted &&
      (values[GATEWAY_REDIS].given || values[GATEWAY_FAIL_OPEN].given)) {
    fprintf(stderr, "rate_limiter serve: redis= and fail_open= go with "
                    "algorithm=redis\n");
    return -EINVAL;
  }
  return 0;
}

/* Creates the limiter for config, or for the first algorithm the plug-in
 * implements when config names none. */
static int create_limiter(gateway_t *gateway) {
  int rc = -ENOSYS;
  if (gateway->config.algorithm != 0) {
    rc = gateway->api.create(&gateway->config, &gateway->limiter);
  } else {
    for (int a = 1; a <= ALGORITHM_COUNT && rc == -ENOSYS; a++) {
      gateway->config.algorithm = (rl_algorithm_t)a;
      rc = gateway->api.create(&gateway->config, &gateway->limiter);
      if (rc == RL_ENOTIMPL)
        rc = -ENOSYS;
    }
  }
  if (rc == -EINVAL)
    fprintf(stderr,
            "rate_limiter serve: rl_create refused limit %llu per %llu ns "
            "(limit x window must fit in 63 bits)\n",
            (unsigned long long)gateway->config.limit,
            (unsigned long long)gateway->config.window_ns);
  return rc == RL_ENOTIMPL ? -ENOSYS : rc;
}

/* Whole seconds, rounded up: a client that waits this long is not early. */
static uint64_t ceil_seconds(uint64_t ns) {
  return ns / NS_PER_SECOND + (ns % NS_PER_SECOND != 0);
}

/* A clock's time in ns. In-process limits use CLOCK_MONOTONIC (it never
 * jumps); limits shared through Redis use CLOCK_REALTIME, the one clock
 * that gateways on several hosts share (kept close by NTP; a step back is
 * taken as the key's latest time). */
static uint64_t clock_ns(clockid_t clock) {
  struct timespec now;
  clock_gettime(clock, &now);
  return (uint64_t)now.tv_sec * NS_PER_SECOND + (uint64_t)now.tv_nsec;
}

/* The in-process limiter. Returns 0, -ENOSYS, or rl_create's error. */
static int open_local(gateway_t *gateway, const plugin_t *plugin) {
  const char *missing;
  if (rl_api_bind(plugin, &gateway->api, &missing) != 0)
    return -ENOSYS;
  return create_limiter(gateway);
}

/* Starts a redis-server for this gateway alone and points the options at
 * it. Returns 0 or redis_server_start's error (said on stderr). */
static int start_own_redis(gateway_t *gateway) {
  gateway->own_redis = calloc(1, sizeof *gateway->own_redis);
  if (gateway->own_redis == NULL)
    return -ENOMEM;
  int rc = redis_server_start(gateway->own_redis);
  if (rc != 0) {
    fprintf(stderr, "rate_limiter serve: %s\n", gateway->own_redis->message);
    free(gateway->own_redis);
    gateway->own_redis = NULL;
    return rc;
  }
  redis_options_t *redis = &gateway->redis_options;
  snprintf(redis->host, sizeof redis->host, "127.0.0.1");
  redis->port = redis_server_port(gateway->own_redis);
  fprintf(stderr,
          "rate_limiter serve: started redis-server on 127.0.0.1:%d for "
          "this gateway; give other gateways redis=127.0.0.1:%d to share "
          "its limits\n",
          redis->port, redis->port);
  return 0;
}

static void stop_own_redis(gateway_t *gateway) {
  if (gateway->own_redis == NULL)
    return;
  redis_server_stop(gateway->own_redis);
  free(gateway->own_redis);
  gateway->own_redis = NULL;
}

/* Stage 7's limiter, on the Redis the options name or on one of its own.
 * Returns 0, -ENOSYS when the plug-in has no rl_redis_create (or says not
 * implemented), or another error (said on stderr). */
static int open_redis(gateway_t *gateway, const plugin_t *plugin) {
  const char *missing;
  if (rl_redis_api_bind(plugin, &gateway->redis_api, &missing) != 0)
    return -ENOSYS;
  redis_options_t *redis = &gateway->redis_options;
  int rc = redis->host[0] == '\0' ? start_own_redis(gateway) : 0;
  if (rc != 0)
    return rc;
  rl_redis_config_t config = {redis->host, redis->port, gateway->config.limit,
                              gateway->config.window_ns, redis->fail_open != 0};
  rc = gateway->redis_api.create(&config, &gateway->redis);
  if (rc == -EINVAL)
    fprintf(stderr,
            "rate_limiter serve: rl_redis_create refused limit %llu per "
            "%llu ns (limit x window must stay within 2^53)\n",
            (unsigned long long)config.limit,
            (unsigned long long)config.window_ns);
  else if (rc != 0 && rc != RL_ENOTIMPL)
    fprintf(stderr,
            "rate_limiter serve: rl_redis_create could not use "
            "Redis at %s:%d: %s\n",
            redis->host, redis->port, strerror(-rc));
  if (rc != 0)
    stop_own_redis(gateway);
  return rc == RL_ENOTIMPL ? -ENOSYS : rc;
}

int gateway_open(const plugin_t *plugin, const option_value_t *values,
                 uv_loop_t *loop, void **state) {
  (void)loop; /* every answer is given at once */
  gateway_t *gateway = calloc(1, sizeof *gateway);
  if (gateway == NULL)
    return -ENOMEM;
  int rc = read_options(values, &gateway->config, &gateway->redis_options);
  if (rc == 0)
    rc = gateway->redis_options.wanted ? open_redis(gateway, plugin)
                                       : open_local(gateway, plugin);
  if (rc != 0) {
    free(gateway);
    return rc;
  }
  /* The draft's w is whole seconds ("sub-second precision is not
   * supported"): a shorter window is advertised as 1. */
  uint64_t window_seconds = ceil_seconds(gateway->config.window_ns);
  snprintf(gateway->policy, sizeof gateway->policy, POLICY ";q=%llu;w=%llu",
           (unsigned long long)gateway->config.limit,
           (unsigned long long)(window_seconds ? window_seconds : 1));
  *state = gateway;
  return 0;
}

void gateway_close(void *state) {
  gateway_t *gateway = state;
  if (gateway->redis != NULL) {
    gateway->redis_api.destroy(gateway->redis);
    stop_own_redis(gateway);
  } else {
    gateway->api.destroy(gateway->limiter);
  }
  free(gateway);
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The key query parameter of target, %XX-decoded into key (RL_KEY_MAX + 1
 * bytes); its length, or -1 when there is none or it is empty. A longer
 * key stops at RL_KEY_MAX + 1 bytes, which the caller rejects. */
static long query_key(const char *target, char *key) {
  const char *query = strchr(target, '?');
  for (const char *param = query; param != NULL;
       param = strchr(param + 1, '&')) {
    if (strncmp(param + 1, "key=", 4) != 0)
      continue;
    long len = 0;
    for (const char *c = param + 5;
         *c != '\0' && *c != '&' && *c != '#' && len <= RL_KEY_MAX; c++) {
      int high = c[0] == '%' ? hex_value(c[1]) : -1;
      int low = high >= 0 ? hex_value(c[2]) : -1;
      if (low >= 0) {
        key[len++] = (char)(high * 16 + low);
        c += 2;
      } else {
        key[len++] = *c;
      }
    }
    return len > 0 ? len : -1;
  }
  return -1;
}

static void answer_text(http_response_t *res, int status, const char *text) {
  http_response_set_status(res, status);
  http_response_add_header(res, "Content-Type", "text/plain; charset=utf-8");
  http_response_append(res, text, strlen(text));
}

/* The RateLimit fields for a decision; on a denial also Retry-After. */
static void add_rate_limit_fields(const gateway_t *gateway,
                                  const rl_decision_t *decision,
                                  http_response_t *res) {
  uint64_t wait = decision->retry_after_ns == RL_NEVER
                      ? NEVER_SECONDS
                      : ceil_seconds(decision->retry_after_ns);
  /* A denial always asks for a real wait: Retry-After 0 would invite a
   * client to retry in a tight loop. */
  if (!decision->allowed && wait == 0)
    wait = 1;
  char value[96];
  http_response_add_header(res, "RateLimit-Policy", gateway->policy);
  /* t is the draft's effective window: when the quota left, r, is back.
   * The contract only says when the next request is allowed again, which
   * is that moment once r is 0; while r > 0 (retry_after is 0) it says
   * nothing about it, so t, optional in the draft, is left out rather
   * than claimed to be 0. */
  if (decision->remaining == 0)
    snprintf(value, sizeof value, POLICY ";r=0;t=%llu",
             (unsigned long long)wait);
  else
    snprintf(value, sizeof value, POLICY ";r=%llu",
             (unsigned long long)decision->remaining);
  http_response_add_header(res, "RateLimit", value);
  if (!decision->allowed) {
    snprintf(value, sizeof value, "%llu", (unsigned long long)wait);
    http_response_add_header(res, "Retry-After", value);
  }
}

void gateway_http(void *state, const http_request_t *req,
                  http_response_t *res) {
  gateway_t *gateway = state;
  size_t path_len = strcspn(req->target, "?#");
  if (path_len == 8 && strncmp(req->target, "/healthz", 8) == 0) {
    answer_text(res, 200, "ok\n");
    return;
  }
  char query[RL_KEY_MAX + 1];
  size_t key_len;
  const char *key = http_request_header(req, "X-Client-Id", &key_len);
  if (key == NULL || key_len == 0) {
    long len = query_key(req->target, query);
    key = len > 0 ? query : NULL;
    key_len = len > 0 ? (size_t)len : 0;
  }
  if (key == NULL) {
    answer_text(res, 400,
                "missing client id: send an X-Client-Id header or a key "
                "query parameter (?key=...)\n");
    return;
  }
  if (key_len > RL_KEY_MAX) {
    answer_text(res, 400, "client id longer than 1024 bytes\n");
    return;
  }
  rl_decision_t decision;
  int rc = gateway->redis != NULL
               ? gateway->redis_api.check(gateway->redis, key, key_len,
                                          clock_ns(CLOCK_REALTIME), &decision)
               : gateway->api.check(gateway->limiter, key, key_len,
                                    clock_ns(CLOCK_MONOTONIC), &decision);
  if (rc == -EIO && gateway->redis != NULL) {
    /* Redis did not answer: the decision is what fail_open says. */
    if (decision.allowed) {
      answer_text(res, 200,
                  "ok (rate limiting is unavailable: Redis did not answer; "
                  "failing open)\n");
    } else {
      http_response_add_header(res, "Retry-After", "1");
      answer_text(res, 503,
                  "rate limiting is unavailable: Redis did not answer; "
                  "failing closed\n");
    }
    return;
  }
  if (rc != 0) {
    char text[128];
    snprintf(text, sizeof text, "rate limiter error: %s\n", strerror(-rc));
    answer_text(res, 500, text);
    return;
  }
  add_rate_limit_fields(gateway, &decision, res);
  if (decision.allowed)
    answer_text(res, 200, "ok\n");
  else
    answer_text(res, 429, "rate limited\n");
}
