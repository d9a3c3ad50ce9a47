/* kata.c - the LRU cache kata as the harness sees it: its stages and what
 * "under load" means for it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kata.h"
#include "keytext.h"
#include "lc_api.h"
#include "lru_cache.h"
#include "resp_cache.h"

/* Keys look like real cache keys: "cache:000001234" (15 bytes). */
#define LOAD_KEY_STRIDE 15
/* The cache holds a tenth of the load's keys: evictions happen, and the
 * hit ratio tells policies apart. */
#define LOAD_CACHE_SHARE 10
/* Values are 16 to 64 bytes, by key, cut from one read-only pattern. */
#define LOAD_VALUE_MIN 16
#define LOAD_VALUE_SPREAD 49

typedef struct load_instance {
  lc_api_t api;
  lc_t *cache;
  uint64_t hits, misses; /* as of the last measure */
} load_instance_t;

static keytext_t load_keys;
static const char load_value[LOAD_VALUE_MIN + LOAD_VALUE_SPREAD] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

static int prepare_keys(uint64_t key_count) {
  return keytext_build(&load_keys, "cache:", LOAD_KEY_STRIDE, key_count);
}

static void release_keys(void) {
  keytext_free(&load_keys);
}

/* A cache of policy that holds a tenth of the load's keys. */
static int create_for(const plugin_t *plugin, lc_policy_t policy,
                      void **instance) {
  load_instance_t *load = calloc(1, sizeof *load);
  if (load == NULL)
    return -ENOMEM;
  const char *missing;
  if (lc_api_bind(plugin, &load->api, &missing) != 0) {
    free(load);
    return -ENOENT;
  }
  uint64_t entries = load_keys.count / LOAD_CACHE_SHARE;
  lc_config_t config = {policy, entries > 0 ? entries : 1, 0};
  int rc = load->api.create(&config, &load->cache);
  if (rc != 0) {
    free(load);
    return rc;
  }
  *instance = load;
  return 0;
}

static void destroy(void *instance) {
  load_instance_t *load = instance;
  load->api.destroy(load->cache);
  free(load);
}

/* One in ten operations is a put (an overwrite, mostly); the others are
 * gets that put the value on a miss, as a read-through cache does. Which
 * is which follows from key and now_ns, with no shared state. */
static int operate(void *instance, kata_thread_t *thread, uint64_t key,
                   uint64_t now_ns) {
  (void)thread;
  load_instance_t *load = instance;
  const char *bytes = keytext_at(&load_keys, key);
  size_t value_len = LOAD_VALUE_MIN + key % LOAD_VALUE_SPREAD;
  uint64_t mix = (key ^ now_ns) * 0x9e3779b97f4a7c15ULL;
  if ((mix >> 32) % 10 == 0)
    return load->api.put(load->cache, bytes, LOAD_KEY_STRIDE, load_value,
                         value_len, LC_NO_TTL, now_ns);
  char buffer[LOAD_VALUE_MIN + LOAD_VALUE_SPREAD];
  size_t got_len;
  bool found;
  int rc = load->api.get(load->cache, bytes, LOAD_KEY_STRIDE, now_ns, buffer,
                         sizeof buffer, &got_len, &found);
  if (rc != 0 || found)
    return rc;
  return load->api.put(load->cache, bytes, LOAD_KEY_STRIDE, load_value,
                       value_len, LC_NO_TTL, now_ns);
}

/* The hit ratio since the last measure, and the entries held now. */
static void measure(void *instance, kata_measure_t *out) {
  load_instance_t *load = instance;
  lc_stats_t stats;
  if (load->api.stats(load->cache, &stats) != 0)
    return;
  uint64_t hits = stats.hits - load->hits, misses = stats.misses - load->misses;
  if (hits + misses > 0)
    out->metrics[out->metric_count++] =
        (kata_metric_t){"hits", "%", (double)hits / (double)(hits + misses)};
  out->entries = (int64_t)stats.items;
  load->hits = stats.hits;
  load->misses = stats.misses;
}

static int create_lru(const plugin_t *plugin, void *context, void **instance) {
  (void)context;
  return create_for(plugin, LC_POLICY_LRU, instance);
}

static int create_own(const plugin_t *plugin, void *context, void **instance) {
  (void)context;
  return create_for(plugin, LC_POLICY_OWN, instance);
}

static const kata_stage_t stages[] = {
    {1, "lru", "LRU semantics", 0},
    {2, "constant_time", "O(1) operations", 0},
    {3, "memory", "bytes and memory", 0},
    {4, "ttl", "TTL", 0},
    {5, "concurrency", "concurrency", 0},
    {6, "beat_lru", "beat LRU (optional)", .one_of_set_suffices = 1,
     .optional = 1},
};

/* check runs the last workload whose stage passed: LRU, so that the
 * learner's cache is measured beside the naive baseline; bench runs both. */
static const kata_workload_t workloads[] = {
    {"own policy, 90% gets, cache of 10% of the keys", 6, create_own, destroy,
     operate, measure},
    {"LRU, 90% gets, cache of 10% of the keys", 1, create_lru, destroy, operate,
     measure},
};

const kata_t kata_lru_cache = {
    .name = "lru_cache",
    .title = "LRU cache",
    .header = "lru_cache.h",
    .stages = stages,
    .stage_count = sizeof stages / sizeof stages[0],
    .workloads = workloads,
    .workload_count = sizeof workloads / sizeof workloads[0],
    /* The naive baseline scans its entries: at 100 K keys (a cache of
     * 10 K) it fills in about a second, at 1 M in far more than the fill
     * budget; bench measures 1 M. */
    .check_keys = 100000,
    .prepare_keys = prepare_keys,
    .release_keys = release_keys,
    .options = resp_cache_options,
    .option_count = RESP_CACHE_OPTION_COUNT,
    .serve_open = resp_cache_open,
    .serve_close = resp_cache_close,
    .serve_resp = resp_cache_command,
    .serve_port = 6380,
};
