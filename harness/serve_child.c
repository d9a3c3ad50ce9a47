/* serve_child.c - `sdkata serve` as a child of an end-to-end test. */
#include "serve_child.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

#define MAX_ARGS 32

static uint64_t monotonic_ms(void) {
  return clock_monotonic_ns() / 1000000;
}

void serve_child_start(serve_child_t *child, const char *const args[],
                       const char *scheme, int wait_ms) {
  char *argv[MAX_ARGS + 3] = {SDKATA_BUILD_DIR "/sdkata", "serve"};
  size_t argc = 2;
  for (size_t i = 0; args[i] != NULL && i < MAX_ARGS; i++)
    argv[argc++] = (char *)args[i];
  argv[argc] = NULL;
  int fds[2];
  cr_assert_eq(pipe(fds), 0, "pipe: %s", strerror(errno));
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  child->pid = fork();
  cr_assert_geq(child->pid, 0, "fork: %s", strerror(errno));
  if (child->pid == 0) {
    /* Dies with this test process, whatever ends it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(fds[1], STDOUT_FILENO);
    dup2(fds[1], STDERR_FILENO);
    execv(argv[0], argv);
    _exit(127);
  }
  close(fds[1]);
  child->output = fds[0];
  char prefix[64];
  snprintf(prefix, sizeof prefix, "listening on %s://127.0.0.1:", scheme);
  char *line = child->said;
  size_t len = 0;
  line[0] = '\0';
  uint64_t deadline = monotonic_ms() + (uint64_t)wait_ms;
  /* Lines before the listening line (a kata's notes) are kept; reading
   * stops at the newline after it. */
  while (len < sizeof child->said - 1 &&
         (strstr(line, prefix) == NULL ||
          strchr(strstr(line, prefix), '\n') == NULL)) {
    uint64_t now = monotonic_ms();
    cr_assert_lt(now, deadline,
                 "expected a \"listening on\" line from sdkata serve "
                 "within %d ms; got \"%.*s\"",
                 wait_ms, (int)len, line);
    struct pollfd p = {child->output, POLLIN, 0};
    if (poll(&p, 1, (int)(deadline - now)) <= 0)
      continue;
    ssize_t n = read(child->output, line + len, sizeof child->said - 1 - len);
    cr_assert_gt(n, 0,
                 "expected a \"listening on\" line; sdkata serve closed its "
                 "output after \"%.*s\"",
                 (int)len, line);
    len += (size_t)n;
    line[len] = '\0';
  }
  const char *url = strstr(line, prefix);
  cr_assert_not_null(url, "expected \"%sPORT\"; got \"%s\"", prefix, line);
  child->port = atoi(url + strlen(prefix));
  cr_assert_gt(child->port, 0, "expected a port in \"%s\"", line);
  cr_assert(strstr(line, "(impl ") != NULL && strstr(line, "Ctrl-C") != NULL,
            "expected the impl and how to stop in \"%s\"", line);
}

void serve_child_kill(serve_child_t *child) {
  if (child->pid > 0) {
    kill(child->pid, SIGKILL);
    waitpid(child->pid, NULL, 0);
    child->pid = -1;
  }
  if (child->output >= 0) {
    close(child->output);
    child->output = -1;
  }
}
