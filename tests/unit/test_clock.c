/* test_clock.c - the fast clock is monotonic and keeps CLOCK_MONOTONIC's
 * pace (a calibration sanity check, not a speed test). */
#include <criterion/criterion.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "clock.h"

#define READER_THREADS 4

Test(clock, now_never_goes_backwards_across_a_million_reads) {
  clock_calibrate();
  uint64_t previous = clock_now_ns();
  for (int i = 0; i < 1000000; i++) {
    uint64_t now = clock_now_ns();
    cr_assert(now >= previous,
              "read %d of clock_now_ns: expected >= %llu ns (the read "
              "before), got %llu ns",
              i, (unsigned long long)previous, (unsigned long long)now);
    previous = now;
  }
}

Test(clock, now_agrees_with_clock_monotonic_over_a_50ms_sleep_within_5pct) {
  clock_calibrate();
  uint64_t mono0 = clock_monotonic_ns(), fast0 = clock_now_ns();
  struct timespec pause = {0, 50000000};
  while (nanosleep(&pause, &pause) != 0) {
  }
  uint64_t mono1 = clock_monotonic_ns(), fast1 = clock_now_ns();
  double mono = (double)(mono1 - mono0), fast = (double)(fast1 - fast0);
  double error = fabs(fast - mono) / mono;
  cr_assert(error <= 0.05,
            "over a 50 ms sleep: CLOCK_MONOTONIC advanced %.0f ns, "
            "clock_now_ns %.0f ns, error %.2f%% > 5%%",
            mono, fast, error * 100);
}

Test(clock, monotonic_ns_matches_clock_gettime) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t before = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  uint64_t got = clock_monotonic_ns();
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t after = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
  cr_assert(got >= before && got <= after,
            "clock_monotonic_ns: expected between %llu and %llu, got %llu",
            (unsigned long long)before, (unsigned long long)after,
            (unsigned long long)got);
}

struct reader {
  pthread_t thread;
  uint64_t first, last;
  int backwards;
};

/* Reads without calibrating first, so the threads race to calibrate. */
static void *reader_main(void *arg) {
  struct reader *r = arg;
  r->first = clock_now_ns();
  uint64_t previous = r->first;
  for (int i = 0; i < 100000; i++) {
    uint64_t now = clock_now_ns();
    r->backwards += now < previous;
    previous = now;
  }
  r->last = previous;
  return NULL;
}

Test(clock, threads_racing_to_calibrate_all_read_a_sane_monotonic_clock) {
  struct reader readers[READER_THREADS] = {0};
  uint64_t mono_before = clock_monotonic_ns();
  for (int i = 0; i < READER_THREADS; i++)
    cr_assert(
        pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]) == 0,
        "pthread_create of reader %d failed", i);
  for (int i = 0; i < READER_THREADS; i++)
    pthread_join(readers[i].thread, NULL);
  uint64_t mono_after = clock_monotonic_ns();
  for (int i = 0; i < READER_THREADS; i++) {
    struct reader *r = &readers[i];
    cr_assert(r->backwards == 0,
              "reader thread %d: expected no read below the one before, "
              "got %d",
              i, r->backwards);
    /* Calibration runs 20 ms and the reads take a few ms, so the span a
     * thread saw cannot exceed the whole test's span by more than 5%. */
    double span = (double)(r->last - r->first);
    double bound = 1.05 * (double)(mono_after - mono_before);
    cr_assert(span <= bound,
              "reader thread %d: clock_now_ns advanced %.0f ns while "
              "CLOCK_MONOTONIC advanced only %.0f ns in the whole test",
              i, span, bound / 1.05);
  }
}
