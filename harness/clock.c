/* clock.c - monotonic ns clock: invariant TSC scaled by a fixed-point factor
 * calibrated against CLOCK_MONOTONIC, or CLOCK_MONOTONIC itself. */
#include "clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#define CLOCK_HAVE_TSC 1
#else
#define CLOCK_HAVE_TSC 0
#endif

/* ns = base_ns + ((tsc - base_tsc) * mult) >> CLOCK_FRAC_BITS. With 32
 * fraction bits the factor is exact to 1e-9 for any TSC from 100 MHz up, and
 * the 128-bit product cannot overflow for centuries of uptime. */
#define CLOCK_FRAC_BITS 32
#define CLOCK_CALIBRATION_NS 20000000ull

static struct {
  bool use_tsc; /* written once under pthread_once, then read-only */
  bool ready;
  uint64_t base_tsc;
  uint64_t base_ns;
  uint64_t mult;
} clock_state;

static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

uint64_t clock_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if CLOCK_HAVE_TSC
/* The TSC is usable only if it ticks at one rate in every P- and C-state:
 * CPUID 0x80000007 EDX bit 8, which Linux reports as constant_tsc plus
 * nonstop_tsc. Some hypervisors hide the CPUID bit but the kernel still
 * knows, so either source is enough. */
static bool clock_tsc_is_invariant(void) {
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8)))
    return true;
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f)
    return false;
  char line[4096];
  bool constant = false, nonstop = false;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "flags", 5) != 0)
      continue;
    constant = strstr(line, " constant_tsc") != NULL;
    nonstop = strstr(line, " nonstop_tsc") != NULL;
    break;
  }
  fclose(f);
  return constant && nonstop;
}

/* One (CLOCK_MONOTONIC, TSC) pair, the TSC read between two clock reads and
 * paired with their midpoint so the pair is good to a few tens of ns. */
static void clock_sample(uint64_t *ns, uint64_t *tsc) {
  uint64_t before = clock_monotonic_ns();
  *tsc = __rdtsc();
  uint64_t after = clock_monotonic_ns();
  *ns = before + (after - before) / 2;
}

static void clock_calibrate_once(void) {
  if (!clock_tsc_is_invariant())
    return;
  uint64_t ns0, tsc0, ns1, tsc1;
  clock_sample(&ns0, &tsc0);
  struct timespec pause = {0, (long)CLOCK_CALIBRATION_NS};
  while (nanosleep(&pause, &pause) != 0) {
  }
  clock_sample(&ns1, &tsc1);
  if (tsc1 <= tsc0 || ns1 <= ns0)
    return; /* a TSC that did not advance is no clock: keep the fallback */
  clock_state.mult =
      (uint64_t)((((unsigned __int128)(ns1 - ns0)) << CLOCK_FRAC_BITS) /
                 (tsc1 - tsc0));
  clock_state.base_tsc = tsc1;
  clock_state.base_ns = ns1;
  clock_state.use_tsc = true;
}
#else
static void clock_calibrate_once(void) {}
#endif

void clock_calibrate(void) {
  pthread_once(&clock_once, clock_calibrate_once);
  __atomic_store_n(&clock_state.ready, true, __ATOMIC_RELEASE);
}

uint64_t clock_now_ns(void) {
  if (!__atomic_load_n(&clock_state.ready, __ATOMIC_ACQUIRE))
    clock_calibrate();
#if CLOCK_HAVE_TSC
  if (clock_state.use_tsc) {
    /* Another core's TSC may trail the calibrating core's by a few ticks;
     * reading "before the base" must give the base, not 2^64. */
    int64_t ticks = (int64_t)(__rdtsc() - clock_state.base_tsc);
    uint64_t elapsed = ticks > 0 ? (uint64_t)ticks : 0;
    return clock_state.base_ns +
           (uint64_t)(((unsigned __int128)elapsed * clock_state.mult) >>
                      CLOCK_FRAC_BITS);
  }
#endif
  return clock_monotonic_ns();
}
