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

static int create(const plugin_t *plugin, void *context, void **instance) {
  (void)plugin;
  (void)context;
  atomic_store(&the_instance.operations, 0);
  atomic_store(&the_instance.stalled, 0);
  *instance = &the_instance;
  return 0;
}

static void destroy(void *instance) {
  (void)instance;
}

static int operate(void *instance, kata_thread_t *thread, uint64_t key,
                   uint64_t now_ns) {
  (void)thread;
  (void)key;
  stalling_t *s = instance;
  atomic_fetch_add(&s->operations, 1);
  if (now_ns >= s->stall_at_ns && atomic_exchange(&s->stalled, 1) == 0) {
    struct timespec stall = {0, 200 * 1000 * 1000};
    nanosleep(&stall, NULL);
  }
  return 0;
}

static const kata_workload_t stalling_workload = {
    .title = "stalling",
    .stage = 1,
    .create = create,
    .destroy = destroy,
    .operate = operate,
};

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

/* A workload with a shared context, two roles and spans: producers record
 * a span of 1000 ns per call, consumers of 3000 ns; each call counts its
 * thread's role. */
typedef struct shared {
  int opened, closed;
  atomic_uint_fast64_t calls_by_role[2];
  atomic_int wrong_context;
} shared_t;

static shared_t the_shared;

static int shared_open(void **context) {
  the_shared.opened++;
  *context = &the_shared;
  return 0;
}

static void shared_close(void *context) {
  ((shared_t *)context)->closed++;
}

static int shared_create(const plugin_t *plugin, void *context,
                         void **instance) {
  (void)plugin;
  if (context != &the_shared)
    atomic_store(&the_shared.wrong_context, 1);
  *instance = context;
  return 0;
}

static int shared_operate(void *instance, kata_thread_t *thread, uint64_t key,
                          uint64_t now_ns) {
  (void)key;
  (void)now_ns;
  shared_t *shared = instance;
  if (thread->role != thread->index % 2)
    atomic_store(&shared->wrong_context, 2);
  atomic_fetch_add(&shared->calls_by_role[thread->role], 1);
  kata_thread_span(thread, thread->role == 0 ? 1000 : 3000);
  return 0;
}

static const char *const roles[] = {"producer", "consumer"};
static const kata_workload_t shared_workload = {
    .title = "shared",
    .stage = 1,
    .create = shared_create,
    .destroy = destroy,
    .operate = shared_operate,
    .open = shared_open,
    .close = shared_close,
    .roles = roles,
    .role_count = 2,
    .span_title = "enqueue to done",
};

Test(loadgen, threads_play_their_roles_and_spans_are_recorded_apart,
     .timeout = 30) {
  clock_calibrate();
  void *context = NULL;
  cr_assert_eq(shared_workload.open(&context), 0);
  loadgen_config_t config = {
      .threads = 2,
      .rounds = 1,
      .seconds = 0.2,
      .keys = {.kind = KEYDIST_UNIFORM, .key_count = 10},
      .seed = 1,
      .context = context,
  };
  static loadgen_subject_t subject;
  memset(&subject, 0, sizeof subject);
  subject.label = "shared";
  subject.workload = &shared_workload;
  cr_assert_eq(loadgen_run(&config, &subject, 1), 0, "loadgen_run failed");
  shared_workload.close(context);
  cr_assert(the_shared.opened == 1 && the_shared.closed == 1 &&
                atomic_load(&the_shared.wrong_context) == 0,
            "expected the context opened once, handed to create, and "
            "thread t to play role t %% 2 (wrong: %d)",
            atomic_load(&the_shared.wrong_context));
  uint64_t producers = atomic_load(&the_shared.calls_by_role[0]);
  uint64_t consumers = atomic_load(&the_shared.calls_by_role[1]);
  cr_assert(producers > 0 && consumers > 0,
            "2 threads, 2 roles: both should have run (producers %llu, "
            "consumers %llu)",
            (unsigned long long)producers, (unsigned long long)consumers);
  /* The fill's 10 calls (thread 0, a producer) record no span. */
  cr_assert_eq(subject.spans.count, subject.operations,
               "one span per timed call: %llu spans, %llu operations",
               (unsigned long long)subject.spans.count,
               (unsigned long long)subject.operations);
  cr_assert(subject.spans.max == 3000 && subject.spans.min == 1000,
            "spans of 1000 and 3000 ns: got min %llu, max %llu",
            (unsigned long long)subject.spans.min,
            (unsigned long long)subject.spans.max);
}
