/* kata.c - the rate limiter kata as the harness sees it: its stages, what
 * "under load" means for it, and its HTTP gateway. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "gateway.h"
#include "kata.h"
#include "keytext.h"
#include "rate_limiter.h"
#include "rl_api.h"

/* Under load: a limit of 100 requests per second per key, so that hot keys
 * are denied often and cold keys are allowed: both paths are exercised. */
#define LOAD_LIMIT 100
#define LOAD_WINDOW_NS 1000000000ULL
/* Keys look like real client ids: "client:00001234" (15 bytes). */
#define LOAD_KEY_STRIDE 15

typedef struct load_instance {
  rl_api_t api;
  rl_t *limiter;
} load_instance_t;

static keytext_t load_keys;

static int prepare_keys(uint64_t key_count) {
  return keytext_build(&load_keys, "client:", LOAD_KEY_STRIDE, key_count);
}

static void release_keys(void) {
  keytext_free(&load_keys);
}

static int create_for(const plugin_t *plugin, rl_algorithm_t algorithm,
                      void **instance) {
  load_instance_t *load = calloc(1, sizeof *load);
  if (load == NULL)
    return -ENOMEM;
  const char *missing;
  if (rl_api_bind(plugin, &load->api, &missing) != 0) {
    free(load);
    return -ENOENT;
  }
  rl_config_t config = {algorithm, LOAD_LIMIT, LOAD_WINDOW_NS};
  int rc = load->api.create(&config, &load->limiter);
  if (rc != 0) {
    free(load);
    return rc;
  }
  *instance = load;
  return 0;
}

static void destroy(void *instance) {
  load_instance_t *load = instance;
  load->api.destroy(load->limiter);
  free(load);
}

static int operate(void *instance, kata_thread_t *thread, uint64_t key,
                   uint64_t now_ns) {
  (void)thread;
  load_instance_t *load = instance;
  rl_decision_t decision;
  return load->api.check(load->limiter, keytext_at(&load_keys, key),
                         LOAD_KEY_STRIDE, now_ns, &decision);
}

static int create_fixed_window(const plugin_t *plugin, void *context,
                               void **instance) {
  (void)context;
  return create_for(plugin, RL_FIXED_WINDOW, instance);
}

static int create_sliding_log(const plugin_t *plugin, void *context,
                              void **instance) {
  (void)context;
  return create_for(plugin, RL_SLIDING_LOG, instance);
}

static int create_token_bucket(const plugin_t *plugin, void *context,
                               void **instance) {
  (void)context;
  return create_for(plugin, RL_TOKEN_BUCKET, instance);
}

static int create_sliding_window(const plugin_t *plugin, void *context,
                                 void **instance) {
  (void)context;
  return create_for(plugin, RL_SLIDING_WINDOW, instance);
}

/* Stage 7 runs on Redis, through hiredis. */
static const char *const libraries[] = {"-lhiredis", NULL};

static const kata_stage_t stages[] = {
    {1, "fixed_window", "fixed window", 0},
    {2, "sliding_log", "sliding log", 0},
    {3, "token_bucket", "token bucket", 0},
    {4, "sliding_window", "sliding window counter", 0},
    {5, "concurrency", "concurrency", 0},
    {6, "memory", "memory", 0},
    {7, "redis", "distributed on Redis", 0},
};

static const kata_workload_t workloads[] = {
    {"fixed window", 1, create_fixed_window, destroy, operate, NULL},
    {"sliding log", 2, create_sliding_log, destroy, operate, NULL},
    {"token bucket", 3, create_token_bucket, destroy, operate, NULL},
    {"sliding window counter", 4, create_sliding_window, destroy, operate,
     NULL},
};

const kata_t kata_rate_limiter = {
    .name = "rate_limiter",
    .title = "rate limiter",
    .header = "rate_limiter.h",
    .libraries = libraries,
    .stages = stages,
    .stage_count = sizeof stages / sizeof stages[0],
    .workloads = workloads,
    .workload_count = sizeof workloads / sizeof workloads[0],
    .prepare_keys = prepare_keys,
    .release_keys = release_keys,
    .options = gateway_options,
    .option_count = GATEWAY_OPTION_COUNT,
    .serve_open = gateway_open,
    .serve_close = gateway_close,
    .serve_http = gateway_http,
};
