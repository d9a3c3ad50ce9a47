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
  uint64_t operations;
  uint64_t errors;
  int first_error;       /* the first negative code returned, or 0 */
  double ops_per_second; /* median over rounds */
  double round_ops_per_second[LOADGEN_MAX_ROUNDS];
  int64_t bytes_per_key; /* jemalloc bytes after every key was touched,
                            over the key count; -1 when unknown */
} loadgen_subject_t;

/* Creates every subject's instance, touches every key once to measure
 * bytes per key, then runs rounds x subjects, interleaved (A B C A B C ...)
 * so that a noisy machine moves all of them together. Latency is measured
 * from each operation's intended start: in open loop that is its slot in
 * the schedule, so a stall shows in the percentiles instead of hiding.
 * Returns 0, or the first negative error from creating an instance. */
int loadgen_run(const loadgen_config_t *config, loadgen_subject_t *subjects,
                size_t subject_count);

#endif /* SDKATA_LOADGEN_H */
