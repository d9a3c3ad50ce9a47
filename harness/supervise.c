/* supervise.c - runs a server in a child process and outlives it: crashes
 * and hangs of the served code become a sentence and a restart. */
#include "supervise.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* Restarts allowed within RESTART_WINDOW_NS before giving up: a server that
 * crashes on every request would otherwise spin. */
#define MAX_RESTARTS 5
#define RESTART_WINDOW_NS 10000000000ULL
#define POLL_NS 50000000L

/* What the child tells the supervisor, in memory both map. */
typedef struct supervise_note {
  int port;          /* the port the child bound */
  uint64_t since_ns; /* when the current request began; 0 between them */
  char doing[224];   /* that request, in words */
} supervise_note_t;

static supervise_note_t *note;
static volatile sig_atomic_t stopping;
static volatile pid_t child;

static void forward_stop(int signal_number) {
  (void)signal_number;
  stopping = 1;
  if (child > 0)
    kill(child, SIGTERM);
}

void supervise_listening(int port) {
  if (note != NULL)
    note->port = port;
}

void supervise_begin(const char *format, ...) {
  if (note == NULL)
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(note->doing, sizeof note->doing, format, args);
  va_end(args);
  __atomic_store_n(&note->since_ns, clock_monotonic_ns(), __ATOMIC_RELEASE);
}

void supervise_end(void) {
  if (note != NULL)
    __atomic_store_n(&note->since_ns, 0, __ATOMIC_RELEASE);
}

/* Waits for the child to end, killing it when one request takes too long.
 * Returns its wait status; *hung is set when it was killed for hanging. */
static int wait_child(pid_t pid, int *hung, char *doing, size_t doing_size) {
  *hung = 0;
  for (;;) {
    int status;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid)
      return status;
    if (done < 0 && errno != EINTR)
      return 0;
    uint64_t since = __atomic_load_n(&note->since_ns, __ATOMIC_ACQUIRE);
    if (!*hung && !stopping && since != 0 &&
        clock_monotonic_ns() - since > SUPERVISE_HANG_MS * 1000000ULL) {
      snprintf(doing, doing_size, "%s", note->doing);
      *hung = 1;
      kill(pid, SIGKILL);
    }
    nanosleep(&(struct timespec){0, POLL_NS}, NULL);
  }
}

int supervise_run(int (*serve)(void *arg), void *arg, const char *what,
                  int *port) {
  note = mmap(NULL, sizeof *note, PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (note == MAP_FAILED) {
    note = NULL;
    return serve(arg); /* no supervision, rather than no server */
  }
  struct sigaction stop = {.sa_handler = forward_stop};
  sigaction(SIGINT, &stop, NULL);
  sigaction(SIGTERM, &stop, NULL);
  uint64_t restarts[MAX_RESTARTS] = {0};
  for (unsigned ends = 0;; ends++) {
    memset(note, 0, sizeof *note);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
      perror("sdkata serve: fork");
      return 2;
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      fflush(NULL);
      _exit(serve(arg));
    }
    child = pid;
    if (stopping)
      kill(pid, SIGTERM);
    int hung;
    char doing[sizeof note->doing] = "";
    int status = wait_child(pid, &hung, doing, sizeof doing);
    child = 0;
    /* An exit in the middle of a request is the served code's doing too:
     * exit() in the learner's file, or a sanitizer's report. */
    int mid_request = __atomic_load_n(&note->since_ns, __ATOMIC_ACQUIRE) != 0;
    if (stopping || (WIFEXITED(status) && !hung && !mid_request))
      return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    if (!hung)
      snprintf(doing, sizeof doing, "%s", note->doing);
    if (hung)
      fprintf(stderr,
              "sdkata serve: %s did not answer %s within %d s (an endless "
              "loop, or a lock never released?); stopped it",
              what, doing, SUPERVISE_HANG_MS / 1000);
    else if (WIFEXITED(status))
      fprintf(stderr,
              "sdkata serve: %s ended with exit status %d (exit() in the "
              "served code, or a sanitizer's report above) while answering "
              "%s",
              what, WEXITSTATUS(status), doing);
    else
      fprintf(stderr, "sdkata serve: %s crashed with signal %d (%s)%s%s", what,
              WTERMSIG(status), strsignal(WTERMSIG(status)),
              doing[0] ? " while answering " : " between requests", doing);
    uint64_t now = clock_monotonic_ns();
    uint64_t oldest = restarts[ends % MAX_RESTARTS];
    restarts[ends % MAX_RESTARTS] = now;
    if (oldest != 0 && now - oldest < RESTART_WINDOW_NS) {
      fprintf(stderr,
              ".\n%d times in %llu s: giving up. `make check` runs "
              "the same code under tests that name the failing "
              "call.\n",
              MAX_RESTARTS, RESTART_WINDOW_NS / 1000000000ULL);
      return 1;
    }
    if (note->port > 0)
      *port = note->port;
    fprintf(stderr, ".\nStarting it again on port %d, its state empty.\n",
            *port);
  }
}
