/* proc.h - runs a child process to completion under a time limit (libuv). */
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
 * when output_path is NULL. Kills it with SIGKILL after timeout_ms (0: no
 * limit). Returns 0 with *result filled, or a negative libuv error when the
 * process could not be started. */
int proc_run(char *const argv[], char *const env_add[], const char *output_path,
             uint64_t timeout_ms, proc_result_t *result);

/* Reads a whole file into a NUL-terminated heap string (caller frees), or
 * NULL when it cannot be read. */
char *proc_read_file(const char *path);

#endif /* SDKATA_PROC_H */
