/* stages.c - runs a kata's stage suites against a plug-in in a child
 * process and turns Criterion's results into verdicts in plain words. */
#include "stages.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build.h"
#include "clock.h"
#include "proc.h"

/* A whole stage may not take longer than this, whatever its tests' own
 * timeouts say; past it the runner is killed and the stage fails. */
#define STAGE_TIMEOUT_MS (10 * 60 * 1000)
/* The address-space cap stagekit sets; a crash near it means memory ran
 * out, not a bad pointer. */
#define STAGE_MEMORY_CAP_KIB (8ULL << 20)
#define STAGE_PAGE_KIB 4ULL

/* Appends formatted text to a heap string (which may be NULL). */
static char *append(char *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static char *append(char *text, const char *format, ...) {
  va_list args;
  va_start(args, format);
  int extra = vsnprintf(NULL, 0, format, args);
  va_end(args);
  size_t length = text ? strlen(text) : 0;
  char *grown = realloc(text, length + (size_t)extra + 1);
  if (grown == NULL)
    return text;
  va_start(args, format);
  vsnprintf(grown + length, (size_t)extra + 1, format, args);
  va_end(args);
  return grown;
}

/* Empties dir of files left by an earlier run. */
static void clear_dir(const char *dir) {
  DIR *listing = opendir(dir);
  if (listing == NULL)
    return;
  struct dirent *entry;
  char path[PATH_MAX];
  while ((entry = readdir(listing)) != NULL) {
    if (entry->d_name[0] == '.')
      continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, entry->d_name) <
        (int)sizeof path)
      remove(path);
  }
  closedir(listing);
}

/* Reads notes_dir/<suite>.<test><suffix>; heap string or NULL. */
static char *read_note(const char *notes_dir, const char *suite,
                       const char *test, const char *suffix) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s.%s%s", notes_dir, suite, test,
               suffix) >= (int)sizeof path)
    return NULL;
  return proc_read_file(path);
}

typedef struct sanitizer_words {
  const char *kind;
  const char *words;
} sanitizer_words_t;

static const sanitizer_words_t sanitizer_kinds[] = {
    {"heap-use-after-free", "used memory after freeing it"},
    {"heap-buffer-overflow", "read or wrote past the end of a malloc'd block"},
    {"stack-buffer-overflow", "read or wrote past the end of a local array"},
    {"global-buffer-overflow", "read or wrote past the end of a global array"},
    {"stack-use-after-return", "used a local variable after its function "
                               "returned"},
    {"double-free", "freed the same memory twice"},
    {"bad-free", "freed a pointer that malloc did not return"},
    {"alloc-dealloc-mismatch", "freed memory with the wrong deallocator"},
    {"SEGV", "followed a bad pointer (NULL, freed or never set)"},
    {"undefined-behavior", "did something the C standard leaves undefined"},
};

/* Words a sanitizer report: the kind of error and where, in plain words,
 * then the sanitizer's own first lines for the details. */
static char *explain_sanitizer_report(const char *report) {
  const char *summary = strstr(report, "SUMMARY: ");
  const char *runtime_error = strstr(report, "runtime error: ");
  char *words = NULL;
  for (size_t i = 0; i < sizeof sanitizer_kinds / sizeof *sanitizer_kinds;
       i++) {
    if (summary != NULL && strstr(summary, sanitizer_kinds[i].kind)) {
      words = append(words, "the sanitizer caught your code: it %s (%s)",
                     sanitizer_kinds[i].words, sanitizer_kinds[i].kind);
      break;
    }
  }
  if (words == NULL && runtime_error != NULL)
    words = append(words, "the sanitizer caught undefined behaviour in your "
                          "code:");
  else if (words == NULL)
    words = append(words, "the sanitizer stopped the test");
  if (runtime_error != NULL) {
    /* UBSan's line says it best: "file.c:12:5: runtime error: ...". */
    const char *line = runtime_error;
    while (line > report && line[-1] != '\n')
      line--;
    const char *end = strchr(runtime_error, '\n');
    words = append(words, "\n%.*s", (int)(end ? end - line : 200), line);
  }
  if (summary != NULL) {
    const char *end = strchr(summary, '\n');
    words = append(words, "\n%.*s", (int)(end ? end - summary : 200), summary);
  }
  return words;
}

static const char *signal_words(int signal_number) {
  if (signal_number == SIGSEGV)
    return "crashed with a segmentation fault (SIGSEGV): the code read or "
           "wrote memory it does not own - a NULL or freed pointer, or an "
           "index past the end of an array";
  if (signal_number == SIGABRT)
    return "aborted (SIGABRT): an assert() failed, or the allocator found "
           "its memory corrupted (a double free, or a write past the end of "
           "a block)";
  if (signal_number == SIGFPE)
    return "crashed with an arithmetic error (SIGFPE): an integer division "
           "by zero";
  if (signal_number == SIGBUS)
    return "crashed with a bus error (SIGBUS): a misaligned or unmapped "
           "memory access";
  if (signal_number == SIGILL)
    return "crashed on an illegal instruction (SIGILL): a corrupted function "
           "pointer, or __builtin_unreachable() reached";
  return NULL;
}

/* "dir/crash.so(rl_check+0x7)[0x7f..]" -> "rl_check"; NULL when the frame
 * has no name. Writes into name. */
static const char *frame_function(const char *frame, size_t length, char *name,
                                  size_t size) {
  const char *open = memchr(frame, '(', length);
  if (open == NULL || open[1] == '+' || open[1] == ')')
    return NULL;
  const char *end = open + 1;
  while (end < frame + length && *end != '+' && *end != ')')
    end++;
  snprintf(name, size, "%.*s", (int)(end - open - 1), open + 1);
  return name;
}

/* Where the crash happened, from the backtrace lines of a crash note: the
 * first two frames are the handler and the kernel's trampoline; the next
 * one faulted. Says "in rl_check" or "in memcpy, called from rl_check". */
static char *crash_location(const char *frames) {
  char *words = NULL;
  const char *line = frames;
  char faulted[128] = "", caller[128] = "";
  for (int index = 0; line != NULL && *line != '\0' && index < 8; index++) {
    const char *end = strchr(line, '\n');
    size_t length = end ? (size_t)(end - line) : strlen(line);
    char name[128];
    if (index >= 2 && frame_function(line, length, name, sizeof name)) {
      int in_libc = memmem(line, length, "libc.so", 7) != NULL;
      if (faulted[0] == '\0' && in_libc)
        snprintf(faulted, sizeof faulted, "%s", name);
      else if (!in_libc) {
        snprintf(caller, sizeof caller, "%s", name);
        break;
      }
    }
    line = end ? end + 1 : NULL;
  }
  if (caller[0] != '\0' && faulted[0] != '\0')
    words =
        append(words, "\nit crashed in %s, called from %s", faulted, caller);
  else if (caller[0] != '\0')
    words = append(words, "\nit crashed in %s", caller);
  return words;
}

/* What a crashed test's handler noted (see stagekit.c): the signal, the
 * step, the address space in pages, then the backtrace. */
typedef struct crash_note {
  char step[512];
  unsigned long long pages;
  const char *frames; /* into the note's text, or NULL */
} crash_note_t;

static void parse_crash_note(const char *text, crash_note_t *note) {
  memset(note, 0, sizeof *note);
  const char *line = strchr(text, '\n'); /* line 1, the signal, is skipped */
  for (int index = 2; line != NULL && index <= 4; index++) {
    line++;
    if (index == 2)
      sscanf(line, "%511[^\n]", note->step);
    else if (index == 3)
      note->pages = strtoull(line, NULL, 10);
    else
      note->frames = line;
    if (index < 4)
      line = strchr(line, '\n');
  }
}

/* Words for a crash by signal_number, from the test's crash note and what
 * it printed to stderr (where a sanitizer writes its report). */
static char *explain_crash(int signal_number, const char *crash_text,
                           const char *printed, int sanitized) {
  char unknown[64];
  const char *crash_words = signal_words(signal_number);
  if (crash_words == NULL) {
    snprintf(unknown, sizeof unknown, "crashed, killed by signal %d (%s)",
             signal_number, strsignal(signal_number));
    crash_words = unknown;
  }
  if (crash_text == NULL)
    return append(NULL, "%s", crash_words);
  crash_note_t note;
  parse_crash_note(crash_text, &note);
  char *words = NULL;
  unsigned long long used_kib = note.pages * STAGE_PAGE_KIB;
  if (printed != NULL &&
      (strstr(printed, "Sanitizer") || strstr(printed, "runtime error: ")))
    words = explain_sanitizer_report(printed);
  else if (!sanitized && used_kib * 10 >= STAGE_MEMORY_CAP_KIB * 9)
    words = append(words,
                   "ran out of memory: it had reserved %llu MiB, at the "
                   "test's cap of %llu MiB (memory that is never freed, or a "
                   "loop that keeps allocating); then it %s",
                   used_kib >> 10, STAGE_MEMORY_CAP_KIB >> 10, crash_words);
  else
    words = append(words, "%s", crash_words);
  char *location = note.frames ? crash_location(note.frames) : NULL;
  if (location != NULL)
    words = append(words, "%s", location);
  free(location);
  if (note.step[0] != '\0')
    words = append(words, "\nit was at: %s", note.step);
  return words;
}

/* Explains a test that timed out (after timeout s; 0 when unknown) or was
 * killed by signal_number, from the notes it left. */
static char *explain_error(int timed_out, double timeout, int signal_number,
                           const char *notes_dir, const char *suite,
                           const char *test, int sanitized) {
  if (timed_out) {
    char *step = read_note(notes_dir, suite, test, ".step");
    char limit[32] = "its time limit";
    if (timeout > 0)
      snprintf(limit, sizeof limit, "%g s", timeout);
    char *words = append(NULL,
                         "did not finish within %s: an infinite loop, or a "
                         "deadlock (a lock taken twice, or never released)",
                         limit);
    if (step != NULL && step[0] != '\0')
      words = append(words, "\nit was at: %s", step);
    free(step);
    return words;
  }
  char *crash = read_note(notes_dir, suite, test, ".crash");
  char *printed = read_note(notes_dir, suite, test, ".stderr");
  char *words = explain_crash(signal_number, crash, printed, sanitized);
  free(crash);
  free(printed);
  return words;
}

/* Joins a test's failed-assertion messages into one text. */
static char *join_messages(const cJSON *messages) {
  char *text = NULL;
  const cJSON *line;
  cJSON_ArrayForEach(line, messages) {
    if (cJSON_IsString(line))
      text = append(text, "%s%s", text ? "\n" : "", line->valuestring);
  }
  return text;
}

static void add_failure(stage_result_t *result, const char *suite,
                        const char *test, char *message) {
  stage_failure_t *grown =
      realloc(result->failures, (result->failure_count + 1) * sizeof *grown);
  if (grown == NULL) {
    free(message);
    return;
  }
  result->failures = grown;
  stage_failure_t *failure = &grown[result->failure_count++];
  failure->test = append(NULL, "%s::%s", suite, test);
  failure->message = message;
}

/* Why a failed test failed, in words: its assertion's message, or the
 * crash, hang or exit that ended it. */
static char *explain_failure(const cJSON *test, const char *suite,
                             const char *name, const char *notes_dir,
                             int sanitized) {
  if (cJSON_IsTrue(cJSON_GetObjectItem(test, "timed_out"))) {
    double timeout = cJSON_GetNumberValue(cJSON_GetObjectItem(test, "timeout"));
    return explain_error(1, timeout, 0, notes_dir, suite, name, sanitized);
  }
  if (cJSON_IsTrue(cJSON_GetObjectItem(test, "crashed"))) {
    int signal_number =
        (int)cJSON_GetNumberValue(cJSON_GetObjectItem(test, "signal"));
    return explain_error(0, 0, signal_number, notes_dir, suite, name,
                         sanitized);
  }
  char *message = join_messages(cJSON_GetObjectItem(test, "failures"));
  if (message != NULL)
    return message;
  int exit_code =
      (int)cJSON_GetNumberValue(cJSON_GetObjectItem(test, "exit_code"));
  return append(NULL,
                "the test process ended in the middle of the test (exit "
                "status %d): does the code call exit()? An implementation "
                "must never end the process",
                exit_code);
}

static void read_test(const cJSON *test, const char *suite,
                      const char *notes_dir, int sanitized,
                      stage_result_t *result) {
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(test, "name"));
  const char *status =
      cJSON_GetStringValue(cJSON_GetObjectItem(test, "status"));
  if (name == NULL || status == NULL)
    return;
  result->tests++;
  char *facts = read_note(notes_dir, suite, name, ".facts");
  if (facts != NULL) {
    result->facts = append(result->facts, "%s", facts);
    free(facts);
  }
  if (strcmp(status, "PASSED") == 0) {
    result->passed++;
  } else if (strcmp(status, "SKIPPED") == 0) {
    result->skipped++;
    const char *reason =
        cJSON_GetStringValue(cJSON_GetObjectItem(test, "message"));
    if (result->skip_reason == NULL && reason != NULL)
      result->skip_reason = strdup(reason);
  } else {
    result->failed++;
    add_failure(result, suite, name,
                explain_failure(test, suite, name, notes_dir, sanitized));
  }
}

/* Reads the tests of suite from Criterion's JSON report into result (the
 * report lists every suite, the filtered-out ones as skipped). Returns 0,
 * -ENOENT or -EPROTO. */
static int read_report(const char *report_path, const char *suite_wanted,
                       const char *notes_dir, int sanitized,
                       stage_result_t *result) {
  char *text = proc_read_file(report_path);
  if (text == NULL)
    return -ENOENT;
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (root == NULL)
    return -EPROTO;
  const cJSON *suite;
  cJSON_ArrayForEach(suite, cJSON_GetObjectItem(root, "suites")) {
    const char *suite_name =
        cJSON_GetStringValue(cJSON_GetObjectItem(suite, "name"));
    if (suite_name == NULL || strcmp(suite_name, suite_wanted) != 0)
      continue;
    const cJSON *test;
    cJSON_ArrayForEach(test, cJSON_GetObjectItem(suite, "tests")) {
      read_test(test, suite_name, notes_dir, sanitized, result);
    }
  }
  cJSON_Delete(root);
  return 0;
}

/* Starts every line of result's facts with "label: ". */
static void label_facts(stage_result_t *result, const char *label) {
  if (label == NULL || result->facts == NULL)
    return;
  char *labelled = NULL;
  for (const char *line = result->facts; *line != '\0';) {
    const char *end = strchrnul(line, '\n');
    labelled = append(labelled, "%s: %.*s\n", label, (int)(end - line), line);
    line = *end == '\n' ? end + 1 : end;
  }
  free(result->facts);
  result->facts = labelled;
}

int stages_run(const stage_run_options_t *options, const kata_stage_t *stage,
               const char *plugin_path, stage_result_t *result) {
  memset(result, 0, sizeof *result);
  char notes_dir[PATH_MAX], report_path[PATH_MAX + 16], log_path[PATH_MAX];
  snprintf(notes_dir, sizeof notes_dir, "%s/%s", options->work_dir,
           stage->suite);
  snprintf(report_path, sizeof report_path, "%s/report.json", notes_dir);
  snprintf(log_path, sizeof log_path, "%s/runner.log", options->work_dir);
  int rc = build_make_dirs(notes_dir);
  if (rc != 0)
    return rc;
  clear_dir(notes_dir);

  char plugin_env[PATH_MAX + 32], seed_env[64], notes_env[PATH_MAX + 32];
  snprintf(plugin_env, sizeof plugin_env, "SDKATA_PLUGIN=%s", plugin_path);
  snprintf(seed_env, sizeof seed_env, "SDKATA_SEED=%llu",
           (unsigned long long)options->seed);
  snprintf(notes_env, sizeof notes_env, "SDKATA_NOTES=%s", notes_dir);
  char replay_env[1024];
  snprintf(replay_env, sizeof replay_env, "SDKATA_REPLAY=%s",
           options->replay ? options->replay : "");

  /* BXFI_MAP marks a Criterion worker: when sdkata itself runs inside one
   * (the project's own tests), the runner must not inherit it. */
  char *env[] = {plugin_env,
                 seed_env,
                 notes_env,
                 replay_env,
                 "BXFI_MAP",
                 "ASAN_OPTIONS=abort_on_error=1:detect_leaks=0",
                 "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:"
                 "abort_on_error=1",
                 NULL};
  char filter[128], json[PATH_MAX + 32];
  snprintf(filter, sizeof filter, "--filter=%s/*", stage->suite);
  snprintf(json, sizeof json, "-Osdkata:%s", report_path);
  /* --fail-fast: the first failure is the verdict; a hang then costs one
   * test timeout, not one per test. */
  char *argv[] = {(char *)options->runner, filter, json, "--jobs=2",
                  "--fail-fast",           NULL};

  uint64_t started = clock_monotonic_ns();
  proc_result_t run;
  rc = proc_run(argv, env, log_path, STAGE_TIMEOUT_MS, &run);
  result->seconds = (double)(clock_monotonic_ns() - started) / 1e9;
  if (rc != 0) {
    result->status = STAGE_FAILED;
    result->runner_broken = 1;
    add_failure(result, stage->suite, "runner",
                append(NULL, "could not start the stage runner %s: %s",
                       options->runner, uv_strerror(rc)));
    return rc;
  }
  rc = read_report(report_path, stage->suite, notes_dir, options->sanitized,
                   result);
  if (rc != 0 || result->tests == 0) {
    result->status = STAGE_FAILED;
    result->runner_broken = 1;
    add_failure(result, stage->suite, "runner",
                append(NULL,
                       "the stage runner %s, leaving no report (%s); its "
                       "output is in %s",
                       run.timed_out ? "ran out of time"
                                     : "ended without running the tests",
                       rc != 0 ? strerror(-rc) : "no tests", log_path));
    return rc != 0 ? rc : -EPROTO;
  }
  label_facts(result, options->fact_label);
  if (result->failed > 0)
    result->status = STAGE_FAILED;
  else if (result->passed > 0)
    result->status = STAGE_PASSED;
  else
    result->status = STAGE_NOT_ATTEMPTED;
  /* Everything the notes had to say is in result now. */
  clear_dir(notes_dir);
  rmdir(notes_dir);
  remove(log_path);
  return 0;
}

void stage_result_merge(stage_result_t *into, stage_result_t *other) {
  if (other->status == STAGE_FAILED || into->status == STAGE_FAILED)
    into->status = STAGE_FAILED;
  else if (other->status == STAGE_PASSED || into->status == STAGE_PASSED)
    into->status = STAGE_PASSED;
  into->runner_broken |= other->runner_broken;
  into->tests += other->tests;
  into->passed += other->passed;
  into->failed += other->failed;
  into->skipped += other->skipped;
  into->seconds += other->seconds;
  if (into->skip_reason == NULL) {
    into->skip_reason = other->skip_reason;
    other->skip_reason = NULL;
  }
  if (other->facts != NULL) {
    into->facts = append(into->facts, "%s", other->facts);
  }
  for (size_t i = 0; i < other->failure_count; i++) {
    stage_failure_t *grown =
        realloc(into->failures, (into->failure_count + 1) * sizeof *grown);
    if (grown == NULL)
      break;
    into->failures = grown;
    into->failures[into->failure_count++] = other->failures[i];
    other->failures[i].test = other->failures[i].message = NULL;
  }
  stage_result_free(other);
}

void stage_result_free(stage_result_t *result) {
  for (size_t i = 0; i < result->failure_count; i++) {
    free(result->failures[i].test);
    free(result->failures[i].message);
  }
  free(result->failures);
  free(result->skip_reason);
  free(result->facts);
  memset(result, 0, sizeof *result);
}
