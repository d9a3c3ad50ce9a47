/* loadgen.h - drives implementations in-process from N threads, closed or
 * open loop, in interleaved rounds, into latency histograms. */
#ifndef SDKATA_LOADGEN_H
#define SDKATA_LOADGEN_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "kata.h"
#include "keydist.h"

#define LOADGEN_MAX_ROUNDS 64

typedef struct loadgen_config {
  unsigned threads;
  unsigned rounds; /* each subject runs once per round, in turn */
  double seconds;  /* per subject per round */
  uint64_t rate;   /* open loop: total operations per second; 0 = closed */
  keydist_params_t keys;
  uint64_t seed;
  void *context; /* the workload's shared context (its open), or NULL */
  /* Called about ten times a second from the driving thread, with the
   * fraction done and what runs now; may be NULL. */
  void (*progress)(double fraction, const char *what, void *context);
  void *progress_context;
} loadgen_config_t;

/* One implementation under load, and what was measured of it. */
typedef struct loadgen_subject {
  const char *label;
  const kata_workload_t *workload;
  const plugin_t *plugin;
  /* Results. */
  hist_t latency; /* every operation of every round, in ns */
  hist_t spans;   /* what the workload recorded with kata_thread_span */
  uint64_t operations;
  uint64_t errors;
  int first_error;       /* the first negative code returned, or 0 */
  double ops_per_second; /* median over rounds */
  double round_ops_per_second[LOADGEN_MAX_ROUNDS];
  int64_t bytes_per_key; /* jemalloc bytes after every key was touched,
                            over the key count (over the entries stored,
                            when the workload measures them); -1 when
                            unknown */
  /* What the workload measured over the rounds (kata_measure_t). */
  kata_metric_t metrics[KATA_MAX_METRICS];
  size_t metric_count;
  /* Keys touched before LOADGEN_FILL_BUDGET_NS ran out: the key count when
   * the fill finished. A subject that could not fill is not run. */
  uint64_t keys_filled;
} loadgen_subject_t;

/* How long touching every key once may take: an implementation whose calls
 * grow with its size (a linear scan) would take hours at 1 M keys. */
#define LOADGEN_FILL_BUDGET_NS 20000000000ULL

/* Creates every subject's instance, touches every key once to measure
 * bytes per key (a subject that cannot within LOADGEN_FILL_BUDGET_NS is
 * left out of the rounds, with keys_filled saying how far it got), then
 * runs rounds x subjects, interleaved (A B C A B C ...)
 * so that a noisy machine moves all of them together. Latency is measured
 * from each operation's intended start: in open loop that is its slot in
 * the schedule, so a stall shows in the percentiles instead of hiding.
 * Returns 0, or the first negative error from creating an instance. */
int loadgen_run(const loadgen_config_t *config, loadgen_subject_t *subjects,
                size_t subject_count);

#endif /* SDKATA_LOADGEN_H */
