/* stagekit.c - what a kata's Criterion stage suites share: the plug-in under
 * test, the seed, crash notes and jemalloc leak accounting. */
#include "stagekit.h"

#include "memstat.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/output.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Generous for any correct implementation of a stage, small enough that a
 * runaway loop hits it in seconds. */
#define STAGEKIT_ADDRESS_SPACE_CAP (8ULL << 30)

static plugin_t loaded_plugin;
static int plugin_loaded;
static char current_step[512];

const plugin_t *stagekit_plugin(void) {
  if (plugin_loaded)
    return &loaded_plugin;
  const char *path = getenv("SDKATA_PLUGIN");
  if (path == NULL || *path == '\0')
    cr_assert_fail("SDKATA_PLUGIN is not set: run the stages through sdkata "
                   "(make kata=NAME check) or set it to a plug-in's .so path");
  const char *why = NULL;
  if (plugin_open(&loaded_plugin, path, "under test", &why) != 0)
    cr_assert_fail("could not load the plug-in %s: %s", path, why ? why : "");
  plugin_loaded = 1;
  return &loaded_plugin;
}

void stagekit_bound(int rc, const char *missing) {
  if (rc != 0)
    cr_assert_fail("the plug-in %s does not define %s(): every function of the "
                   "header must be defined, even if it only answers "
                   "\"not implemented\"",
                   loaded_plugin.path, missing ? missing : "?");
}

uint64_t stagekit_seed(void) {
  const char *text = getenv("SDKATA_SEED");
  if (text == NULL || *text == '\0')
    return 1;
  return strtoull(text, NULL, 10);
}

const char *stagekit_replay(void) {
  static char fallback[64];
  const char *text = getenv("SDKATA_REPLAY");
  if (text != NULL && *text != '\0')
    return text;
  snprintf(fallback, sizeof fallback, "seed=%llu",
           (unsigned long long)stagekit_seed());
  return fallback;
}

/* Where this test's notes go: $SDKATA_NOTES/<suite>.<test>.crash, .step,
 * .facts and .stderr,
 * read by the harness to explain a crash or a hang. Computed in
 * stagekit_guard, since the signal handler may only call write(2). */
static char crash_note_path[768];
static char step_note_path[768];
static char fact_note_path[768];
/* The test's own process: a process it forks (a worker, a replay run apart
 * to survive a crash) inherits the handlers and the paths, and must not
 * overwrite the test's notes with its own. */
static pid_t guarded_pid;

static void note_paths_init(void) {
  crash_note_path[0] = step_note_path[0] = fact_note_path[0] = '\0';
  const char *dir = getenv("SDKATA_NOTES");
  if (dir == NULL || criterion_current_test == NULL)
    return;
  snprintf(crash_note_path, sizeof crash_note_path, "%s/%s.%s.crash", dir,
           criterion_current_test->category, criterion_current_test->name);
  snprintf(step_note_path, sizeof step_note_path, "%s/%s.%s.step", dir,
           criterion_current_test->category, criterion_current_test->name);
  snprintf(fact_note_path, sizeof fact_note_path, "%s/%s.%s.facts", dir,
           criterion_current_test->category, criterion_current_test->name);
  /* What the test process prints to stderr (a sanitizer's report, the
   * learner's own debugging output) is kept per test, beside its notes. */
  char stderr_path[768];
  snprintf(stderr_path, sizeof stderr_path, "%s/%s.%s.stderr", dir,
           criterion_current_test->category, criterion_current_test->name);
  int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
}

static void write_text(int fd, const char *text) {
  ssize_t ignored = write(fd, text, strlen(text));
  (void)ignored;
}

static const char *signal_name(int signal_number) {
  switch (signal_number) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  case SIGABRT: return "SIGABRT";
  default: return "SIGNAL";
  }
}

static void on_fatal_signal(int signal_number) {
  if (crash_note_path[0] != '\0' && getpid() == guarded_pid) {
    int fd = open(crash_note_path, O_WRONLY | O_TRUNC | O_CREAT, 0644);
    if (fd >= 0) {
      /* Line 1: the signal; line 2: the step the test was at. */
      write_text(fd, signal_name(signal_number));
      write_text(fd, "\n");
      write_text(fd, current_step);
      write_text(fd, "\n");
      /* Line 3: the address space in use (the first field of
       * /proc/self/statm, in pages), so that a crash after malloc failed
       * at the cap can be told apart from a plain bad pointer. */
      char statm[64] = "0";
      int statm_fd = open("/proc/self/statm", O_RDONLY);
      if (statm_fd >= 0) {
        ssize_t got = read(statm_fd, statm, sizeof statm - 1);
        statm[got > 0 ? got : 0] = '\0';
        close(statm_fd);
      }
      char *space = strchr(statm, ' ');
      if (space != NULL)
        *space = '\0';
      write_text(fd, statm);
      write_text(fd, "\n");

      /* Then the frames, innermost first, to name the function it died in
       * ("solution.so(rl_check+0x2a)"). */
      void *frames[16];
      int depth = backtrace(frames, 16);
      backtrace_symbols_fd(frames, depth, fd);
      close(fd);
    }
  }
  signal(signal_number, SIG_DFL);
  raise(signal_number);
}

void stagekit_guard(void) {
  static char alternate_stack[64 * 1024];
  stack_t stack = {.ss_sp = alternate_stack, .ss_size = sizeof alternate_stack};
  sigaltstack(&stack, NULL);
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_fatal_signal;
  action.sa_flags = SA_ONSTACK | SA_NODEFER | SA_RESETHAND;
  int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
  for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
    sigaction(signals[i], &action, NULL);
  current_step[0] = '\0';
  guarded_pid = getpid();
  note_paths_init();
  /* backtrace() loads libgcc on first use, which is not safe inside a
   * signal handler: do it now. */
  void *warm_up[1];
  backtrace(warm_up, 1);
  /* Runaway memory in the code under test must end this test, not the
   * machine: cap the address space (not under a sanitizer, which reserves
   * terabytes of shadow memory). */
  if (memstat_allocated() >= 0) {
    struct rlimit cap = {STAGEKIT_ADDRESS_SPACE_CAP,
                         STAGEKIT_ADDRESS_SPACE_CAP};
    setrlimit(RLIMIT_AS, &cap);
  }
}

void stagekit_step(const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(current_step, sizeof current_step, format, args);
  va_end(args);
  /* A hang ends in SIGKILL, which no handler sees, so the step is also
   * kept in a file that the harness reads after a timeout. */
  if (step_note_path[0] == '\0' || getpid() != guarded_pid)
    return;
  int fd = open(step_note_path, O_WRONLY | O_TRUNC | O_CREAT, 0644);
  if (fd < 0)
    return;
  write_text(fd, current_step);
  close(fd);
}

void stagekit_fact(const char *format, ...) {
  if (fact_note_path[0] == '\0')
    return;
  FILE *file = fopen(fact_note_path, "a");
  if (file == NULL)
    return;
  va_list args;
  va_start(args, format);
  vfprintf(file, format, args);
  va_end(args);
  fputc('\n', file);
  fclose(file);
}

/* Criterion's own JSON report does not escape the messages it carries (a
 * key printed in quotes breaks it), so the runner also writes this one,
 * through cJSON, with what the harness needs: per test, its status, the
 * signal that killed it, a timeout, an early exit, and every failed
 * assertion's message. Selected with --output=sdkata=FILE. */
static void write_sdkata_report(FILE *stream,
                                struct criterion_global_stats *stats) {
  cJSON *root = cJSON_CreateObject();
  cJSON *suites = cJSON_AddArrayToObject(root, "suites");
  for (struct criterion_suite_stats *suite = stats->suites; suite != NULL;
       suite = suite->next) {
    cJSON *suite_json = cJSON_CreateObject();
    cJSON_AddStringToObject(suite_json, "name", suite->suite->name);
    cJSON *tests = cJSON_AddArrayToObject(suite_json, "tests");
    for (struct criterion_test_stats *test = suite->tests; test != NULL;
         test = test->next) {
      cJSON *test_json = cJSON_CreateObject();
      const char *status = test->test_status == CR_STATUS_PASSED    ? "PASSED"
                           : test->test_status == CR_STATUS_SKIPPED ? "SKIPPED"
                                                                    : "FAILED";
      cJSON_AddStringToObject(test_json, "name", test->test->name);
      cJSON_AddStringToObject(test_json, "status", status);
      cJSON_AddBoolToObject(test_json, "crashed", test->crashed);
      cJSON_AddNumberToObject(test_json, "signal", test->signal);
      cJSON_AddBoolToObject(test_json, "timed_out", test->timed_out);
      /* A test's own timeout, else its suite's. */
      double timeout = test->test->data ? test->test->data->timeout : 0;
      if (timeout <= 0 && suite->suite->data != NULL)
        timeout = suite->suite->data->timeout;
      cJSON_AddNumberToObject(test_json, "timeout", timeout);
      cJSON_AddNumberToObject(test_json, "exit_code", test->exit_code);
      cJSON_AddNumberToObject(test_json, "seconds", test->elapsed_time);
      if (test->message != NULL)
        cJSON_AddStringToObject(test_json, "message", test->message);
      cJSON *failures = cJSON_AddArrayToObject(test_json, "failures");
      for (struct criterion_assert_stats *check = test->asserts; check != NULL;
           check = check->next)
        if (!check->passed && check->message != NULL)
          cJSON_AddItemToArray(failures, cJSON_CreateString(check->message));
      cJSON_AddItemToArray(tests, test_json);
    }
    cJSON_AddItemToArray(suites, suite_json);
  }
  char *text = cJSON_Print(root);
  if (text != NULL)
    fputs(text, stream);
  free(text);
  cJSON_Delete(root);
}

ReportHook(PRE_ALL)(struct criterion_test_set *tests) {
  (void)tests;
  criterion_register_output_provider("sdkata", write_sdkata_report);
}

const char *stagekit_rc_text(int rc, const char *not_implemented) {
  static char ring[8][64];
  static unsigned next;
  char *text = ring[next++ % 8];
  const char *name = NULL;
  switch (rc) {
  case 0: return "0";
  case -EINVAL: name = "-EINVAL"; break;
  case -ENOMEM: name = "-ENOMEM"; break;
  case -E2BIG: name = "-E2BIG"; break;
  case -ENOSYS: name = not_implemented; break;
  }
  if (name != NULL)
    snprintf(text, sizeof ring[0], "%d (%s)", rc, name);
  else
    snprintf(text, sizeof ring[0], "%d (%s)", rc, strerror(rc < 0 ? -rc : rc));
  return text;
}

const char *stagekit_bytes_text(const void *bytes, size_t len) {
  static char ring[8][256];
  static unsigned next;
  char *text = ring[next++ % 8];
  const unsigned char *data = bytes;
  size_t used = 0, shown = len > 40 ? 40 : len;
  text[used++] = '"';
  for (size_t i = 0; i < shown; i++) {
    unsigned char c = data[i];
    if (c == '"' || c == '\\')
      used += (size_t)sprintf(text + used, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      text[used++] = (char)c;
    else
      used += (size_t)sprintf(text + used, "\\x%02x", c);
  }
  text[used] = '\0';
  if (len > shown)
    snprintf(text + used, sizeof ring[0] - used, "...\" (%zu bytes)", len);
  else if (bytes == NULL)
    snprintf(text + used, sizeof ring[0] - used, "\" (NULL, length 0)");
  else if (len == 0)
    snprintf(text + used, sizeof ring[0] - used, "\" (empty)");
  else
    snprintf(text + used, sizeof ring[0] - used, "\"");
  return text;
}

int stagekit_fork(void (*fn)(void *arg), void *arg, unsigned seconds,
                  stagekit_exit_t *how) {
  memset(how, 0, sizeof *how);
  /* Set in the child just before it ends normally, so that an exit(0) from
   * the code under test is not taken for fn returning. */
  static volatile int *returned;
  if (returned == NULL &&
      (returned = stagekit_shared(sizeof *returned)) == NULL)
    return -ENOMEM;
  *returned = 0;
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return -errno;
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* A core file per crashing child would cost more than its run. */
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
      signal(signals[i], SIG_DFL);
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) {
      dup2(null_fd, STDERR_FILENO);
      close(null_fd);
    }
    alarm(seconds);
    fn(arg);
    *returned = 1;
    _exit(0);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return -errno;
  if (WIFSIGNALED(status))
    how->signal = WTERMSIG(status);
  else if (*returned && WEXITSTATUS(status) == 0)
    how->finished = 1;
  else
    how->exit_status = WEXITSTATUS(status);
  return 0;
}

void *stagekit_shared(size_t size) {
  void *memory = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return memory == MAP_FAILED ? NULL : memory;
}

const char *stagekit_signal_name(int signal_number) {
  static char ring[4][32];
  static unsigned next;
  const char *name = signal_name(signal_number);
  if (strcmp(name, "SIGNAL") != 0)
    return name;
  if (signal_number == SIGALRM)
    return "SIGALRM";
  char *text = ring[next++ % 4];
  snprintf(text, sizeof ring[0], "signal %d", signal_number);
  return text;
}
