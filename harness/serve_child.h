/* serve_child.h - `sdkata serve` as a child of an end-to-end test: started
 * on a free port, its port read from its first line, killed at the end. */
#ifndef SERVE_CHILD_H
#define SERVE_CHILD_H

#include <sys/types.h>

/* The running server: its pid (-1 when none), the read end of the pipe
 * that holds its stdout and stderr (-1 when none), its port, and what it
 * said up to its "listening on" line. */
typedef struct serve_child {
  pid_t pid;
  int output;
  int port;
  char said[2048];
} serve_child_t;

/* Starts build/sdkata serve with args (what follows "serve", ending with
 * NULL; pass "--port", "0" for a free port), dying with the test process,
 * and waits at most wait_ms for its "listening on SCHEME://127.0.0.1:PORT"
 * line (scheme "http" or "redis"), keeping the lines before it; fills
 * *child. Fails the test, quoting
 * what the server said, when the line does not come. */
void serve_child_start(serve_child_t *child, const char *const args[],
                       const char *scheme, int wait_ms);

/* Kills (SIGKILL) and reaps the server if it runs, and closes its output:
 * for a test's .fini, after a failed assertion left it running. */
void serve_child_kill(serve_child_t *child);

#endif /* SERVE_CHILD_H */
