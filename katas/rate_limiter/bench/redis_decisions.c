/* redis_decisions.c - closed-loop rate-limit decisions against Redis: N
 * threads, each with its own rl_redis handle (one connection) from a
 * plug-in, on random keys at a frozen time; prints decisions/s and the
 * latency percentiles. With --sha it loads the reference's script and
 * prints its SHA1, so that redis-benchmark can run the same script
 * (katas/rate_limiter/bench/redis_compare.sh). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "gcra_script.h"
#include "hist.h"
#include "plugin.h"
#include "rate_limiter.h"
#include "rl_api.h"
#include "rng.h"

#define MAX_CONNECTIONS 256
/* The config every decision uses, and the frozen time: the same words
 * redis_compare.sh gives redis-benchmark's EVALSHA. */
#define LIMIT 100
#define WINDOW_NS 1000000000ULL
#define FROZEN_NOW_NS 1000000000000ULL

typedef struct options {
  int port;
  int connections;
  double seconds;
  uint64_t keys;
  const char *plugin;
  int print_sha;
} options_t;

typedef struct worker {
  pthread_t thread;
  const options_t *options;
  const rl_redis_api_t *api;
  uint64_t seed;
  uint64_t deadline_ns;
  hist_t hist;
  uint64_t decisions;
  uint64_t errors;
  int rc;
} worker_t;

static void *worker_main(void *argument) {
  worker_t *worker = argument;
  rl_redis_config_t config = {"127.0.0.1", worker->options->port, LIMIT,
                              WINDOW_NS, false};
  rl_redis_t *handle = NULL;
  worker->rc = worker->api->create(&config, &handle);
  if (worker->rc != 0)
    return NULL;
  rng_t rng;
  rng_seed(&rng, worker->seed);
  for (;;) {
    uint64_t start = clock_now_ns();
    if (start >= worker->deadline_ns)
      break;
    char key[32];
    int len = snprintf(key, sizeof key, "bench:%" PRIu64,
                       rng_below(&rng, worker->options->keys));
    rl_decision_t decision;
    int rc =
        worker->api->check(handle, key, (size_t)len, FROZEN_NOW_NS, &decision);
    hist_record(&worker->hist, clock_now_ns() - start);
    worker->decisions++;
    worker->errors += rc != 0;
  }
  worker->api->destroy(handle);
  return NULL;
}

/* Loads the reference's script into Redis and prints its SHA1. */
static int print_sha(int port) {
  redisContext *redis = redisConnect("127.0.0.1", port);
  if (redis == NULL || redis->err) {
    fprintf(stderr, "redis_decisions: cannot connect to 127.0.0.1:%d\n", port);
    return 1;
  }
  redisReply *reply = redisCommand(redis, "SCRIPT LOAD %s", gcra_script);
  int ok = reply != NULL && reply->type == REDIS_REPLY_STRING;
  if (ok)
    printf("%s\n", reply->str);
  if (reply != NULL)
    freeReplyObject(reply);
  redisFree(redis);
  return ok ? 0 : 1;
}

static int bind_api(const char *path, plugin_t *plugin, rl_redis_api_t *api) {
  const char *why = NULL;
  if (plugin_open(plugin, path, "reference", &why) != 0) {
    fprintf(stderr, "redis_decisions: cannot load %s: %s\n", path, why);
    return -ENOENT;
  }
  const char *missing;
  if (rl_redis_api_bind(plugin, api, &missing) != 0) {
    fprintf(stderr, "redis_decisions: %s does not define %s()\n", path,
            missing);
    return -ENOENT;
  }
  return 0;
}

static int run(const options_t *options) {
  plugin_t plugin;
  rl_redis_api_t api;
  if (bind_api(options->plugin, &plugin, &api) != 0)
    return 1;
  static worker_t workers[MAX_CONNECTIONS];
  uint64_t start = clock_now_ns();
  uint64_t deadline = start + (uint64_t)(options->seconds * 1e9);
  for (int i = 0; i < options->connections; i++) {
    workers[i] = (worker_t){.options = options,
                            .api = &api,
                            .seed = 0x5eed0000ULL + (uint64_t)i,
                            .deadline_ns = deadline};
    hist_reset(&workers[i].hist);
    pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
  }
  hist_t all;
  hist_reset(&all);
  uint64_t decisions = 0, errors = 0;
  int failed = 0;
  for (int i = 0; i < options->connections; i++) {
    pthread_join(workers[i].thread, NULL);
    if (workers[i].rc != 0 && !failed++)
      fprintf(stderr, "redis_decisions: rl_redis_create returned %d\n",
              workers[i].rc);
    hist_merge(&all, &workers[i].hist);
    decisions += workers[i].decisions;
    errors += workers[i].errors;
  }
  double elapsed = (double)(clock_now_ns() - start) / 1e9;
  printf("connections %d decisions/s %.0f p50_us %.1f p99_us %.1f "
         "errors %" PRIu64 "\n",
         options->connections, (double)decisions / elapsed,
         (double)hist_quantile(&all, 0.50) / 1000.0,
         (double)hist_quantile(&all, 0.99) / 1000.0, errors);
  plugin_close(&plugin);
  return failed || errors ? 1 : 0;
}

int main(int argc, char **argv) {
  options_t options = {.port = 6379,
                       .connections = 1,
                       .seconds = 5,
                       .keys = 100000,
                       .plugin = SDKATA_BUILD_DIR
                       "/plugins/rate_limiter/reference/redis_gcra.so"};
  static const struct option long_options[] = {
      {"port", required_argument, NULL, 'p'},
      {"connections", required_argument, NULL, 'c'},
      {"seconds", required_argument, NULL, 's'},
      {"keys", required_argument, NULL, 'k'},
      {"plugin", required_argument, NULL, 'l'},
      {"sha", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int option;
  while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    switch (option) {
    case 'p': options.port = atoi(optarg); break;
    case 'c': options.connections = atoi(optarg); break;
    case 's': options.seconds = atof(optarg); break;
    case 'k': options.keys = strtoull(optarg, NULL, 10); break;
    case 'l': options.plugin = optarg; break;
    case 'h': options.print_sha = 1; break;
    default:
      fprintf(stderr, "usage: redis_decisions --port P [--connections N] "
                      "[--seconds S] [--keys K] [--plugin SO] | --port P "
                      "--sha\n");
      return 2;
    }
  }
  if (options.print_sha)
    return print_sha(options.port);
  if (options.connections < 1 || options.connections > MAX_CONNECTIONS ||
      options.keys == 0 || options.seconds <= 0) {
    fprintf(stderr,
            "redis_decisions: connections 1..%d, keys > 0, "
            "seconds > 0\n",
            MAX_CONNECTIONS);
    return 2;
  }
  clock_calibrate();
  return run(&options);
}
