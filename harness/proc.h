/* proc.h - runs a child process to completion under a time limit (libuv),
 * and ends every process it started with it. */
#ifndef SDKATA_PROC_H
#define SDKATA_PROC_H

#include <stdint.h>

typedef struct proc_result {
  int64_t exit_status; /* valid when term_signal is 0 */
  int term_signal;     /* the signal that ended it, or 0 */
  int timed_out;       /* 1 when it was killed for running too long */
} proc_result_t;

/* Runs argv[0] with argv and this process's environment changed by env_add
 * (NULL-terminated, may be NULL): "K=V" sets K, a bare "K" removes it. The
 * child's stdout and stderr go to output_path (truncated), or are inherited
 * when output_path is NULL. The child leads a process group of its own:
 * after timeout_ms (0: no limit) the whole group is killed with SIGKILL,
 * and so is whatever it left running when it ends (a hung worker of a
 * crashed test, a server it started). Returns 0 with *result filled, or a
 * negative libuv error when the process could not be started. */
int proc_run(char *const argv[], char *const env_add[], const char *output_path,
             uint64_t timeout_ms, proc_result_t *result);

/* Makes SIGINT, SIGTERM and SIGHUP to this process end the group proc_run
 * is running too, before this process dies of the signal as it would have:
 * a Ctrl-C reaches the terminal's foreground group only, which the child's
 * own group is not. For a single-threaded command line; call it once. */
void proc_forward_interrupts(void);

/* Reads a whole file into a NUL-terminated heap string (caller frees), or
 * NULL when it cannot be read. */
char *proc_read_file(const char *path);

#endif /* SDKATA_PROC_H */
