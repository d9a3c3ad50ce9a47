/* test_proc.c - a child run by proc_run takes everything it started with
 * it: on a timeout, and when it ends leaving workers behind. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "proc.h"

#define WORKERS 3

/* 1 while pid runs (a zombie waiting for its reaper has ended). */
static int alive(pid_t pid) {
  char path[64], state = '?';
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  FILE *stat = fopen(path, "r");
  if (stat == NULL)
    return 0;
  int got = fscanf(stat, "%*d (%*[^)]) %c", &state);
  fclose(stat);
  return got == 1 && state != 'Z' && state != 'X';
}

/* Runs a shell that starts WORKERS sleeping workers, writes their pids to
 * a file of this test, then ends as tail says ("wait": it hangs until the
 * timeout; "exit 0": it leaves them running). Returns how many workers
 * still run 2 s after proc_run returned (the reaper may take a moment). */
static int workers_left_after(const char *tail, uint64_t timeout_ms,
                              proc_result_t *result) {
  char pids_path[128], script[512];
  snprintf(pids_path, sizeof pids_path, "%s/proc-test-%ld.pids",
           SDKATA_BUILD_DIR, (long)getpid());
  snprintf(script, sizeof script,
           "for i in 1 2 3; do sleep 300 & echo $! >> '%s'; done; %s",
           pids_path, tail);
  remove(pids_path);
  char *argv[] = {"/bin/sh", "-c", script, NULL};
  cr_assert_eq(proc_run(argv, NULL, NULL, timeout_ms, result), 0,
               "could not run /bin/sh");
  pid_t pids[WORKERS];
  FILE *file = fopen(pids_path, "r");
  cr_assert_not_null(file, "the shell wrote no pids to %s", pids_path);
  int count = 0;
  long pid;
  while (count < WORKERS && fscanf(file, "%ld", &pid) == 1)
    pids[count++] = (pid_t)pid;
  fclose(file);
  remove(pids_path);
  cr_assert_eq(count, WORKERS, "expected %d worker pids, read %d", WORKERS,
               count);
  int left = WORKERS;
  uint64_t deadline = clock_monotonic_ns() + 2000000000ULL;
  while (left > 0 && clock_monotonic_ns() < deadline) {
    left = 0;
    for (int i = 0; i < WORKERS; i++)
      left += alive(pids[i]);
    if (left > 0)
      usleep(10000);
  }
  for (int i = 0; i < WORKERS; i++)
    if (alive(pids[i]))
      kill(pids[i], SIGKILL); /* never leave them to the next test */
  return left;
}

Test(proc, a_hung_child_and_the_workers_it_spawned_all_end_on_timeout,
     .timeout = 30) {
  proc_result_t result;
  int left = workers_left_after("wait", 300, &result);
  cr_assert(result.timed_out, "a shell waiting on sleep 300 with a 300 ms "
                              "limit should be reported as timed out");
  cr_assert_eq(left, 0,
               "a hung child that spawned %d workers timed out; expected no "
               "worker left running, %d still run",
               WORKERS, left);
}

Test(proc, workers_left_behind_by_a_child_that_ended_are_ended_too,
     .timeout = 30) {
  proc_result_t result;
  int left = workers_left_after("exit 0", 0, &result);
  cr_assert(!result.timed_out && result.term_signal == 0 &&
                result.exit_status == 0,
            "the shell should exit 0 by itself");
  cr_assert_eq(left, 0,
               "a child exited leaving %d workers running; expected none "
               "left, %d still run",
               WORKERS, left);
}
