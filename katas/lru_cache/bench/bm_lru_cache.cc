/* bm_lru_cache.cc - ns per cache operation (90% gets that put on a miss,
 * 10% puts; Zipf 0.99 keys): each reference, and the naive baseline at
 * 10 K entries, full caches of 1 M, 100 K and 10 K entries, 1 and 2
 * threads. */
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "keydist.h"
/* In C++ the function lc_stats hides the struct of the same name, which C
 * keeps apart; this file never names the struct. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#include "lc_api.h"
#pragma GCC diagnostic pop
#include "memstat.h"
#include "plugin.h"
#include "rng.h"
}

namespace {

constexpr uint64_t kMaxKeys = 1000000;
/* Keys and values of the sizes the issue names (~16 and ~32 bytes), as
 * stage 3 measures overhead with: "cache:0000001234", a fixed pattern. */
constexpr size_t kKeyLen = 16;
constexpr size_t kValueLen = 32;
constexpr char kValue[kValueLen + 1] = "0123456789abcdefghijklmnopqrstuv";
constexpr size_t kRingSize = size_t{1} << 20; /* a power of two */
/* A ring entry is a key number, with this bit set for a put. */
constexpr uint32_t kPutBit = uint32_t{1} << 31;
constexpr uint64_t kPutOneIn = 10;
/* No entry has a TTL, so time only has to be plausible: each thread counts
 * its own from here, kStepNs per call, with no clock read measured. */
constexpr uint64_t kStartNs = uint64_t{1000} * 1000000000;
constexpr uint64_t kStepNs = 4;
constexpr int kMaxThreads = 2;
constexpr size_t kPrefetch = 8; /* operations ahead */

/* One plug-in, opened once for the whole process, and its contract. */
struct Api {
  plugin_t plugin{};
  std::string error; /* empty when the plug-in loaded */
  lc_api_t fn{};

  Api() = default;
  Api(const Api &) = delete;
  Api &operator=(const Api &) = delete;
  ~Api() {
    if (error.empty())
      plugin_close(&plugin);
  }
};

/* A cache size: that many keys, drawn by Zipf 0.99, in a cache of that
 * many entries, and the operations each thread does in one run. */
struct Size {
  const char *name;
  uint64_t keys;
  int64_t calls;
};

/* One registered benchmark family: BM_lru_cache/<plug-in>/<size>. */
struct Case {
  std::string name;
  std::string path; /* the plug-in's .so */
  lc_policy_t policy;
  int size; /* index into kSizes */
};

/* Per thread, a pass over the ring on the large caches. Naive, O(n) per
 * operation, runs only at 10 K entries, and a quarter pass there keeps its
 * runs near a second; the references do the same, to do the same work. */
const Size kSizes[] = {
    {"1M", kMaxKeys, static_cast<int64_t>(kRingSize)},
    {"100K", 100000, static_cast<int64_t>(kRingSize)},
    {"10K", 10000, static_cast<int64_t>(kRingSize / 4)},
};
constexpr int kSizeCount = sizeof kSizes / sizeof kSizes[0];

/* One family's cache, filled with every key once, untimed, and kept for
 * all of the family's runs (1 then 2 threads, each repetition): every run
 * finds a full cache, so a get misses only if the policy evicted on an
 * overwrite, which the hit ratio counter would show. */
struct Cache {
  const Api *api;
  lc_t *lc;
  double overhead = -1; /* bytes per entry beyond key and value; -1: none */

  Cache(const Api *a, lc_t *c) : api(a), lc(c) {}
  Cache(const Cache &) = delete;
  Cache &operator=(const Cache &) = delete;
  ~Cache() { api->fn.destroy(lc); }
};

/* Declared in this order so the caches go before their plug-ins at exit. */
std::map<std::string, std::unique_ptr<Api>> g_apis;
std::map<std::string, std::unique_ptr<Cache>> g_caches; /* by family */
/* Families run one after another, so a new family frees the caches before
 * it (about 100 MB at 1 M entries). With
 * --benchmark_enable_random_interleaving they come back: the first family
 * seen again switches to keeping them all. */
std::set<std::string> g_dropped;
bool g_keep_all = false;
std::vector<char> g_keys; /* kMaxKeys keys, kKeyLen bytes apart */
/* Pre-drawn operations per size and thread, so that the chooser's cost (a
 * pow() per Zipf draw) stays out of the measured loop. */
std::vector<uint32_t> g_rings[kSizeCount][kMaxThreads];

/* Thread 0 prepares a run before the start barrier; the other threads wait
 * for g_ready, read g_error and g_current, and all pass the barrier
 * together. */
std::atomic<bool> g_ready{false};
std::string g_error;
Cache *g_current;

const Api *open_api(const std::string &path) {
  auto &slot = g_apis[path];
  if (slot)
    return slot.get();
  slot = std::make_unique<Api>();
  Api &api = *slot;
  const char *why = nullptr;
  if (plugin_open(&api.plugin, path.c_str(), path.c_str(), &why) != 0) {
    /* The loader's words name the file already. */
    api.error = why != nullptr ? why : path + ": cannot be opened";
    return &api;
  }
  const char *missing = nullptr;
  if (lc_api_bind(&api.plugin, &api.fn, &missing) != 0) {
    plugin_close(&api.plugin);
    api.error = path + ": does not define " + missing + "()";
  }
  return &api;
}

const char *key_at(uint32_t index) {
  return &g_keys[static_cast<size_t>(index) * kKeyLen];
}

void make_keys() {
  if (!g_keys.empty())
    return;
  g_keys.resize(kMaxKeys * kKeyLen);
  char text[kKeyLen + 1];
  for (uint64_t i = 0; i < kMaxKeys; i++) {
    std::snprintf(text, sizeof text, "cache:%010llu",
                  static_cast<unsigned long long>(i));
    std::memcpy(&g_keys[i * kKeyLen], text, kKeyLen);
  }
}

std::string make_rings(int size, int threads) {
  keydist_params_t params{};
  params.kind = KEYDIST_ZIPF;
  params.key_count = kSizes[size].keys;
  params.theta = 0.99;
  keydist_shared_t shared;
  bool prepared = false;
  for (int t = 0; t < threads; t++) {
    std::vector<uint32_t> &ring = g_rings[size][t];
    if (!ring.empty())
      continue;
    if (!prepared && keydist_prepare(&shared, &params) != 0)
      return "keydist_prepare refused the key distribution";
    prepared = true;
    keydist_t chooser;
    keydist_init(&chooser, &shared, 1 + static_cast<uint64_t>(t));
    rng_t rng;
    rng_seed(&rng, 101 + static_cast<uint64_t>(t));
    ring.resize(kRingSize);
    for (auto &op : ring) {
      op = static_cast<uint32_t>(keydist_next(&chooser));
      if (rng_below(&rng, kPutOneIn) == 0)
        op |= kPutBit;
    }
  }
  return "";
}

/* Makes sure the plug-in, the keys, the rings and a filled cache for c
 * exist, and points g_current at the cache. Returns an error message, or
 * "" when the run can go ahead. */
std::string prepare(const Case &c, int threads) {
  const Api *api = open_api(c.path);
  if (!api->error.empty())
    return api->error;
  make_keys();
  std::string error = make_rings(c.size, threads);
  if (!error.empty())
    return error;
  auto found = g_caches.find(c.name);
  if (found != g_caches.end()) {
    g_current = found->second.get();
    return "";
  }
  if (g_dropped.count(c.name) != 0)
    g_keep_all = true;
  if (!g_keep_all) {
    for (const auto &entry : g_caches)
      g_dropped.insert(entry.first);
    g_caches.clear();
  }
  const uint64_t keys = kSizes[c.size].keys;
  /* Everything the process holds apart from the cache is allocated by now,
   * so the difference is the cache's own. */
  const int64_t before = memstat_allocated();
  lc_config_t config{c.policy, keys, 0};
  lc_t *lc = nullptr;
  int rc = api->fn.create(&config, &lc);
  if (rc != 0)
    return c.path + ": lc_create returned " + std::to_string(rc);
  auto cache = std::make_unique<Cache>(api, lc);
  for (uint64_t i = 0; i < keys; i++) {
    rc = api->fn.put(lc, key_at(static_cast<uint32_t>(i)), kKeyLen, kValue,
                     kValueLen, LC_NO_TTL, kStartNs);
    if (rc != 0)
      return c.path + ": lc_put returned " + std::to_string(rc);
  }
  const int64_t full = memstat_allocated();
  if (before >= 0 && full >= 0)
    cache->overhead =
        static_cast<double>(full - before) / static_cast<double>(keys) -
        static_cast<double>(kKeyLen + kValueLen);
  g_current = cache.get();
  g_caches[c.name] = std::move(cache);
  return "";
}

void bm_lc_mix(benchmark::State &state, const Case &c) {
  const int thread = state.thread_index();
  if (thread == 0) {
    g_error = prepare(c, state.threads());
    g_ready.store(true, std::memory_order_release);
  } else {
    while (!g_ready.load(std::memory_order_acquire))
      std::this_thread::yield();
  }
  if (!g_error.empty())
    state.SkipWithError(g_error.c_str());
  Cache *cache = g_error.empty() ? g_current : nullptr;
  __typeof__(lc_get) *get = cache != nullptr ? cache->api->fn.get : nullptr;
  __typeof__(lc_put) *put = cache != nullptr ? cache->api->fn.put : nullptr;
  lc_t *lc = cache != nullptr ? cache->lc : nullptr;
  const uint32_t *ring = g_rings[c.size][thread].data();
  uint64_t now = kStartNs;
  size_t at = 0;
  uint64_t gets = 0;
  uint64_t hits = 0;
  uint64_t failed = 0;
  char buffer[2 * kValueLen];
  size_t value_len = 0;
  bool found = false;
  for (auto _ : state) {
    const uint32_t op = ring[at];
    const char *key = key_at(op & ~kPutBit);
    /* A server has the key it just parsed in cache: fetch the key table's
     * line ahead of time, so its miss is not charged to the cache. */
    __builtin_prefetch(
        key_at(ring[(at + kPrefetch) & (kRingSize - 1)] & ~kPutBit));
    at = (at + 1) & (kRingSize - 1);
    now += kStepNs;
    if ((op & kPutBit) != 0) {
      failed += put(lc, key, kKeyLen, kValue, kValueLen, LC_NO_TTL, now) != 0;
      continue;
    }
    gets++;
    failed += get(lc, key, kKeyLen, now, buffer, sizeof buffer, &value_len,
                  &found) != 0;
    benchmark::DoNotOptimize(buffer);
    if (found)
      hits++;
    else
      failed += put(lc, key, kKeyLen, kValue, kValueLen, LC_NO_TTL, now) != 0;
  }
  if (failed > 0)
    state.SkipWithError("lc_get or lc_put returned an error in the loop");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  /* Both threads do the same number of gets, so the mean of their ratios
   * is the run's. */
  state.counters["hit_ratio"] = benchmark::Counter(
      gets > 0 ? static_cast<double>(hits) / static_cast<double>(gets) : 0,
      benchmark::Counter::kAvgThreads);
  if (cache != nullptr && cache->overhead >= 0)
    state.counters["overhead_B"] =
        benchmark::Counter(cache->overhead, benchmark::Counter::kAvgThreads);
  /* Every thread is past the stop barrier here: the next run's threads start
   * only after these are joined, and wait for a fresh g_ready. */
  if (thread == 0)
    g_ready.store(false, std::memory_order_relaxed);
}

/* Registers every reference with the policy it does (LRU for lru.c, its own
 * for the others) at each size, and the naive baseline (LRU) at 10 K
 * entries only: at 1 M its linear scans would take minutes. */
int register_all() {
  struct Impl {
    const char *name; /* the plug-in's file name */
    const char *dir;
    lc_policy_t policy;
    bool large; /* runs at every size, not only the smallest */
  };
  static const Impl impls[] = {
      {"lru", "reference", LC_POLICY_LRU, true},
      {"sharded_lru", "reference", LC_POLICY_OWN, true},
      {"sieve", "reference", LC_POLICY_OWN, true},
      {"s3fifo", "reference", LC_POLICY_OWN, true},
      {"naive", "baseline", LC_POLICY_LRU, false},
  };
  const std::string plugins = SDKATA_BUILD_DIR "/plugins/lru_cache/";
  for (int size = 0; size < kSizeCount; size++) {
    for (const Impl &impl : impls) {
      if (!impl.large && size != kSizeCount - 1)
        continue;
      Case c{std::string("BM_lru_cache/") + impl.name + "/" + kSizes[size].name,
             plugins + impl.dir + "/" + impl.name + ".so", impl.policy, size};
      benchmark::RegisterBenchmark(
          c.name.c_str(), [c](benchmark::State &state) { bm_lc_mix(state, c); })
          ->Iterations(kSizes[size].calls)
          ->Threads(1)
          ->Threads(kMaxThreads)
          ->UseRealTime();
    }
  }
  return 0;
}

const int g_registered = register_all();

} // namespace
