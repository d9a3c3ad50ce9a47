/* test_report.c - the load table prints whatever a workload measured: a
 * column per metric some row has, "-" where a row has none, and the same
 * metrics back from JSON. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* A measured row with its rounds, and the metrics given. */
static report_load_row_t row(const char *label, const char *metric,
                             const char *unit, double value) {
  report_load_row_t r;
  memset(&r, 0, sizeof r);
  snprintf(r.label, sizeof r.label, "%s", label);
  r.rounds = 2;
  r.round_ops[0] = r.round_ops[1] = r.ops_per_second = 1e6;
  r.p50 = 100;
  r.p99 = 300;
  r.bytes_per_key = 64;
  if (metric != NULL) {
    snprintf(r.metrics[0].name, sizeof r.metrics[0].name, "%s", metric);
    snprintf(r.metrics[0].unit, sizeof r.metrics[0].unit, "%s", unit);
    r.metrics[0].value = value;
    r.metric_count = 1;
  }
  return r;
}

/* The table of rows against row 1, under a title naming span_title. */
static char *table_of(const report_load_row_t *rows, size_t count,
                      const char *span_title) {
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&text, &size);
  report_load_title_t title = {.workload = "w",
                               .threads = 1,
                               .rounds = 2,
                               .seconds = 0.1,
                               .keys = "1K keys",
                               .span_title = span_title};
  report_load_table(out, 0, &title, rows, count, 1);
  fclose(out);
  return text;
}

Test(report, each_metric_gets_a_column_and_rows_without_it_a_dash) {
  report_load_row_t rows[] = {row("mine", "hits", "%", 0.5),
                              row("reference", "hits", "%", 0.25),
                              row("naive", "depth", "jobs", 12)};
  char *table = table_of(rows, 3, NULL);
  cr_assert(strstr(table, "hits") && strstr(table, "depth") &&
                strstr(table, "50.00%") && strstr(table, "25.00%") &&
                strstr(table, "12 jobs"),
            "expected columns hits and depth with 50.00%%, 25.00%% and "
            "\"12 jobs\"; got:\n%s",
            table);
  const char *naive = strstr(table, "  naive");
  cr_assert(naive != NULL && strchr(naive, '-') != NULL,
            "naive has no hits: expected \"-\" in its row; got:\n%s", table);
  free(table);
}

Test(report, metrics_come_back_from_json_as_they_went) {
  report_load_row_t rows[] = {row("mine", "jobs_per_s", "jobs/s", 1234.5)};
  cJSON *json = report_rows_json(rows, 1);
  report_load_row_t back[1];
  cr_assert_eq(report_rows_from_json(json, back, 1), 1);
  cJSON_Delete(json);
  cr_assert(back[0].metric_count == 1 &&
                strcmp(back[0].metrics[0].name, "jobs_per_s") == 0 &&
                strcmp(back[0].metrics[0].unit, "jobs/s") == 0 &&
                back[0].metrics[0].value == 1234.5 && back[0].rounds == 2,
            "expected jobs_per_s = 1234.5 jobs/s and 2 rounds back; got %zu "
            "metrics, %s = %g %s, %u rounds",
            back[0].metric_count, back[0].metrics[0].name,
            back[0].metrics[0].value, back[0].metrics[0].unit, back[0].rounds);
}

Test(report, spans_get_their_own_block_named_by_the_workload) {
  report_load_row_t rows[] = {row("mine", NULL, "", 0),
                              row("reference", NULL, "", 0)};
  rows[0].span_count = 10;
  rows[0].span_p50 = 1500;
  rows[0].span_p99 = 90000;
  rows[0].span_max = 2000000;
  char *text = table_of(rows, 2, "enqueue to done");
  const char *block = strstr(text, "spans");
  cr_assert(block != NULL && strstr(block, "enqueue to done") &&
                strstr(block, "1.5µs") && strstr(block, "90µs") &&
                strstr(block, "2.0ms"),
            "expected a spans block (enqueue to done) with 1.5µs, 90µs and "
            "2.0ms; got:\n%s",
            text);
  cr_assert(strstr(block, "\n  reference ") == NULL,
            "the reference recorded no spans: no line of its own in the "
            "block; got:\n%s",
            text);
  free(text);
}
