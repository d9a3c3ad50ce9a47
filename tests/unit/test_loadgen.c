/* test_loadgen.c - the load engine measures what it should: every
 * operation, interleaved subjects, and in open loop a stall charged to every
 * operation scheduled behind it (no coordinated omission). */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <time.h>

#include "clock.h"
#include "loadgen.h"

/* A workload whose instance counts its operations and, once, stalls. */
typedef struct stalling {
  atomic_uint_fast64_t operations;
  uint64_t stall_at_ns; /* the first operation at or after this stalls */
  atomic_int stalled;
} stalling_t;

static stalling_t the_instance;

static int create(const plugin_t *plugin, void **instance) {
  (void)plugin;
  atomic_store(&the_instance.operations, 0);
  atomic_store(&the_instance.stalled, 0);
  *instance = &the_instance;
  return 0;
}

static void destroy(void *instance) {
  (void)instance;
}

static int operate(void *instance, uint64_t key, uint64_t now_ns) {
  (void)key;
  stalling_t *s = instance;
  atomic_fetch_add(&s->operations, 1);
  if (now_ns >= s->stall_at_ns && atomic_exchange(&s->stalled, 1) == 0) {
    struct timespec stall = {0, 200 * 1000 * 1000};
    nanosleep(&stall, NULL);
  }
  return 0;
}

static const kata_workload_t stalling_workload = {"stalling", 1,       create,
                                                  destroy,    operate, NULL};

/* Runs one subject for one second, stalling 200 ms at 0.4 s, and returns
 * its p99 in ns. */
static uint64_t p99_with_a_stall(uint64_t rate, loadgen_subject_t *subject) {
  clock_calibrate();
  loadgen_config_t config = {
      .threads = 1,
      .rounds = 1,
      .seconds = 1.0,
      .rate = rate,
      .keys = {.kind = KEYDIST_UNIFORM, .key_count = 100},
      .seed = 1,
  };
  memset(subject, 0, sizeof *subject);
  subject->label = "stalling";
  subject->workload = &stalling_workload;
  /* The stall comes 0.4 s into the run (populate and start-up take a few
   * ms before it). */
  the_instance.stall_at_ns = clock_now_ns() + 400 * 1000 * 1000;
  cr_assert_eq(loadgen_run(&config, subject, 1), 0, "loadgen_run failed");
  return hist_quantile(&subject->latency, 0.99);
}

Test(loadgen, open_loop_charges_a_stall_to_everything_scheduled_behind_it,
     .timeout = 30) {
  loadgen_subject_t subject;
  uint64_t p99 = p99_with_a_stall(20000, &subject);
  /* 20 000 ops/s: the 200 ms stall delays ~4 000 operations (20% of the
   * run) by up to 200 ms, so the p99 must show it. */
  cr_assert(p99 >= 50 * 1000 * 1000,
            "open loop at 20000 ops/s with a 200 ms stall: p99 %llu ns, "
            "expected >= 50 ms (the operations scheduled during the stall "
            "were late by up to 200 ms); %llu operations",
            (unsigned long long)p99, (unsigned long long)subject.operations);
  cr_assert(subject.operations >= 15000 && subject.operations <= 21000,
            "open loop at 20000 ops/s for 1 s ran %llu operations, expected "
            "about 20000: the schedule catches up after a stall",
            (unsigned long long)subject.operations);
}

Test(loadgen, closed_loop_hides_the_same_stall_in_one_sample, .timeout = 30) {
  loadgen_subject_t subject;
  uint64_t p99 = p99_with_a_stall(0, &subject);
  /* Closed loop: only the one operation that stalled is slow, which is
   * exactly how coordinated omission hides a stall. */
  cr_assert(p99 < 20 * 1000 * 1000,
            "closed loop with one 200 ms stall: p99 %llu ns, expected the "
            "stall to hide below p99 (one slow sample among %llu)",
            (unsigned long long)p99, (unsigned long long)subject.operations);
  cr_assert(subject.latency.max >= 200 * 1000 * 1000,
            "closed loop: max %llu ns, expected the 200 ms stall itself",
            (unsigned long long)subject.latency.max);
}

Test(loadgen, every_operation_is_recorded_once, .timeout = 30) {
  loadgen_subject_t subject;
  p99_with_a_stall(0, &subject);
  uint64_t performed = atomic_load(&the_instance.operations);
  /* populate touches each of the 100 keys once before the timed rounds. */
  cr_assert_eq(subject.latency.count + 100, performed,
               "histogram holds %llu latencies, the workload saw %llu "
               "operations (100 of them untimed, to fill the keys)",
               (unsigned long long)subject.latency.count,
               (unsigned long long)performed);
  cr_assert_eq(subject.latency.count, subject.operations,
               "histogram count %llu, operation count %llu",
               (unsigned long long)subject.latency.count,
               (unsigned long long)subject.operations);
}
