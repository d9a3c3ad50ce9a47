/* report.h - what a run prints: stage lines, the load table and verdict,
 * in colour only on a terminal without NO_COLOR, and the same as JSON. */
#ifndef SDKATA_REPORT_H
#define SDKATA_REPORT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "loadgen.h"
#include "stages.h"

#define REPORT_MAX_ROUNDS LOADGEN_MAX_ROUNDS

/* One implementation's line in the load table. */
typedef struct report_load_row {
  char label[64];
  double ops_per_second;               /* the median round's */
  double round_ops[REPORT_MAX_ROUNDS]; /* each round's, in the order run */
  unsigned rounds;                     /* how many round_ops holds */
  uint64_t p50, p90, p99, p999, max;   /* ns */
  int64_t bytes_per_key;               /* -1 when unknown */
  /* What the workload measured besides time (kata_metric_t), copied. */
  struct report_metric {
    char name[24], unit[12];
    double value;
  } metrics[KATA_MAX_METRICS];
  size_t metric_count;
  uint64_t operations, errors;
  int first_error;
  /* Latencies the workload measured across calls (kata_thread_span). */
  uint64_t span_count, span_p50, span_p99, span_p999, span_max; /* ns */
  /* Keys filled before the fill budget ran out, when short of key_count
   * (the row is then not measured); 0 otherwise. */
  uint64_t keys_filled, key_count;
} report_load_row_t;

/* What a load run was, for the table's title line. */
typedef struct report_load_title {
  const char *workload; /* "fixed window" */
  unsigned threads, rounds;
  double seconds;
  uint64_t rate;          /* 0: closed loop */
  char keys[64];          /* "1M keys Zipf 0.99" */
  const char *span_title; /* what spans measure ("enqueue to done"), or NULL */
} report_load_title_t;

/* 1 when out is a terminal and NO_COLOR is unset or empty. */
int report_use_colors(FILE *out);

/* "62ns", "1.9µs", "41µs", "2.0ms", "1.20s". Writes into buf, returns it. */
const char *report_format_ns(uint64_t ns, char *buf, size_t size);

/* "12.1M", "850K", "999". */
const char *report_format_rate(double per_second, char *buf, size_t size);

/* "  stage 2  sliding log ......... FAIL   sliding_log::...", with the
 * first failure's message, the facts the tests measured, and the replay
 * command when replay is not NULL. */
void report_stage(FILE *out, int colors, const kata_stage_t *stage,
                  const stage_result_t *result, const char *replay);

/* A row from a subject's merged results, after rounds rounds over
 * key_count keys. */
void report_row_from_subject(report_load_row_t *row,
                             const loadgen_subject_t *subject, unsigned rounds,
                             uint64_t key_count);

/* The load table: one row per implementation, ratios against the row at
 * reference_index (-1: no ratio column; the median of the rounds' paired
 * ratios), then a one-line verdict about row 0 (verdict.h). */
void report_load_table(FILE *out, int colors, const report_load_title_t *title,
                       const report_load_row_t *rows, size_t count,
                       int reference_index);

cJSON *report_stage_json(const kata_stage_t *stage,
                         const stage_result_t *result);
cJSON *report_rows_json(const report_load_row_t *rows, size_t count);

/* Reads rows written by report_rows_json. Returns how many were read (up to
 * capacity), or -EPROTO. */
int report_rows_from_json(const cJSON *array, report_load_row_t *rows,
                          size_t capacity);

#endif /* SDKATA_REPORT_H */
