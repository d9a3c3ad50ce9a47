/* report.c - what a run prints: stage lines, the load table and verdict,
 * in colour only on a terminal without NO_COLOR, and the same as JSON. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verdict.h"

#define COLOR_GREEN "\033[32m"
#define COLOR_RED "\033[31m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_DIM "\033[2m"
#define COLOR_BOLD "\033[1m"
#define COLOR_RESET "\033[0m"
/* Where the status column starts in a stage line. */
#define STAGE_TITLE_WIDTH 24

int report_use_colors(FILE *out) {
  const char *no_color = getenv("NO_COLOR");
  if (no_color != NULL && no_color[0] != '\0')
    return 0;
  return isatty(fileno(out));
}

static const char *paint(int colors, const char *color) {
  return colors ? color : "";
}

const char *report_format_ns(uint64_t ns, char *buf, size_t size) {
  if (ns < 1000)
    snprintf(buf, size, "%lluns", (unsigned long long)ns);
  else if (ns < 10000)
    snprintf(buf, size, "%.1fµs", (double)ns / 1e3);
  else if (ns < 1000000)
    snprintf(buf, size, "%.0fµs", (double)ns / 1e3);
  else if (ns < 10000000)
    snprintf(buf, size, "%.1fms", (double)ns / 1e6);
  else if (ns < 1000000000)
    snprintf(buf, size, "%.0fms", (double)ns / 1e6);
  else
    snprintf(buf, size, "%.2fs", (double)ns / 1e9);
  return buf;
}

const char *report_format_rate(double per_second, char *buf, size_t size) {
  if (per_second >= 1e9)
    snprintf(buf, size, "%.1fG", per_second / 1e9);
  else if (per_second >= 1e6)
    snprintf(buf, size, "%.1fM", per_second / 1e6);
  else if (per_second >= 1e3)
    snprintf(buf, size, "%.0fK", per_second / 1e3);
  else
    snprintf(buf, size, "%.0f", per_second);
  return buf;
}

/* Prints text with every line after the first indented by indent. */
static void print_indented(FILE *out, const char *text, int indent) {
  fprintf(out, "%*s", indent, "");
  for (const char *c = text; *c != '\0'; c++) {
    fputc(*c, out);
    if (*c == '\n' && c[1] != '\0')
      fprintf(out, "%*s", indent, "");
  }
  if (text[0] == '\0' || text[strlen(text) - 1] != '\n')
    fputc('\n', out);
}

void report_stage(FILE *out, int colors, const kata_stage_t *stage,
                  const stage_result_t *result, const char *replay) {
  char title[64];
  int length = snprintf(title, sizeof title, "%s ", stage->title);
  for (; length < STAGE_TITLE_WIDTH && length < (int)sizeof title - 1; length++)
    title[length] = '.';
  title[length] = '\0';
  fprintf(out, "  stage %d  %s ", stage->number, title);
  switch (result->status) {
  case STAGE_PASSED:
    fprintf(out, "%spass%s   %d tests  %.1f s\n", paint(colors, COLOR_GREEN),
            paint(colors, COLOR_RESET), result->passed, result->seconds);
    break;
  case STAGE_NOT_ATTEMPTED:
    fprintf(out, "%snot attempted%s (%s)\n", paint(colors, COLOR_YELLOW),
            paint(colors, COLOR_RESET),
            result->skip_reason ? result->skip_reason : "not implemented");
    break;
  case STAGE_NOT_RUN:
    fprintf(out, "%snot run%s (an earlier stage failed)\n",
            paint(colors, COLOR_DIM), paint(colors, COLOR_RESET));
    break;
  case STAGE_FAILED:
    fprintf(out, "%sFAIL%s   %s\n", paint(colors, COLOR_RED),
            paint(colors, COLOR_RESET),
            result->failure_count ? result->failures[0].test : "?");
    if (result->failure_count > 0)
      print_indented(out, result->failures[0].message, 11);
    if (result->failure_count > 1)
      fprintf(out,
              "           (%zu more failing tests in this stage; "
              "fix this one first)\n",
              result->failure_count - 1);
    if (replay != NULL)
      fprintf(out, "           %sreplay: %s%s\n", paint(colors, COLOR_BOLD),
              replay, paint(colors, COLOR_RESET));
    break;
  }
  if (result->facts != NULL && result->status != STAGE_NOT_RUN)
    print_indented(out, result->facts, 11);
}

void report_row_from_subject(report_load_row_t *row,
                             const loadgen_subject_t *subject, unsigned rounds,
                             uint64_t key_count) {
  memset(row, 0, sizeof *row);
  snprintf(row->label, sizeof row->label, "%s", subject->label);
  row->ops_per_second = subject->ops_per_second;
  row->rounds = rounds < REPORT_MAX_ROUNDS ? rounds : REPORT_MAX_ROUNDS;
  memcpy(row->round_ops, subject->round_ops_per_second,
         row->rounds * sizeof *row->round_ops);
  row->p50 = hist_quantile(&subject->latency, 0.50);
  row->p90 = hist_quantile(&subject->latency, 0.90);
  row->p99 = hist_quantile(&subject->latency, 0.99);
  row->p999 = hist_quantile(&subject->latency, 0.999);
  row->max = subject->latency.max;
  row->bytes_per_key = subject->bytes_per_key;
  for (size_t m = 0; m < subject->metric_count && m < KATA_MAX_METRICS; m++) {
    struct report_metric *metric = &row->metrics[row->metric_count++];
    snprintf(metric->name, sizeof metric->name, "%s",
             subject->metrics[m].name ? subject->metrics[m].name : "?");
    snprintf(metric->unit, sizeof metric->unit, "%s",
             subject->metrics[m].unit ? subject->metrics[m].unit : "");
    metric->value = subject->metrics[m].value;
  }
  row->span_count = subject->spans.count;
  if (row->span_count > 0) {
    row->span_p50 = hist_quantile(&subject->spans, 0.50);
    row->span_p99 = hist_quantile(&subject->spans, 0.99);
    row->span_p999 = hist_quantile(&subject->spans, 0.999);
    row->span_max = subject->spans.max;
  }
  row->operations = subject->operations;
  row->errors = subject->errors;
  row->first_error = subject->first_error;
  if (subject->keys_filled < key_count) {
    row->keys_filled = subject->keys_filled;
    row->key_count = key_count;
  }
}

/* Whether the row's subject ran out of time filling its keys. */
static int unfilled(const report_load_row_t *row) {
  return row->key_count > 0;
}

/* One line about row 0 measured against the reference. */
static void print_verdict(FILE *out, const report_load_title_t *title,
                          const report_load_row_t *rows, int reference_index) {
  const report_load_row_t *mine = &rows[0];
  const report_load_row_t *ref = &rows[reference_index];
  if (unfilled(mine)) {
    fprintf(out,
            "  verdict: %s filled %llu of %llu keys in %llu s, where the "
            "reference took a moment: its calls grow slower as it grows "
            "(a linear scan, or a table that never resizes?)\n",
            mine->label, (unsigned long long)mine->keys_filled,
            (unsigned long long)mine->key_count,
            LOADGEN_FILL_BUDGET_NS / 1000000000ULL);
    return;
  }
  if (mine->errors > 0) {
    fprintf(out, "  verdict: %s returned %llu errors under load (first: %s)\n",
            mine->label, (unsigned long long)mine->errors,
            strerror(-mine->first_error));
    return;
  }
  char words[1024];
  verdict_write(mine, ref, title->threads, words, sizeof words);
  fprintf(out, "  verdict: %s\n", words);
}

/* Row's value of the metric named name, in a column of 9: "98.12%",
 * "1.2e+04 jobs/s", or "-" when the row has none. */
static void print_metric(FILE *out, const report_load_row_t *row,
                         const char *name) {
  for (size_t m = 0; m < row->metric_count; m++) {
    const struct report_metric *metric = &row->metrics[m];
    if (strcmp(metric->name, name) != 0)
      continue;
    char cell[40];
    if (strcmp(metric->unit, "%") == 0)
      snprintf(cell, sizeof cell, "%.2f%%", metric->value * 100);
    else
      snprintf(cell, sizeof cell, "%.4g%s%s", metric->value,
               metric->unit[0] ? " " : "", metric->unit);
    fprintf(out, " %9s", cell);
    return;
  }
  fprintf(out, " %9s", "-");
}

/* The spans block: latencies the workload measured across calls, one line
 * per row that has some; nothing when none has. */
static void print_spans(FILE *out, const report_load_title_t *title,
                        const report_load_row_t *rows, size_t count) {
  size_t with_spans = 0;
  for (size_t i = 0; i < count; i++)
    with_spans += rows[i].span_count > 0;
  if (with_spans == 0)
    return;
  fprintf(out, "  %-14s %8s %8s %8s %8s %10s   (%s)\n", "spans", "p50", "p99",
          "p99.9", "max", "count",
          title->span_title ? title->span_title : "across calls");
  for (size_t i = 0; i < count; i++) {
    if (rows[i].span_count == 0)
      continue;
    char p50[16], p99[16], p999[16], max[16];
    const char *cells[] = {
        report_format_ns(rows[i].span_p50, p50, sizeof p50),
        report_format_ns(rows[i].span_p99, p99, sizeof p99),
        report_format_ns(rows[i].span_p999, p999, sizeof p999),
        report_format_ns(rows[i].span_max, max, sizeof max)};
    fprintf(out, "  %-14s", rows[i].label);
    for (size_t c = 0; c < sizeof cells / sizeof *cells; c++)
      fprintf(out, " %*s", strstr(cells[c], "µ") ? 9 : 8, cells[c]);
    fprintf(out, " %10llu\n", (unsigned long long)rows[i].span_count);
  }
}

/* "0.52x": row over base, the median of their rounds' ratios; "-" when
 * they share no round. */
static const char *ratio_cell(const report_load_row_t *row,
                              const report_load_row_t *base, char *buf,
                              size_t size) {
  verdict_ratio_t ratio;
  if (verdict_ratio(row, base, &ratio) != 0)
    snprintf(buf, size, "-");
  else
    snprintf(buf, size, "%.2fx", ratio.median);
  return buf;
}

void report_load_table(FILE *out, int colors, const report_load_title_t *title,
                       const report_load_row_t *rows, size_t count,
                       int reference_index) {
  char rate[32];
  if (title->rate > 0)
    snprintf(rate, sizeof rate, "open loop %s ops/s",
             report_format_rate((double)title->rate, (char[16]){0}, 16));
  else
    snprintf(rate, sizeof rate, "closed loop");
  fprintf(out, "%sload · %s · %u threads · %s · %s · %u rounds × %g s%s\n",
          paint(colors, COLOR_BOLD), title->workload, title->threads,
          title->keys, rate, title->rounds, title->seconds,
          paint(colors, COLOR_RESET));
  /* A column for each metric some row has, in the order first seen. */
  const char *columns[KATA_MAX_METRICS];
  size_t column_count = 0;
  for (size_t i = 0; i < count; i++)
    for (size_t m = 0; m < rows[i].metric_count; m++) {
      size_t c = 0;
      while (c < column_count && strcmp(columns[c], rows[i].metrics[m].name))
        c++;
      if (c == column_count && column_count < KATA_MAX_METRICS)
        columns[column_count++] = rows[i].metrics[m].name;
    }
  fprintf(out, "  %-14s %8s %8s %8s %8s %8s %8s %6s %7s", "impl", "ops/s",
          "p50", "p90", "p99", "p99.9", "max", "B/key", "vs ref");
  for (size_t c = 0; c < column_count; c++)
    fprintf(out, " %9s", columns[c]);
  fputc('\n', out);
  for (size_t i = 0; i < count; i++) {
    const report_load_row_t *row = &rows[i];
    char ops[16], p50[16], p90[16], p99[16], p999[16], max[16], bytes[24],
        ratio[24];
    if (row->bytes_per_key >= 0)
      snprintf(bytes, sizeof bytes, "%lld", (long long)row->bytes_per_key);
    else
      snprintf(bytes, sizeof bytes, "?");
    if (reference_index >= 0)
      ratio_cell(row, &rows[reference_index], ratio, sizeof ratio);
    else
      snprintf(ratio, sizeof ratio, "-");
    /* µ takes two bytes but one column: pad by display width. */
    const char *cells[] = {report_format_ns(row->p50, p50, sizeof p50),
                           report_format_ns(row->p90, p90, sizeof p90),
                           report_format_ns(row->p99, p99, sizeof p99),
                           report_format_ns(row->p999, p999, sizeof p999),
                           report_format_ns(row->max, max, sizeof max)};
    if (unfilled(row)) {
      fprintf(out,
              "  %-14s too slow to fill: %llu of %llu keys in %llu s, not "
              "measured\n",
              row->label, (unsigned long long)row->keys_filled,
              (unsigned long long)row->key_count,
              LOADGEN_FILL_BUDGET_NS / 1000000000ULL);
      continue;
    }
    fprintf(out, "  %-14s %8s", row->label,
            report_format_rate(row->ops_per_second, ops, sizeof ops));
    for (size_t c = 0; c < sizeof cells / sizeof *cells; c++)
      fprintf(out, " %*s", strstr(cells[c], "µ") ? 9 : 8, cells[c]);
    fprintf(out, " %6s %7s", bytes, ratio);
    for (size_t c = 0; c < column_count; c++)
      print_metric(out, row, columns[c]);
    fputc('\n', out);
  }
  print_spans(out, title, rows, count);
  verdict_ratio_t ratio;
  if (reference_index > 0 && count > 0)
    print_verdict(out, title, rows, reference_index);
  else if (reference_index == 0 && count > 1 &&
           verdict_ratio(&rows[0], &rows[1], &ratio) == 0)
    fprintf(out,
            "  verdict: the reference runs at %.1fx the throughput of %s "
            "(%.1fx–%.1fx over %u rounds), with %.1fx lower p99\n",
            ratio.median, rows[1].label, ratio.low, ratio.high, ratio.rounds,
            rows[0].p99 > 0 ? (double)rows[1].p99 / (double)rows[0].p99 : 0);
}

static const char *status_name(stage_status_t status) {
  switch (status) {
  case STAGE_PASSED: return "passed";
  case STAGE_FAILED: return "failed";
  case STAGE_NOT_ATTEMPTED: return "not attempted";
  case STAGE_NOT_RUN: return "not run";
  }
  return "?";
}

cJSON *report_stage_json(const kata_stage_t *stage,
                         const stage_result_t *result) {
  cJSON *json = cJSON_CreateObject();
  cJSON_AddNumberToObject(json, "number", stage->number);
  cJSON_AddStringToObject(json, "suite", stage->suite);
  cJSON_AddStringToObject(json, "title", stage->title);
  cJSON_AddStringToObject(json, "status", status_name(result->status));
  cJSON_AddNumberToObject(json, "tests", result->tests);
  cJSON_AddNumberToObject(json, "passed", result->passed);
  cJSON_AddNumberToObject(json, "failed", result->failed);
  cJSON_AddNumberToObject(json, "skipped", result->skipped);
  cJSON_AddNumberToObject(json, "seconds", result->seconds);
  if (result->skip_reason != NULL)
    cJSON_AddStringToObject(json, "skip_reason", result->skip_reason);
  if (result->facts != NULL)
    cJSON_AddStringToObject(json, "facts", result->facts);
  cJSON *failures = cJSON_AddArrayToObject(json, "failures");
  for (size_t i = 0; i < result->failure_count; i++) {
    cJSON *failure = cJSON_CreateObject();
    cJSON_AddStringToObject(failure, "test", result->failures[i].test);
    cJSON_AddStringToObject(failure, "message", result->failures[i].message);
    cJSON_AddItemToArray(failures, failure);
  }
  return json;
}

cJSON *report_rows_json(const report_load_row_t *rows, size_t count) {
  cJSON *array = cJSON_CreateArray();
  for (size_t i = 0; i < count; i++) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "impl", rows[i].label);
    cJSON_AddNumberToObject(row, "ops_per_second", rows[i].ops_per_second);
    cJSON *rounds = cJSON_AddArrayToObject(row, "round_ops_per_second");
    for (unsigned r = 0; r < rows[i].rounds; r++)
      cJSON_AddItemToArray(rounds, cJSON_CreateNumber(rows[i].round_ops[r]));
    cJSON_AddNumberToObject(row, "p50_ns", (double)rows[i].p50);
    cJSON_AddNumberToObject(row, "p90_ns", (double)rows[i].p90);
    cJSON_AddNumberToObject(row, "p99_ns", (double)rows[i].p99);
    cJSON_AddNumberToObject(row, "p999_ns", (double)rows[i].p999);
    cJSON_AddNumberToObject(row, "max_ns", (double)rows[i].max);
    cJSON_AddNumberToObject(row, "bytes_per_key",
                            (double)rows[i].bytes_per_key);
    cJSON_AddNumberToObject(row, "operations", (double)rows[i].operations);
    cJSON_AddNumberToObject(row, "errors", (double)rows[i].errors);
    cJSON_AddNumberToObject(row, "first_error", rows[i].first_error);
    if (rows[i].span_count > 0) {
      cJSON *spans = cJSON_AddObjectToObject(row, "spans");
      cJSON_AddNumberToObject(spans, "count", (double)rows[i].span_count);
      cJSON_AddNumberToObject(spans, "p50_ns", (double)rows[i].span_p50);
      cJSON_AddNumberToObject(spans, "p99_ns", (double)rows[i].span_p99);
      cJSON_AddNumberToObject(spans, "p999_ns", (double)rows[i].span_p999);
      cJSON_AddNumberToObject(spans, "max_ns", (double)rows[i].span_max);
    }
    cJSON *metrics = cJSON_AddObjectToObject(row, "metrics");
    for (size_t m = 0; m < rows[i].metric_count; m++) {
      cJSON *metric = cJSON_AddObjectToObject(metrics, rows[i].metrics[m].name);
      cJSON_AddNumberToObject(metric, "value", rows[i].metrics[m].value);
      cJSON_AddStringToObject(metric, "unit", rows[i].metrics[m].unit);
    }
    if (unfilled(&rows[i])) {
      cJSON_AddNumberToObject(row, "keys_filled", (double)rows[i].keys_filled);
      cJSON_AddNumberToObject(row, "key_count", (double)rows[i].key_count);
    }
    cJSON_AddItemToArray(array, row);
  }
  return array;
}

static double number_of(const cJSON *object, const char *name) {
  return cJSON_GetNumberValue(cJSON_GetObjectItem(object, name));
}

int report_rows_from_json(const cJSON *array, report_load_row_t *rows,
                          size_t capacity) {
  if (!cJSON_IsArray(array))
    return -EPROTO;
  size_t count = 0;
  const cJSON *row;
  cJSON_ArrayForEach(row, array) {
    if (count == capacity)
      break;
    report_load_row_t *out = &rows[count++];
    memset(out, 0, sizeof *out);
    const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(row, "impl"));
    snprintf(out->label, sizeof out->label, "%s", label ? label : "?");
    out->ops_per_second = number_of(row, "ops_per_second");
    const cJSON *round;
    cJSON_ArrayForEach(round,
                       cJSON_GetObjectItem(row, "round_ops_per_second")) {
      if (out->rounds < REPORT_MAX_ROUNDS)
        out->round_ops[out->rounds++] = cJSON_GetNumberValue(round);
    }
    out->p50 = (uint64_t)number_of(row, "p50_ns");
    out->p90 = (uint64_t)number_of(row, "p90_ns");
    out->p99 = (uint64_t)number_of(row, "p99_ns");
    out->p999 = (uint64_t)number_of(row, "p999_ns");
    out->max = (uint64_t)number_of(row, "max_ns");
    out->bytes_per_key = (int64_t)number_of(row, "bytes_per_key");
    out->operations = (uint64_t)number_of(row, "operations");
    out->errors = (uint64_t)number_of(row, "errors");
    out->first_error = (int)number_of(row, "first_error");
    const cJSON *spans = cJSON_GetObjectItem(row, "spans");
    if (spans != NULL) {
      out->span_count = (uint64_t)number_of(spans, "count");
      out->span_p50 = (uint64_t)number_of(spans, "p50_ns");
      out->span_p99 = (uint64_t)number_of(spans, "p99_ns");
      out->span_p999 = (uint64_t)number_of(spans, "p999_ns");
      out->span_max = (uint64_t)number_of(spans, "max_ns");
    }
    const cJSON *metric;
    cJSON_ArrayForEach(metric, cJSON_GetObjectItem(row, "metrics")) {
      if (out->metric_count == KATA_MAX_METRICS || metric->string == NULL)
        break;
      struct report_metric *into = &out->metrics[out->metric_count++];
      const char *unit =
          cJSON_GetStringValue(cJSON_GetObjectItem(metric, "unit"));
      snprintf(into->name, sizeof into->name, "%s", metric->string);
      snprintf(into->unit, sizeof into->unit, "%s", unit ? unit : "");
      into->value = number_of(metric, "value");
    }
    if (cJSON_GetObjectItem(row, "key_count") != NULL) {
      out->keys_filled = (uint64_t)number_of(row, "keys_filled");
      out->key_count = (uint64_t)number_of(row, "key_count");
    }
  }
  return (int)count;
}
