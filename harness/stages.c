/* stages.c - runs a kata's stage suites against a plug-in in a child
 * process and turns Criterion's results into verdicts in plain words. */
#include "stages.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
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

/* The sanitizer's report for a test: the file named by the report path the
 * test set (<suite>.<test>.sanitizer), to which the runtime adds ".<pid>". */
static char *read_sanitizer_report(const char *notes_dir, const char *suite,
                                   const char *test) {
  char prefix[NAME_MAX + 1];
  snprintf(prefix, sizeof prefix, "%s.%s.sanitizer.", suite, test);
  DIR *listing = opendir(notes_dir);
  if (listing == NULL)
    return NULL;
  char *report = NULL;
  struct dirent *entry;
  while (report == NULL && (entry = readdir(listing)) != NULL) {
    if (strncmp(entry->d_name, prefix, strlen(prefix)) != 0)
      continue;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", notes_dir, entry->d_name) <
        (int)sizeof path)
      report = proc_read_file(path);
  }
  closedir(listing);
  return report;
}

typedef struct sanitizer_words {
  const char *kind;
  const char *words;
} sanitizer_words_t;

static const sanitizer_words_t sanitizer_kinds[] = {
    {"heap-use-after-free", "used memory after freeing it"},
    {"heap-buffer-overflow", "read or wrote past the end of a malloc'd block"},
    {"stack-buffer-overflow", "read or wrote past the end of a local array"},
    {"global-buffer-overflow",
     "read or wrote past the end of a global array"},
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
  if (words == NULL)
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

static const char *signal_words(const char *signal_name) {
  if (strcmp(signal_name, "SIGSEGV") == 0)
    return "crashed with a segmentation fault (SIGSEGV): the code read or "
           "wrote memory it does not own - a NULL or freed pointer, or an "
           "index past the end of an array";
  if (strcmp(signal_name, "SIGABRT") == 0)
    return "aborted (SIGABRT): an assert() failed, or the allocator found "
           "its memory corrupted (a double free, or a write past the end of "
           "a block)";
  if (strcmp(signal_name, "SIGFPE") == 0)
    return "crashed with an arithmetic error (SIGFPE): an integer division "
           "by zero";
  if (strcmp(signal_name, "SIGBUS") == 0)
    return "crashed with a bus error (SIGBUS): a misaligned or unmapped "
           "memory access";
  if (strcmp(signal_name, "SIGILL") == 0)
    return "crashed on an illegal instruction (SIGILL): a corrupted function "
           "pointer, or __builtin_unreachable() reached";
  return "crashed";
}

/* Explains an ERRORED test (a crash or a timeout) from its notes. */
static char *explain_error(const char *criterion_message,
                           const char *notes_dir, const char *suite,
                           const char *test) {
  char *words = NULL;
  char *step = read_note(notes_dir, suite, test, ".step");
  if (strstr(criterion_message, "timed out")) {
    words = append(words,
                   "did not finish in time: an infinite loop, or a deadlock "
                   "(a lock taken twice, or never released)");
  } else {
    char *crash = read_note(notes_dir, suite, test, ".crash");
    char *report = read_sanitizer_report(notes_dir, suite, test);
    if (report != NULL) {
      words = explain_sanitizer_report(report);
    } else if (crash != NULL) {
      char signal_name[32] = "", crash_step[512] = "";
      unsigned long long pages = 0;
      /* The step line may be empty, so read line by line. */
      const char *line2 = strchr(crash, '\n');
      sscanf(crash, "%31[^\n]", signal_name);
      if (line2 != NULL) {
        sscanf(line2 + 1, "%511[^\n]", crash_step);
        const char *line3 = strchr(line2 + 1, '\n');
        if (line3 != NULL)
          pages = strtoull(line3 + 1, NULL, 10);
      }
      unsigned long long used_kib = pages * STAGE_PAGE_KIB;
      if (used_kib * 10 >= STAGE_MEMORY_CAP_KIB * 9)
        words = append(words,
                       "ran out of memory: it had reserved %llu MiB, at the "
                       "test's cap of %llu MiB (memory that is never freed, "
                       "or a loop that keeps allocating); then it %s",
                       used_kib >> 10, STAGE_MEMORY_CAP_KIB >> 10,
                       signal_words(signal_name));
      else
        words = append(words, "%s", signal_words(signal_name));
      if (crash_step[0] != '\0') {
        free(step);
        step = strdup(crash_step);
      }
    } else {
      words = append(words, "crashed (killed by a signal)");
    }
    free(crash);
    free(report);
  }
  if (step != NULL && step[0] != '\0')
    words = append(words, "\nit was at: %s", step);
  free(step);
  return words;
}

/* "stage1.c:42: request 3 ..." -> "request 3 ...". */
static const char *skip_location(const char *line) {
  const char *c_file = strstr(line, ".c:");
  if (c_file == NULL || memchr(line, ' ', (size_t)(c_file - line)) != NULL)
    return line;
  const char *cursor = c_file + 3;
  while (*cursor >= '0' && *cursor <= '9')
    cursor++;
  return strncmp(cursor, ": ", 2) == 0 ? cursor + 2 : line;
}

/* Joins Criterion's message lines into one text, without the
 * "file.c:NN: " prefix (a line of the test file means nothing to a
 * learner) and without the continuation lines' indent. */
static char *join_messages(const cJSON *messages) {
  char *text = NULL;
  const cJSON *line;
  cJSON_ArrayForEach(line, messages) {
    if (!cJSON_IsString(line))
      continue;
    const char *value = line->valuestring;
    if (text == NULL) {
      text = append(text, "%s", skip_location(value));
    } else {
      while (value[0] == ' ' && value[1] == ' ')
        value += 2;
      text = append(text, "\n%s", value);
    }
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

static void read_test(const cJSON *test, const char *suite,
                      const char *notes_dir, stage_result_t *result) {
  const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(test, "name"));
  const char *status =
      cJSON_GetStringValue(cJSON_GetObjectItem(test, "status"));
  const cJSON *messages = cJSON_GetObjectItem(test, "messages");
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
    if (result->skip_reason == NULL)
      result->skip_reason = join_messages(messages);
  } else if (strcmp(status, "ERRORED") == 0) {
    result->failed++;
    char *criterion_message = join_messages(messages);
    add_failure(result, suite, name,
                explain_error(criterion_message ? criterion_message : "",
                              notes_dir, suite, name));
    free(criterion_message);
  } else {
    result->failed++;
    char *message = join_messages(messages);
    if (message == NULL)
      message = append(NULL, "the test process ended in the middle of the "
                             "test: does the code call exit()? An "
                             "implementation must never end the process");
    add_failure(result, suite, name, message);
  }
}

/* Reads Criterion's JSON report into result. Returns 0 or -EPROTO. */
static int read_report(const char *report_path, const char *notes_dir,
                       stage_result_t *result) {
  char *text = proc_read_file(report_path);
  if (text == NULL)
    return -ENOENT;
  cJSON *root = cJSON_Parse(text);
  free(text);
  if (root == NULL)
    return -EPROTO;
  const cJSON *suite;
  cJSON_ArrayForEach(suite, cJSON_GetObjectItem(root, "test_suites")) {
    const char *suite_name =
        cJSON_GetStringValue(cJSON_GetObjectItem(suite, "name"));
    const cJSON *test;
    cJSON_ArrayForEach(test, cJSON_GetObjectItem(suite, "tests")) {
      read_test(test, suite_name ? suite_name : "?", notes_dir, result);
    }
  }
  cJSON_Delete(root);
  return 0;
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
  char *env[] = {plugin_env,
                 seed_env,
                 notes_env,
                 "ASAN_OPTIONS=abort_on_error=1:detect_leaks=0",
                 "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:"
                 "abort_on_error=1",
                 NULL};
  char filter[128], json[PATH_MAX + 32];
  snprintf(filter, sizeof filter, "--filter=%s/*", stage->suite);
  snprintf(json, sizeof json, "--json=%s", report_path);
  char *argv[] = {(char *)options->runner, filter, json, "--jobs=2", NULL};

  uint64_t started = clock_monotonic_ns();
  proc_result_t run;
  rc = proc_run(argv, env, log_path, STAGE_TIMEOUT_MS, &run);
  result->seconds = (double)(clock_monotonic_ns() - started) / 1e9;
  if (rc != 0) {
    result->status = STAGE_FAILED;
    add_failure(result, stage->suite, "runner",
                append(NULL, "could not start the stage runner %s: %s",
                       options->runner, uv_strerror(rc)));
    return rc;
  }
  rc = read_report(report_path, notes_dir, result);
  if (rc != 0 || result->tests == 0) {
    result->status = STAGE_FAILED;
    add_failure(result, stage->suite, "runner",
                append(NULL,
                       "the stage runner %s, leaving no report (%s); its "
                       "output is in %s",
                       run.timed_out ? "ran out of time"
                                     : "ended without running the tests",
                       rc != 0 ? strerror(-rc) : "no tests", log_path));
    return rc != 0 ? rc : -EPROTO;
  }
  if (result->failed > 0)
    result->status = STAGE_FAILED;
  else if (result->passed > 0)
    result->status = STAGE_PASSED;
  else
    result->status = STAGE_NOT_ATTEMPTED;
  return 0;
}

void stage_result_merge(stage_result_t *into, stage_result_t *other) {
  if (other->status == STAGE_FAILED || into->status == STAGE_FAILED)
    into->status = STAGE_FAILED;
  else if (other->status == STAGE_PASSED || into->status == STAGE_PASSED)
    into->status = STAGE_PASSED;
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
