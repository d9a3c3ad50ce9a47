/* test_sdkata.c - sdkata end to end: the verdicts a learner sees for code
 * that crashes, hangs, exits, runs out of memory or does not compile, the
 * stub, any .c path, and a load table. Runs the real binary. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "proc.h"

#define CONTAINMENT SDKATA_BUILD_DIR "/plugins/rate_limiter/containment"

/* What one sdkata run left: its exit, its printed words, its JSON. */
typedef struct sdkata_run {
  proc_result_t exit;
  char *output;
  cJSON *json;
} sdkata_run_t;

/* Runs sdkata with args. Its output and JSON go to files of this test
 * process alone (the pid: tests run in parallel, and may share a name). */
static sdkata_run_t run_sdkata(const char *name, const char *const args[]) {
  cr_assert_eq(build_make_dirs(SDKATA_BUILD_DIR "/runs"), 0,
               "could not make " SDKATA_BUILD_DIR "/runs");
  char output_path[512], json_path[512];
  snprintf(output_path, sizeof output_path, "%s/runs/e2e-%s-%ld.out",
           SDKATA_BUILD_DIR, name, (long)getpid());
  snprintf(json_path, sizeof json_path, "%s/runs/e2e-%s-%ld.json",
           SDKATA_BUILD_DIR, name, (long)getpid());
  remove(json_path);
  char *argv[32] = {SDKATA_BUILD_DIR "/sdkata"};
  int argc = 1;
  for (; args[argc - 1] != NULL && argc < 28; argc++)
    argv[argc] = (char *)args[argc - 1];
  argv[argc++] = "--json";
  argv[argc++] = json_path;
  argv[argc] = NULL;
  char *env[] = {"NO_COLOR=1", NULL};
  sdkata_run_t run = {0};
  int rc = proc_run(argv, env, output_path, 300000, &run.exit);
  cr_assert_eq(rc, 0, "could not start %s: %d", argv[0], rc);
  run.output = proc_read_file(output_path);
  char *json_text = proc_read_file(json_path);
  remove(output_path);
  remove(json_path);
  run.json = json_text ? cJSON_Parse(json_text) : NULL;
  free(json_text);
  cr_assert_eq(run.exit.term_signal, 0,
               "sdkata itself died of signal %d; it must never die of the "
               "code it checks. Output:\n%s",
               run.exit.term_signal, run.output ? run.output : "");
  return run;
}

static void free_run(sdkata_run_t *run) {
  free(run->output);
  cJSON_Delete(run->json);
}

/* The JSON of stage number (1-based). */
static const cJSON *stage_json(const sdkata_run_t *run, int number) {
  cr_assert_not_null(run->json, "sdkata wrote no JSON; output:\n%s",
                     run->output);
  const cJSON *stage =
      cJSON_GetArrayItem(cJSON_GetObjectItem(run->json, "stages"), number - 1);
  cr_assert_not_null(stage, "no stage %d in the JSON", number);
  return stage;
}

static const char *status_of(const sdkata_run_t *run, int number) {
  return cJSON_GetStringValue(
      cJSON_GetObjectItem(stage_json(run, number), "status"));
}

static const char *first_failure(const sdkata_run_t *run, int number) {
  const cJSON *failure = cJSON_GetArrayItem(
      cJSON_GetObjectItem(stage_json(run, number), "failures"), 0);
  const char *message =
      cJSON_GetStringValue(cJSON_GetObjectItem(failure, "message"));
  cr_assert_not_null(message, "stage %d has no failure message; output:\n%s",
                     number, run->output);
  return message;
}

/* Runs stage 1 only of the containment plug-in name and returns the run. */
static sdkata_run_t run_stage1(const char *name) {
  char impl[512];
  snprintf(impl, sizeof impl, CONTAINMENT "/%s.so", name);
  const char *args[] = {"check", "rate_limiter", "--impl", impl, "--stage",
                        "1",     "--seed",       "1",      NULL};
  return run_sdkata(name, args);
}

static void assert_stage1_failed_with(const char *name, const char *words) {
  sdkata_run_t run = run_stage1(name);
  cr_assert_str_eq(status_of(&run, 1), "failed",
                   "%s: stage 1 should fail; output:\n%s", name, run.output);
  const char *message = first_failure(&run, 1);
  cr_assert(strstr(message, words) != NULL,
            "%s: the verdict should say \"%s\"; it said:\n%s", name, words,
            message);
  cr_assert_eq(run.exit.exit_status, 1,
               "%s: sdkata should exit 1 for a failed stage, got %lld", name,
               (long long)run.exit.exit_status);
  free_run(&run);
}

Test(containment, a_crash_is_named_by_its_signal, .timeout = 300) {
#if SDKATA_SANITIZED
  /* UBSan sees the NULL load before it becomes a signal. */
  assert_stage1_failed_with("crash", "runtime error: load of null pointer");
#else
  assert_stage1_failed_with("crash", "segmentation fault (SIGSEGV)");
#endif
}

Test(containment, a_hang_is_named_as_a_loop_or_deadlock, .timeout = 300) {
  assert_stage1_failed_with("hang", "did not finish within 15 s");
}

Test(containment, an_exit_from_the_code_is_named, .timeout = 300) {
  assert_stage1_failed_with("exits", "exit()");
}

Test(containment, runaway_memory_is_named_as_running_out, .timeout = 300) {
#if SDKATA_SANITIZED
  cr_skip_test("the address-space cap is off under the sanitizers");
#endif
  assert_stage1_failed_with("runaway", "ran out of memory");
}

Test(containment, a_use_after_free_is_named_under_sanitize, .timeout = 300) {
#if !SDKATA_SANITIZED
  cr_skip_test("needs the sanitizer build (make test-sanitize)");
#endif
  assert_stage1_failed_with("use_after_free", "used memory after freeing it");
}

Test(build, a_compile_error_is_shown_alone_as_the_compiler_wrote_it,
     .timeout = 300) {
  const char *args[] = {"check", "rate_limiter", "--impl",
                        SDKATA_SOURCE_DIR "/tests/containment/"
                                          "does_not_compile.c",
                        NULL};
  sdkata_run_t run = run_sdkata("does_not_compile", args);
  cr_assert_eq(run.exit.exit_status, 2, "exit status %lld, expected 2",
               (long long)run.exit.exit_status);
  cr_assert(strstr(run.output, "does_not_compile.c:7") != NULL &&
                strstr(run.output, "error") != NULL,
            "the compiler's error (file:line and 'error') should be shown; "
            "output:\n%s",
            run.output);
  cr_assert(strstr(run.output, "stage 1") == NULL,
            "nothing else may run after a compile error; output:\n%s",
            run.output);
  free_run(&run);
}

Test(build, any_c_file_that_implements_the_header_can_be_checked,
     .timeout = 300) {
  const char *args[] = {"check",
                        "rate_limiter",
                        "--impl",
                        SDKATA_SOURCE_DIR "/katas/rate_limiter/reference/"
                                          "fixed_window.c",
                        "--stage",
                        "1",
                        "--seed",
                        "3",
                        NULL};
  sdkata_run_t run = run_sdkata("any_c_file", args);
  cr_assert_str_eq(status_of(&run, 1), "passed",
                   "the reference's source, given as a path, should pass "
                   "stage 1; output:\n%s",
                   run.output);
  free_run(&run);
}

/* The shipped stub of kata, from git (solution.c itself is the learner's
 * to change, so the test must not depend on it): every one of its
 * stage_count stages is "not attempted", and the run points to the
 * README. */
static void assert_stub_not_attempted(const char *kata, int stage_count) {
  char stub_path[512], command[1024];
  snprintf(stub_path, sizeof stub_path, "%s/runs/shipped_stub_%s.c",
           SDKATA_BUILD_DIR, kata);
  snprintf(command, sizeof command,
           "git -C '%s' show HEAD:katas/%s/solution.c > '%s' 2>/dev/null",
           SDKATA_SOURCE_DIR, kata, stub_path);
  if (system(command) != 0)
    cr_skip_test("not a git checkout: the shipped stub cannot be read");
  const char *args[] = {"check", kata, "--impl", stub_path, NULL};
  char name[64];
  snprintf(name, sizeof name, "stub-%s", kata);
  sdkata_run_t run = run_sdkata(name, args);
  for (int stage = 1; stage <= stage_count; stage++)
    cr_assert_str_eq(status_of(&run, stage), "not attempted",
                     "%s: stage %d of the stub; output:\n%s", kata, stage,
                     run.output);
  cr_assert(strstr(run.output, "README.md") != NULL,
            "the stub's run should point to the README; output:\n%s",
            run.output);
  cr_assert_eq(run.exit.exit_status, 3,
               "%s: the stub fails nothing but attempts no required stage: "
               "exit status %lld, expected 3; output:\n%s",
               kata, (long long)run.exit.exit_status, run.output);
  free_run(&run);
}

Test(stub, the_rate_limiter_stub_shows_every_stage_not_attempted,
     .timeout = 300) {
  assert_stub_not_attempted("rate_limiter", 7);
}

Test(stub, the_lru_cache_stub_shows_every_stage_not_attempted, .timeout = 300) {
  assert_stub_not_attempted("lru_cache", 6);
}

/* What a run of stages ended as, in JSON and in its last line. */
static void assert_outcome(const sdkata_run_t *run, const char *outcome,
                           int exit_code, const char *words) {
  const char *said =
      cJSON_GetStringValue(cJSON_GetObjectItem(run->json, "outcome"));
  const char *summary =
      cJSON_GetStringValue(cJSON_GetObjectItem(run->json, "summary"));
  double code =
      cJSON_GetNumberValue(cJSON_GetObjectItem(run->json, "exit_code"));
  cr_assert(run->exit.exit_status == exit_code && said != NULL &&
                strcmp(said, outcome) == 0 && code == exit_code &&
                summary != NULL && strstr(summary, words) != NULL &&
                strstr(run->output, summary) != NULL,
            "expected exit %d, JSON outcome \"%s\" and exit_code %d, and a "
            "summary saying \"%s\", printed; got exit %lld, outcome \"%s\", "
            "exit_code %g, summary \"%s\"; output:\n%s",
            exit_code, outcome, exit_code, words,
            (long long)run->exit.exit_status, said ? said : "(none)", code,
            summary ? summary : "(none)", run->output);
}

Test(exit_code, every_required_stage_passing_exits_0_with_optional_ones_left,
     .timeout = 300) {
  /* lru implements stages 1-5; stage 6 (beat LRU) is optional. */
  const char *args[] = {"check",     "lru_cache", "--impl", "lru",
                        "--no-load", "--seed",    "2",      NULL};
  sdkata_run_t run = run_sdkata("exit_0", args);
  assert_outcome(&run, "passed", 0,
                 "stages 1–5 pass; stage 6 (optional) not attempted");
  free_run(&run);
}

Test(exit_code, a_failed_stage_exits_1_and_says_which, .timeout = 300) {
  const char *args[] = {"check",  "lru_cache", "--impl", "evicts_most_recent",
                        "--seed", "2",         NULL};
  sdkata_run_t run = run_sdkata("exit_1", args);
  assert_outcome(&run, "failed", 1, "stage 1 fails");
  cr_assert(cJSON_GetArraySize(cJSON_GetObjectItem(run.json, "loads")) == 0,
            "nothing is loaded after a failure; output:\n%s", run.output);
  free_run(&run);
}

Test(exit_code, a_required_stage_not_attempted_exits_3_and_names_it,
     .timeout = 300) {
  /* fixed_window implements stages 1, 5 and 6 only. */
  const char *args[] = {"check",     "rate_limiter", "--impl", "fixed_window",
                        "--no-load", "--seed",       "2",      NULL};
  sdkata_run_t run = run_sdkata("exit_3", args);
  assert_outcome(&run, "not attempted", 3,
                 "stages 1, 5, 6 pass; stages 2–4, 7 not attempted: next is "
                 "stage 2, \"sliding log\", whose rule is in "
                 "katas/rate_limiter/README.md");
  free_run(&run);
}

Test(exit_code, one_stage_asked_for_counts_as_required, .timeout = 300) {
  const char *args[] = {"check", "lru_cache", "--impl", "lru", "--stage",
                        "6",     "--seed",    "2",      NULL};
  sdkata_run_t run = run_sdkata("exit_3_one_stage", args);
  assert_outcome(&run, "not attempted", 3, "stage 6 not attempted");
  free_run(&run);
}

Test(list, an_impl_is_listed_as_far_as_it_gets, .timeout = 300) {
  const char *args[] = {"list", "rate_limiter", "--impl", "reference", NULL};
  sdkata_run_t run = run_sdkata("list_impl", args);
  cr_assert(run.exit.exit_status == 0 &&
                strstr(run.output, "passes 7 of 7 stages") != NULL,
            "make list impl=reference should show every stage passing; exit "
            "%lld, output:\n%s",
            (long long)run.exit.exit_status, run.output);
  free_run(&run);
}

Test(load, the_reference_is_measured_beside_the_naive_baseline,
     .timeout = 300) {
#if SDKATA_SANITIZED
  cr_skip_test("no load under the sanitizers: their numbers mean nothing");
#endif
  const char *args[] = {"check",     "rate_limiter",
                        "--impl",    "fixed_window",
                        "--stage",   "0",
                        "--seed",    "5",
                        "--keys",    "20000",
                        "--rounds",  "2",
                        "--seconds", "0.2",
                        NULL};
  sdkata_run_t run = run_sdkata("load", args);
  const cJSON *load =
      cJSON_GetArrayItem(cJSON_GetObjectItem(run.json, "loads"), 0);
  const cJSON *rows = cJSON_GetObjectItem(load, "rows");
  cr_assert_eq(cJSON_GetArraySize(rows), 3,
               "rows for fixed_window, reference and naive expected; "
               "output:\n%s",
               run.output);
  const cJSON *row;
  cJSON_ArrayForEach(row, rows) {
    const char *impl = cJSON_GetStringValue(cJSON_GetObjectItem(row, "impl"));
    double ops = cJSON_GetNumberValue(cJSON_GetObjectItem(row, "operations"));
    double p50 = cJSON_GetNumberValue(cJSON_GetObjectItem(row, "p50_ns"));
    double p99 = cJSON_GetNumberValue(cJSON_GetObjectItem(row, "p99_ns"));
    double errors = cJSON_GetNumberValue(cJSON_GetObjectItem(row, "errors"));
    cr_assert(ops > 0 && p50 > 0 && p99 >= p50 && errors == 0,
              "%s: operations %.0f, p50 %.0f ns, p99 %.0f ns, errors %.0f; "
              "expected operations, p50 <= p99, no errors",
              impl, ops, p50, p99, errors);
  }
  cr_assert(strstr(run.output, "vs ref") && strstr(run.output, "verdict:"),
            "the table and its verdict should be printed; output:\n%s",
            run.output);
  free_run(&run);
}

Test(options, a_misspelt_kata_option_is_refused_with_the_right_name,
     .timeout = 300) {
  const char *args[] = {"serve", "lru_cache", "--max_entires", "10", NULL};
  sdkata_run_t run = run_sdkata("misspelt_option", args);
  cr_assert(run.exit.exit_status == 2 &&
                strstr(run.output, "did you mean --max-entries?") != NULL,
            "sdkata serve lru_cache --max_entires 10: expected exit 2 and "
            "\"did you mean --max-entries?\"; got exit %lld:\n%s",
            (long long)run.exit.exit_status, run.output);
  free_run(&run);
}

Test(options, a_number_that_does_not_parse_is_refused_before_anything_runs,
     .timeout = 300) {
  const char *args[] = {"check", "rate_limiter", "--threads", "-1", NULL};
  sdkata_run_t run = run_sdkata("bad_number", args);
  cr_assert(run.exit.exit_status == 2 &&
                strstr(run.output, "--threads wants a whole number") != NULL &&
                strstr(run.output, "stage 1") == NULL,
            "--threads -1: expected exit 2, the rule, and no stage run; got "
            "exit %lld:\n%s",
            (long long)run.exit.exit_status, run.output);
  free_run(&run);
}
