/* bm_hist.cc - ns per call of what the load generator does around every
 * request: record a latency, read the clock, choose a key. */
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <vector>

extern "C" {
#include "clock.h"
#include "hist.h"
#include "keydist.h"
}

namespace {

/* Latencies from 10 ns to about 10 ms, spread evenly over the powers of two
 * (as real latencies spread over buckets), drawn before the loop so that
 * only hist_record is measured. A power of two, to wrap with a mask. */
std::vector<uint64_t> make_latencies() {
  constexpr size_t kCount = 4096;
  std::vector<uint64_t> values(kCount);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (auto &v : values) {
    x ^= x << 13; /* xorshift64: any spread will do */
    x ^= x >> 7;
    x ^= x << 17;
    unsigned bits = 4 + static_cast<unsigned>(x % 20);
    v = 10 + (x >> 20) % (uint64_t{1} << bits);
  }
  return values;
}

void BM_hist_record(benchmark::State &state) {
  const std::vector<uint64_t> values = make_latencies();
  const size_t mask = values.size() - 1;
  auto h = std::make_unique<hist_t>();
  hist_reset(h.get());
  size_t at = 0;
  for (auto _ : state) {
    hist_record(h.get(), values[at]);
    at = (at + 1) & mask;
  }
  benchmark::DoNotOptimize(h->count);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_hist_record);

void BM_clock_now_ns(benchmark::State &state) {
  clock_calibrate();
  for (auto _ : state)
    benchmark::DoNotOptimize(clock_now_ns());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_clock_now_ns);

/* The fallback clock_now_ns would use, for scale. */
void BM_clock_monotonic_ns(benchmark::State &state) {
  for (auto _ : state)
    benchmark::DoNotOptimize(clock_monotonic_ns());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_clock_monotonic_ns);

void BM_keydist_next(benchmark::State &state, keydist_kind_t kind) {
  keydist_params_t params{};
  params.kind = kind;
  params.key_count = 1000000;
  params.theta = 0.99;
  keydist_shared_t shared;
  if (keydist_prepare(&shared, &params) != 0) {
    state.SkipWithError("keydist_prepare refused the parameters");
    return;
  }
  keydist_t chooser;
  keydist_init(&chooser, &shared, 1);
  for (auto _ : state)
    benchmark::DoNotOptimize(keydist_next(&chooser));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_keydist_next, zipf, KEYDIST_ZIPF);
BENCHMARK_CAPTURE(BM_keydist_next, uniform, KEYDIST_UNIFORM);

} // namespace
