/* bm_rate_limiter.cc - ns per rl_check: each reference beside the naive
 * baseline, on one key, 1 M uniform keys and 1 M Zipf keys, 1 and 2 threads. */
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

extern "C" {
#include "keydist.h"
#include "plugin.h"
#include "rate_limiter.h"
#include "rl_api.h"
}

namespace {

constexpr uint64_t kManyKeys = 1000000;
constexpr size_t kKeyLen = 15; /* "client:%08llu" */
constexpr size_t kKeyStride = 16;
constexpr size_t kRingSize = size_t{1} << 20; /* a power of two */
constexpr uint64_t kLimit = 100;
constexpr uint64_t kWindowNs = 1000000000;
/* Simulated time starts on a window boundary, far from 0, and each thread
 * moves its own clock kStepNs per call: no clock read is measured, and no
 * cache line is shared for the sake of time. */
constexpr uint64_t kStartNs = 1000 * kWindowNs;
constexpr uint64_t kStepNs = 4;
constexpr int kMaxThreads = 2;
constexpr size_t kPrefetch = 8; /* calls ahead */
/* Calls per thread in one run: a fixed count, not one google-benchmark picks
 * from the time taken, so that the reference and the baseline do exactly the
 * same work (the same keys at the same simulated times, hence the same
 * decisions: the allowed column is equal) and a fast limiter is not
 * penalised with more saturated keys. Many keys: one pass over the ring. */
constexpr int64_t kManyKeyCalls = static_cast<int64_t>(kRingSize);
constexpr int64_t kOneKeyCalls = 8 * kManyKeyCalls;

/* One plug-in, opened once for the whole process, and its contract. */
struct Api {
  plugin_t plugin{};
  std::string error; /* empty when the plug-in loaded */
  rl_api_t fn{};

  Api() = default;
  Api(const Api &) = delete;
  Api &operator=(const Api &) = delete;
  ~Api() {
    if (error.empty())
      plugin_close(&plugin);
  }
};

/* One registered benchmark family: BM_rl_check/impl/algorithm/keys/dist. */
struct Case {
  std::string name;
  std::string path; /* the plug-in's .so */
  rl_algorithm_t algorithm;
  uint64_t keys; /* 1, or kManyKeys drawn by dist */
  keydist_kind_t dist;
};

/* One family's limiter, filled with every key once, untimed, and kept for
 * all of the family's runs (1 then 2 threads, each repetition), so that
 * every run finds a full table and the 1 M inserts are never measured. */
struct Limiter {
  const Api *api;
  rl_t *rl;
  std::atomic<uint64_t> clock{kStartNs}; /* latest simulated time used */

  Limiter(const Api *a, rl_t *r) : api(a), rl(r) {}
  Limiter(const Limiter &) = delete;
  Limiter &operator=(const Limiter &) = delete;
  ~Limiter() { api->fn.destroy(rl); }
};

/* Declared in this order so the limiters go before their plug-ins at exit. */
std::map<std::string, std::unique_ptr<Api>> g_apis;
std::map<std::string, std::unique_ptr<Limiter>> g_limiters; /* by family */
/* Families run one after another, so a new family frees the limiters before
 * it (100-200 MB each). With --benchmark_enable_random_interleaving they
 * come back: the first family seen again switches to keeping them all. */
std::set<std::string> g_dropped;
bool g_keep_all = false;
std::vector<char> g_keys; /* kManyKeys keys, kKeyStride bytes apart */
/* Pre-drawn key numbers per distribution and thread, so that the chooser's
 * cost (a pow() per Zipf draw) stays out of the measured loop. */
std::vector<uint32_t> g_rings[2][kMaxThreads];

/* Thread 0 prepares a run before the start barrier; the other threads wait
 * for g_ready, read g_error and g_current, and all pass the barrier
 * together. */
std::atomic<bool> g_ready{false};
std::string g_error;
Limiter *g_current;

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
  if (rl_api_bind(&api.plugin, &api.fn, &missing) != 0) {
    plugin_close(&api.plugin);
    api.error = path + ": does not define " + missing + "()";
  }
  return &api;
}

const char *key_at(uint64_t index) {
  return &g_keys[static_cast<size_t>(index) * kKeyStride];
}

void make_keys() {
  if (!g_keys.empty())
    return;
  g_keys.resize(kManyKeys * kKeyStride);
  for (uint64_t i = 0; i < kManyKeys; i++)
    std::snprintf(&g_keys[i * kKeyStride], kKeyStride, "client:%08llu",
                  static_cast<unsigned long long>(i));
}

int ring_of(keydist_kind_t dist) {
  return dist == KEYDIST_ZIPF ? 1 : 0;
}

std::string make_rings(keydist_kind_t dist, int threads) {
  keydist_params_t params{};
  params.kind = dist;
  params.key_count = kManyKeys;
  params.theta = 0.99;
  keydist_shared_t shared;
  bool prepared = false;
  for (int t = 0; t < threads; t++) {
    std::vector<uint32_t> &ring = g_rings[ring_of(dist)][t];
    if (!ring.empty())
      continue;
    if (!prepared && keydist_prepare(&shared, &params) != 0)
      return "keydist_prepare refused the key distribution";
    prepared = true;
    keydist_t chooser;
    keydist_init(&chooser, &shared, 1 + static_cast<uint64_t>(t));
    ring.resize(kRingSize);
    for (auto &k : ring)
      k = static_cast<uint32_t>(keydist_next(&chooser));
  }
  return "";
}

/* Makes sure the plug-in, the keys, the rings and a filled limiter for c
 * exist, and points g_current at the limiter. Returns an error message, or
 * "" when the run can go ahead. */
std::string prepare(const Case &c, int threads) {
  const Api *api = open_api(c.path);
  if (!api->error.empty())
    return api->error;
  make_keys();
  if (c.keys > 1) {
    std::string error = make_rings(c.dist, threads);
    if (!error.empty())
      return error;
  }
  auto found = g_limiters.find(c.name);
  if (found != g_limiters.end()) {
    g_current = found->second.get();
    return "";
  }
  if (g_dropped.count(c.name) != 0)
    g_keep_all = true;
  if (!g_keep_all) {
    for (const auto &entry : g_limiters)
      g_dropped.insert(entry.first);
    g_limiters.clear();
  }
  rl_config_t config{c.algorithm, kLimit, kWindowNs};
  rl_t *rl = nullptr;
  int rc = api->fn.create(&config, &rl);
  if (rc != 0)
    return c.path + ": rl_create returned " + std::to_string(rc);
  auto limiter = std::make_unique<Limiter>(api, rl);
  rl_decision_t decision;
  for (uint64_t i = 0; i < c.keys; i++) {
    rc = api->fn.check(rl, key_at(i), kKeyLen, kStartNs, &decision);
    if (rc != 0)
      return c.path + ": rl_check returned " + std::to_string(rc);
  }
  g_current = limiter.get();
  g_limiters[c.name] = std::move(limiter);
  return "";
}

void bm_rl_check(benchmark::State &state, const Case &c) {
  const int thread = state.thread_index();
  if (thread == 0) {
    g_error = prepare(c, state.threads());
    g_ready.store(true, std::memory_order_release);
  } else {
    while (!g_ready.load(std::memory_order_acquire))
      std::this_thread::yield();
  }
  if (!g_error.empty()) {
    state.SkipWithError(g_error.c_str());
  }
  Limiter *limiter = g_error.empty() ? g_current : nullptr;
  __typeof__(rl_check) *check =
      limiter != nullptr ? limiter->api->fn.check : nullptr;
  rl_t *rl = limiter != nullptr ? limiter->rl : nullptr;
  const uint32_t *ring =
      c.keys > 1 ? g_rings[ring_of(c.dist)][thread].data() : nullptr;
  uint64_t now =
      limiter != nullptr ? limiter->clock.load(std::memory_order_relaxed) : 0;
  size_t at = 0;
  uint64_t allowed = 0;
  uint64_t failed = 0;
  rl_decision_t decision{};
  for (auto _ : state) {
    const char *key = ring != nullptr ? key_at(ring[at]) : key_at(0);
    /* A server has the key it just parsed in cache: fetch the key table's
     * line ahead of time, so its miss is not charged to the limiter. */
    if (ring != nullptr)
      __builtin_prefetch(key_at(ring[(at + kPrefetch) & (kRingSize - 1)]));
    at = (at + 1) & (kRingSize - 1);
    now += kStepNs;
    failed += check(rl, key, kKeyLen, now, &decision) != 0;
    allowed += decision.allowed;
  }
  if (failed > 0)
    state.SkipWithError("rl_check returned an error (-ENOMEM?) in the loop");
  /* The next run goes on from the latest time any thread reached. */
  if (limiter != nullptr) {
    uint64_t seen = limiter->clock.load(std::memory_order_relaxed);
    while (seen < now && !limiter->clock.compare_exchange_weak(seen, now)) {
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  /* The share of calls allowed: which path of rl_check was measured. */
  state.counters["allowed"] = benchmark::Counter(
      static_cast<double>(allowed), benchmark::Counter::kAvgIterations);
  /* Every thread is past the stop barrier here: the next run's threads start
   * only after these are joined, and wait for a fresh g_ready. */
  if (thread == 0)
    g_ready.store(false, std::memory_order_relaxed);
}

/* Registers every reference with its own algorithm and the naive baseline
 * with the same one, side by side, for each key set. */
int register_all() {
  struct Algorithm {
    const char *name; /* also the reference plug-in's file name */
    rl_algorithm_t algorithm;
  };
  static const Algorithm algorithms[] = {
      {"fixed_window", RL_FIXED_WINDOW},
      {"sliding_log", RL_SLIDING_LOG},
      {"token_bucket", RL_TOKEN_BUCKET},
      {"sliding_window", RL_SLIDING_WINDOW},
  };
  struct KeySet {
    const char *name;
    uint64_t keys;
    keydist_kind_t dist;
  };
  static const KeySet key_sets[] = {
      {"1/same", 1, KEYDIST_UNIFORM},
      {"1M/uniform", kManyKeys, KEYDIST_UNIFORM},
      {"1M/zipf", kManyKeys, KEYDIST_ZIPF},
  };
  const std::string plugins = SDKATA_BUILD_DIR "/plugins/rate_limiter/";
  for (const Algorithm &a : algorithms) {
    for (const KeySet &k : key_sets) {
      const std::string impls[][2] = {
          {"reference", plugins + "reference/" + a.name + ".so"},
          {"naive", plugins + "baseline/naive.so"},
      };
      for (const auto &impl : impls) {
        Case c{"BM_rl_check/" + impl[0] + "/" + a.name + "/" + k.name, impl[1],
               a.algorithm, k.keys, k.dist};
        benchmark::RegisterBenchmark(
            c.name.c_str(),
            [c](benchmark::State &state) { bm_rl_check(state, c); })
            ->Iterations(k.keys > 1 ? kManyKeyCalls : kOneKeyCalls)
            ->Threads(1)
            ->Threads(kMaxThreads)
            ->UseRealTime();
      }
    }
  }
  return 0;
}

const int g_registered = register_all();

} // namespace
