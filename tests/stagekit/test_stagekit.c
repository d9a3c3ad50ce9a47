/* test_stagekit.c - the stage kit's crash and step notes belong to the
 * test's own process: a process the test forks cannot overwrite them. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "stagekit.h"

static char notes_dir[512], crash_path[768], step_path[768];

/* Notes in a directory of this test process alone, then the guard. */
static void guard_with_notes(void) {
  snprintf(notes_dir, sizeof notes_dir, "%s/runs/stagekit-%ld",
           SDKATA_BUILD_DIR, (long)getpid());
  mkdir(SDKATA_BUILD_DIR "/runs", 0755);
  mkdir(notes_dir, 0755);
  setenv("SDKATA_NOTES", notes_dir, 1);
  snprintf(crash_path, sizeof crash_path, "%s/%s.%s.crash", notes_dir,
           criterion_current_test->category, criterion_current_test->name);
  snprintf(step_path, sizeof step_path, "%s/%s.%s.step", notes_dir,
           criterion_current_test->category, criterion_current_test->name);
  stagekit_guard();
}

/* Forks a child that runs body, then dies of SIGSEGV; waits for it. */
static void crash_in_child(void (*body)(void)) {
  pid_t child = fork();
  cr_assert_geq(child, 0, "fork failed");
  if (child == 0) {
    body();
    raise(SIGSEGV);
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
            "the child should have died of SIGSEGV");
}

static void step_then_crash(void) {
  stagekit_step("the forked child's step");
}

static void guard_then_crash(void) {
  stagekit_guard();
  stagekit_step("the child's own step");
}

static void remove_notes(void) {
  remove(crash_path);
  remove(step_path);
  rmdir(notes_dir);
}

Test(stagekit, a_forked_process_that_crashes_leaves_the_tests_notes_alone) {
  guard_with_notes();
  stagekit_step("the test's own step");
  crash_in_child(step_then_crash);
  char *crash = proc_read_file(crash_path);
  char *step = proc_read_file(step_path);
  remove_notes();
  cr_assert_null(crash,
                 "a forked child crashed: expected no crash note for the "
                 "test (whose process did not crash); found:\n%s",
                 crash);
  cr_assert(step != NULL && strcmp(step, "the test's own step") == 0,
            "expected the step note to stay \"the test's own step\"; it is "
            "\"%s\"",
            step ? step : "(none)");
  free(step);
}

Test(stagekit, a_process_that_guards_itself_writes_its_own_crash_note) {
  guard_with_notes();
  crash_in_child(guard_then_crash);
  char *crash = proc_read_file(crash_path);
  remove_notes();
  cr_assert(crash != NULL && strncmp(crash, "SIGSEGV\nthe child's own step\n",
                                     strlen("SIGSEGV\nthe child's own "
                                            "step\n")) == 0,
            "a guarded process crashed at \"the child's own step\": expected "
            "a crash note naming SIGSEGV and the step; found:\n%s",
            crash ? crash : "(none)");
  free(crash);
}
