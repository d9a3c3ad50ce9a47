/* stages.h - runs a kata's stage suites against a plug-in in a child
 * process and turns Criterion's results into verdicts in plain words. */
#ifndef SDKATA_STAGES_H
#define SDKATA_STAGES_H

#include <stddef.h>
#include <stdint.h>

#include "kata.h"

typedef enum stage_status {
  STAGE_PASSED,
  STAGE_FAILED,
  STAGE_NOT_ATTEMPTED, /* every test skipped: the algorithm is not written */
  STAGE_NOT_RUN        /* an earlier stage failed */
} stage_status_t;

typedef struct stage_failure {
  char *test;    /* "sliding_log::denied_requests_are_not_counted" */
  char *message; /* what was asked, what came back, how we got there */
} stage_failure_t;

typedef struct stage_result {
  stage_status_t status;
  int runner_broken; /* failed because the runner could not run the tests */
  int tests, passed, failed, skipped;
  double seconds;
  char *skip_reason; /* the first skipped test's reason, or NULL */
  char *facts;       /* measured facts the tests reported, lines, or NULL */
  stage_failure_t *failures;
  size_t failure_count;
} stage_result_t;

/* Where and how to run stage suites. */
typedef struct stage_run_options {
  const char *runner;   /* the kata's Criterion executable */
  const char *work_dir; /* scratch directory for reports and notes */
  uint64_t seed;
  int sanitized; /* the runner and plug-in carry ASan/UBSan */
  /* Starts each fact line ("sieve: ..."), when one run of a set of
   * plug-ins reports beside the others; NULL: as the tests wrote them. */
  const char *fact_label;
  /* The command that replays this stage, for the suites' messages
   * ($SDKATA_REPLAY); NULL: none. */
  const char *replay;
} stage_run_options_t;

/* Runs stage against the plug-in at plugin_path and fills *result (free it
 * with stage_result_free). Returns 0, or a negative error when the runner
 * itself could not be started or left no report (result then says why). */
int stages_run(const stage_run_options_t *options, const kata_stage_t *stage,
               const char *plugin_path, stage_result_t *result);

/* Folds other into into, for implementations made of several plug-ins
 * (one per algorithm): failed if either failed, passed if either passed,
 * not attempted only if both were. Takes ownership of other's contents. */
void stage_result_merge(stage_result_t *into, stage_result_t *other);

void stage_result_free(stage_result_t *result);

#endif /* SDKATA_STAGES_H */
