/* outcome.h - what a run of a kata's stages comes to: the exit code a
 * script reads and the closing line that says the same thing in words. */
#ifndef SDKATA_OUTCOME_H
#define SDKATA_OUTCOME_H

#include <stddef.h>

#include "kata.h"
#include "stages.h"

/* The exit codes of check and bench, as README.md and --help state them. */
typedef enum outcome_code {
  OUTCOME_PASSED = 0,        /* every required stage run passed */
  OUTCOME_FAILED = 1,        /* a stage failed */
  OUTCOME_USAGE = 2,         /* nothing was checked: a bad option, an
                                unknown kata, a file that does not compile */
  OUTCOME_NOT_ATTEMPTED = 3, /* no stage failed, but a required stage was
                                not attempted */
} outcome_code_t;

typedef struct outcome {
  outcome_code_t code;
  const char *word; /* "passed", "failed", "not attempted" (for JSON) */
  /* "stages 1–6 pass; stage 7 not attempted: next is stage 7, ..., whose
   * rule is in katas/KATA/README.md" */
  char summary[512];
} outcome_t;

/* Judges results, one per stage of kata in its order (stage_count of
 * them). only_stage is 0 when every stage was asked for; otherwise the one
 * stage that was, which then counts as required even if the kata marks it
 * optional. Fills *out. */
void outcome_judge(const kata_t *kata, const stage_result_t *results,
                   int only_stage, outcome_t *out);

#endif /* SDKATA_OUTCOME_H */
