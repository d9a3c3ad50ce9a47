/* outcome.c - what a run of a kata's stages comes to: the exit code a
 * script reads and the closing line that says the same thing in words. */
#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The stages of one kind, as people write them: "1–3, 5". */
typedef struct stage_list {
  int numbers[64];
  size_t count;
} stage_list_t;

static void list_add(stage_list_t *list, int number) {
  if (list->count < sizeof list->numbers / sizeof list->numbers[0])
    list->numbers[list->count++] = number;
}

/* Appends printf-style text to out->summary, as far as it fits. */
static void say(outcome_t *out, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void say(outcome_t *out, const char *format, ...) {
  size_t length = strlen(out->summary);
  if (length + 1 >= sizeof out->summary)
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(out->summary + length, sizeof out->summary - length, format, args);
  va_end(args);
}

/* "stage 7 " or "stages 1–6 " then the verb for one or for many. */
static void say_list(outcome_t *out, const stage_list_t *list,
                     const char *verb_one, const char *verb_many) {
  say(out, "stage%s ", list->count > 1 ? "s" : "");
  for (size_t i = 0; i < list->count;) {
    size_t end = i;
    while (end + 1 < list->count &&
           list->numbers[end + 1] == list->numbers[end] + 1)
      end++;
    say(out, "%s%d", i > 0 ? ", " : "", list->numbers[i]);
    if (end > i)
      say(out, "%s%d", end == i + 1 ? ", " : "–", list->numbers[end]);
    i = end + 1;
  }
  say(out, " %s", list->count > 1 ? verb_many : verb_one);
}

void outcome_judge(const kata_t *kata, const stage_result_t *results,
                   int only_stage, outcome_t *out) {
  memset(out, 0, sizeof *out);
  stage_list_t passed = {0}, required = {0}, optional = {0};
  const kata_stage_t *failed = NULL, *next = NULL;
  for (size_t i = 0; i < kata->stage_count; i++) {
    const kata_stage_t *stage = &kata->stages[i];
    if (only_stage != 0 && stage->number != only_stage)
      continue;
    switch (results[i].status) {
    case STAGE_PASSED: list_add(&passed, stage->number); break;
    case STAGE_FAILED:
      if (failed == NULL)
        failed = stage;
      break;
    case STAGE_NOT_ATTEMPTED:
      if (stage->optional && only_stage == 0) {
        list_add(&optional, stage->number);
      } else {
        list_add(&required, stage->number);
        if (next == NULL)
          next = stage;
      }
      break;
    case STAGE_NOT_RUN: break;
    }
  }
  if (failed != NULL) {
    out->code = OUTCOME_FAILED;
    out->word = "failed";
    say(out, "stage %d fails", failed->number);
    if (passed.count > 0) {
      say(out, "; ");
      say_list(out, &passed, "passes", "pass");
    }
    return;
  }
  out->code = required.count > 0 ? OUTCOME_NOT_ATTEMPTED : OUTCOME_PASSED;
  out->word = required.count > 0 ? "not attempted" : "passed";
  if (passed.count > 0)
    say_list(out, &passed, "passes", "pass");
  if (required.count > 0) {
    say(out, "%s", passed.count > 0 ? "; " : "");
    say_list(out, &required, "not attempted", "not attempted");
  }
  if (optional.count > 0) {
    say(out, "%s", out->summary[0] != '\0' ? "; " : "");
    say_list(out, &optional, "(optional) not attempted",
             "(optional) not attempted");
  }
  if (next != NULL)
    say(out, ": %s stage %d, \"%s\", whose rule is in katas/%s/README.md",
        passed.count > 0 ? "next is" : "start with", next->number, next->title,
        kata->name);
}
