/* test_outcome.c - what a run of stages comes to: the exit code and the
 * closing line, for every mix of passed, failed, not attempted, optional
 * and one stage asked for. */
#include <criterion/criterion.h>
#include <string.h>

#include "outcome.h"

static const kata_stage_t stages[] = {
    {1, "one", "first", 0, 0},   {2, "two", "second", 0, 0},
    {3, "three", "third", 0, 0}, {4, "four", "fourth", 0, 0},
    {5, "five", "fifth", 0, 1},
};
static const kata_t kata = {
    .name = "fixture",
    .stages = stages,
    .stage_count = sizeof stages / sizeof stages[0],
};

#define P STAGE_PASSED
#define F STAGE_FAILED
#define N STAGE_NOT_ATTEMPTED
#define R STAGE_NOT_RUN

static void assert_outcome(const stage_status_t statuses[5], int only,
                           outcome_code_t code, const char *summary) {
  stage_result_t results[5];
  memset(results, 0, sizeof results);
  for (int i = 0; i < 5; i++)
    results[i].status = statuses[i];
  outcome_t outcome;
  outcome_judge(&kata, results, only, &outcome);
  cr_assert(outcome.code == code && strcmp(outcome.summary, summary) == 0,
            "stages %d %d %d %d %d (5 optional; only %d): expected exit %d "
            "and \"%s\"; got exit %d and \"%s\"",
            statuses[0], statuses[1], statuses[2], statuses[3], statuses[4],
            only, code, summary, outcome.code, outcome.summary);
}

Test(outcome, every_stage_passing_exits_0) {
  assert_outcome((stage_status_t[]){P, P, P, P, P}, 0, OUTCOME_PASSED,
                 "stages 1–5 pass");
}

Test(outcome, an_optional_stage_left_not_attempted_still_exits_0) {
  assert_outcome((stage_status_t[]){P, P, P, P, N}, 0, OUTCOME_PASSED,
                 "stages 1–4 pass; stage 5 (optional) not attempted");
}

Test(outcome, a_failure_exits_1_whatever_follows) {
  assert_outcome((stage_status_t[]){P, P, F, R, R}, 0, OUTCOME_FAILED,
                 "stage 3 fails; stages 1, 2 pass");
  assert_outcome((stage_status_t[]){F, R, R, R, R}, 0, OUTCOME_FAILED,
                 "stage 1 fails");
}

Test(outcome, a_required_stage_not_attempted_exits_3_and_names_the_next) {
  assert_outcome((stage_status_t[]){P, N, P, N, N}, 0, OUTCOME_NOT_ATTEMPTED,
                 "stages 1, 3 pass; stages 2, 4 not attempted; stage 5 "
                 "(optional) not attempted: next is stage 2, \"second\", "
                 "whose rule is in katas/fixture/README.md");
}

Test(outcome, nothing_attempted_says_where_to_start) {
  assert_outcome((stage_status_t[]){N, N, N, N, N}, 0, OUTCOME_NOT_ATTEMPTED,
                 "stages 1–4 not attempted; stage 5 (optional) not "
                 "attempted: start with stage 1, \"first\", whose rule is "
                 "in katas/fixture/README.md");
}

Test(outcome, one_stage_asked_for_is_required_even_if_optional) {
  assert_outcome((stage_status_t[]){R, R, R, R, N}, 5, OUTCOME_NOT_ATTEMPTED,
                 "stage 5 not attempted: start with stage 5, \"fifth\", "
                 "whose rule is in katas/fixture/README.md");
  assert_outcome((stage_status_t[]){R, P, R, R, R}, 2, OUTCOME_PASSED,
                 "stage 2 passes");
}
