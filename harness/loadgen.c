/* loadgen.c - drives implementations in-process from N threads, closed or
 * open loop, in interleaved rounds, into latency histograms. */
#include "loadgen.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "memstat.h"

/* How many operations a thread runs between looks at the clock's deadline
 * in closed loop. */
#define LOADGEN_DEADLINE_STRIDE 64

typedef struct loadgen_worker {
  pthread_t thread;
  const loadgen_config_t *config;
  const kata_workload_t *workload;
  void *instance;
  const keydist_shared_t *keys;
  uint64_t seed;
  uint64_t start_ns;
  uint64_t end_ns;
  uint64_t interval_ns; /* open loop: this thread's gap between starts */
  hist_t latency;
  hist_t spans;
  kata_thread_t thread_info;
  uint64_t operations;
  uint64_t errors;
  int first_error;
  atomic_uint_fast64_t *progress_ops;
} loadgen_worker_t;

void kata_thread_span(kata_thread_t *thread, uint64_t ns) {
  hist_record(thread->spans, ns);
}

static void note_result(loadgen_worker_t *worker, int rc) {
  if (rc == 0)
    return;
  worker->errors++;
  if (worker->first_error == 0)
    worker->first_error = rc;
}

/* Closed loop: each operation starts when the previous one ends. */
static void run_closed(loadgen_worker_t *worker, keydist_t *chooser) {
  const kata_workload_t *workload = worker->workload;
  uint64_t now = clock_now_ns();
  while (now < worker->end_ns) {
    for (int i = 0; i < LOADGEN_DEADLINE_STRIDE; i++) {
      uint64_t key = keydist_next(chooser);
      uint64_t began = clock_now_ns();
      int rc =
          workload->operate(worker->instance, &worker->thread_info, key, began);
      now = clock_now_ns();
      hist_record(&worker->latency, now - began);
      note_result(worker, rc);
    }
    worker->operations += LOADGEN_DEADLINE_STRIDE;
    atomic_fetch_add_explicit(worker->progress_ops, LOADGEN_DEADLINE_STRIDE,
                              memory_order_relaxed);
  }
}

/* Open loop: operation i is due at start + i * interval whether or not the
 * previous one has finished; its latency counts from when it was due, so a
 * stall delays (and is charged to) every operation scheduled behind it. */
static void run_open(loadgen_worker_t *worker, keydist_t *chooser) {
  const kata_workload_t *workload = worker->workload;
  uint64_t due = worker->start_ns;
  while (due < worker->end_ns) {
    uint64_t now = clock_now_ns();
    while (now < due)
      now = clock_now_ns();
    uint64_t key = keydist_next(chooser);
    int rc =
        workload->operate(worker->instance, &worker->thread_info, key, now);
    hist_record(&worker->latency, clock_now_ns() - due);
    note_result(worker, rc);
    worker->operations++;
    atomic_fetch_add_explicit(worker->progress_ops, 1, memory_order_relaxed);
    due += worker->interval_ns;
  }
}

static void *worker_main(void *argument) {
  loadgen_worker_t *worker = argument;
  keydist_t chooser;
  keydist_init(&chooser, worker->keys, worker->seed);
  while (clock_now_ns() < worker->start_ns)
    ;
  if (worker->interval_ns > 0)
    run_open(worker, &chooser);
  else
    run_closed(worker, &chooser);
  return NULL;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Runs one subject for one round: threads start together, run for the
 * configured time, and their histograms merge into the subject's. */
static void run_round(const loadgen_config_t *config,
                      const keydist_shared_t *keys, loadgen_subject_t *subject,
                      void *instance, unsigned round, double done_before,
                      double total_seconds) {
  unsigned threads = config->threads;
  loadgen_worker_t *workers = calloc(threads, sizeof *workers);
  if (workers == NULL)
    return;
  atomic_uint_fast64_t progress_ops = 0;
  uint64_t duration_ns = (uint64_t)(config->seconds * 1e9);
  uint64_t start = clock_now_ns() + 2000000; /* every thread ready */
  for (unsigned t = 0; t < threads; t++) {
    loadgen_worker_t *worker = &workers[t];
    worker->config = config;
    worker->workload = subject->workload;
    worker->instance = instance;
    worker->keys = keys;
    /* The same keys in the same order for every subject of a round. */
    worker->seed = config->seed ^ ((uint64_t)round << 32) ^ (t + 1);
    worker->start_ns = start;
    worker->end_ns = start + duration_ns;
    worker->interval_ns =
        config->rate > 0 ? (uint64_t)(1e9 * threads / (double)config->rate) : 0;
    worker->progress_ops = &progress_ops;
    hist_reset(&worker->latency);
    hist_reset(&worker->spans);
    worker->thread_info = (kata_thread_t){
        t,
        subject->workload->role_count ? t % subject->workload->role_count : 0,
        &worker->spans};
    pthread_create(&worker->thread, NULL, worker_main, worker);
  }
  if (config->progress != NULL) {
    char what[128];
    snprintf(what, sizeof what, "%s, round %u of %u", subject->label, round + 1,
             config->rounds);
    uint64_t now;
    while ((now = clock_now_ns()) < start + duration_ns) {
      double elapsed = now > start ? (double)(now - start) / 1e9 : 0;
      config->progress((done_before + elapsed) / total_seconds, what,
                       config->progress_context);
      struct timespec tick = {0, 100000000};
      nanosleep(&tick, NULL);
    }
  }
  uint64_t operations = 0;
  for (unsigned t = 0; t < threads; t++) {
    pthread_join(workers[t].thread, NULL);
    hist_merge(&subject->latency, &workers[t].latency);
    hist_merge(&subject->spans, &workers[t].spans);
    operations += workers[t].operations;
    subject->errors += workers[t].errors;
    if (subject->first_error == 0)
      subject->first_error = workers[t].first_error;
  }
  uint64_t finished = clock_now_ns();
  subject->operations += operations;
  subject->round_ops_per_second[round] =
      (double)operations / ((double)(finished - start) / 1e9);
  free(workers);
}

/* Touches every key once from one thread, so bytes per key are measured on
 * a full key space, and returns those bytes per key (-1 when unknown). All
 * at one instant, so that no key can go idle and be reclaimed meanwhile.
 * Stops at LOADGEN_FILL_BUDGET_NS; *filled says how many keys it touched. */
static int64_t populate(const loadgen_config_t *config,
                        const kata_workload_t *workload, void *instance,
                        int64_t allocated_before, uint64_t *filled) {
  uint64_t key_count = config->keys.key_count;
  uint64_t now = clock_now_ns();
  uint64_t key = 0;
  /* The fill's spans are not the load's: they go to a scratch histogram. */
  static hist_t fill_spans;
  kata_thread_t thread = {0, 0, &fill_spans};
  for (; key < key_count; key++) {
    if (key % 1024 == 0 && clock_now_ns() - now > LOADGEN_FILL_BUDGET_NS)
      break;
    workload->operate(instance, &thread, key, now);
  }
  *filled = key;
  int64_t allocated_after = memstat_allocated();
  kata_measure_t measure = {.entries = -1};
  if (workload->measure != NULL)
    workload->measure(instance, &measure); /* also starts its counts */
  int64_t per = measure.entries > 0 ? measure.entries : (int64_t)key_count;
  if (allocated_before < 0 || allocated_after < 0 || per == 0)
    return -1;
  return (allocated_after - allocated_before) / per;
}

int loadgen_run(const loadgen_config_t *config, loadgen_subject_t *subjects,
                size_t subject_count) {
  if (config->rounds == 0 || config->rounds > LOADGEN_MAX_ROUNDS ||
      config->threads == 0)
    return -EINVAL;
  clock_calibrate();
  keydist_shared_t keys;
  int rc = keydist_prepare(&keys, &config->keys);
  if (rc != 0)
    return rc;
  void **instances = calloc(subject_count, sizeof *instances);
  if (instances == NULL)
    return -ENOMEM;
  for (size_t s = 0; s < subject_count && rc == 0; s++) {
    loadgen_subject_t *subject = &subjects[s];
    hist_reset(&subject->latency);
    hist_reset(&subject->spans);
    int64_t before = memstat_allocated();
    rc = subject->workload->create(subject->plugin, config->context,
                                   &instances[s]);
    if (rc == 0)
      subject->bytes_per_key = populate(config, subject->workload, instances[s],
                                        before, &subject->keys_filled);
  }
  double total_seconds =
      config->seconds * config->rounds * (double)subject_count;
  for (unsigned round = 0; round < config->rounds && rc == 0; round++) {
    for (size_t s = 0; s < subject_count; s++) {
      double done_before =
          config->seconds * ((double)round * (double)subject_count + (double)s);
      if (subjects[s].keys_filled < config->keys.key_count)
        continue;
      run_round(config, &keys, &subjects[s], instances[s], round, done_before,
                total_seconds);
    }
  }
  for (size_t s = 0; s < subject_count; s++) {
    subjects[s].metric_count = 0;
    kata_measure_t measure = {.entries = -1};
    if (instances[s] != NULL && subjects[s].workload->measure != NULL &&
        subjects[s].keys_filled == config->keys.key_count) {
      subjects[s].workload->measure(instances[s], &measure);
      for (size_t m = 0; m < measure.metric_count && m < KATA_MAX_METRICS; m++)
        subjects[s].metrics[subjects[s].metric_count++] = measure.metrics[m];
    }
    if (instances[s] != NULL)
      subjects[s].workload->destroy(instances[s]);
    double sorted[LOADGEN_MAX_ROUNDS];
    memcpy(sorted, subjects[s].round_ops_per_second,
           config->rounds * sizeof *sorted);
    qsort(sorted, config->rounds, sizeof *sorted, compare_doubles);
    subjects[s].ops_per_second = sorted[config->rounds / 2];
  }
  free(instances);
  if (config->progress != NULL)
    config->progress(1.0, "done", config->progress_context);
  return rc;
}
