/* httpload_command.c - the httpload command: drives an HTTP server on
 * 127.0.0.1 with httpload and prints one row of the load table. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "commands.h"
#include "httpload.h"
#include "report.h"
#include "rng.h"

/* The per-request key header's state: one generator per loop thread (the
 * callback is never called for one thread twice at once). */
typedef struct httpload_keys {
  uint64_t count;
  rng_t rng[HTTPLOAD_MAX_THREADS];
} httpload_keys_t;

/* A key drawn uniformly from count keys, named as the load's keys are. */
static size_t next_key(void *context, unsigned thread, char *value,
                       size_t size) {
  httpload_keys_t *keys = context;
  uint64_t key = rng_below(&keys->rng[thread], keys->count);
  int length = snprintf(value, size, "client:%08llu", (unsigned long long)key);
  return length < 0 ? 0 : (size_t)length < size ? (size_t)length : size - 1;
}

/* "X-Client-Id: a" as a complete header line, or an error for anything
 * that is not "name: value" on one line. */
static int header_line(const char *header, char *line, size_t size) {
  const char *colon = strchr(header, ':');
  if (colon == NULL || colon == header || strpbrk(header, "\r\n") != NULL)
    return -EINVAL;
  int length = snprintf(line, size, "%s\r\n", header);
  return length < 0 || (size_t)length >= size ? -EINVAL : 0;
}

/* Counts every status seen, by exact code: "200: 51234  429: 17". */
static void print_statuses(FILE *out, const httpload_result_t *result) {
  fprintf(out, "  status");
  int any = 0;
  for (int code = 0; code < HTTPLOAD_STATUS_LIMIT; code++) {
    if (result->status[code] == 0)
      continue;
    fprintf(out, "  %d: %llu", code, (unsigned long long)result->status[code]);
    any = 1;
  }
  fprintf(out, "%s\n", any ? "" : "  none");
}

static void print_errors(FILE *out, const httpload_result_t *result) {
  fprintf(out,
          "  errors  connect %llu  read %llu  parse %llu · timeouts %llu · "
          "unfinished %llu",
          (unsigned long long)result->connect_errors,
          (unsigned long long)result->read_errors,
          (unsigned long long)result->parse_errors,
          (unsigned long long)result->timeouts,
          (unsigned long long)result->unfinished);
  if (result->first_error != 0)
    fprintf(out, " (first: %s)", uv_strerror(result->first_error));
  fputc('\n', out);
}

static cJSON *result_json(const httpload_config_t *config,
                          const report_load_row_t *row,
                          const httpload_result_t *result) {
  cJSON *json = cJSON_CreateObject();
  cJSON_AddNumberToObject(json, "port", config->port);
  cJSON_AddStringToObject(json, "path", config->path);
  cJSON_AddNumberToObject(json, "connections", config->connections);
  cJSON_AddNumberToObject(json, "threads", config->threads);
  cJSON_AddNumberToObject(json, "rate", (double)config->rate);
  cJSON_AddNumberToObject(json, "warmup_seconds", config->warmup_seconds);
  cJSON_AddNumberToObject(json, "seconds", config->seconds);
  cJSON_AddItemToObject(json, "rows", report_rows_json(row, 1));
  cJSON_AddNumberToObject(json, "sent", (double)result->sent);
  cJSON_AddNumberToObject(json, "responses", (double)result->responses);
  cJSON *status = cJSON_AddObjectToObject(json, "status");
  for (int code = 0; code < HTTPLOAD_STATUS_LIMIT; code++)
    if (result->status[code] > 0) {
      char name[8];
      snprintf(name, sizeof name, "%d", code);
      cJSON_AddNumberToObject(status, name, (double)result->status[code]);
    }
  cJSON_AddNumberToObject(json, "connect_errors",
                          (double)result->connect_errors);
  cJSON_AddNumberToObject(json, "read_errors", (double)result->read_errors);
  cJSON_AddNumberToObject(json, "parse_errors", (double)result->parse_errors);
  cJSON_AddNumberToObject(json, "timeouts", (double)result->timeouts);
  cJSON_AddNumberToObject(json, "unfinished", (double)result->unfinished);
  cJSON_AddNumberToObject(json, "first_error", result->first_error);
  return json;
}

static int write_json(const char *path, cJSON *json) {
  char *text = cJSON_Print(json);
  FILE *file = text ? fopen(path, "w") : NULL;
  int ok = file != NULL && fputs(text, file) >= 0 && fputc('\n', file) >= 0;
  if (file != NULL && fclose(file) != 0)
    ok = 0;
  free(text);
  if (!ok)
    fprintf(stderr, "sdkata httpload: cannot write %s\n", path);
  return ok ? 0 : -EIO;
}

/* The run's figures as a load-table row: req/s over the recorded period. */
static void fill_row(report_load_row_t *row, const httpload_config_t *config,
                     const httpload_result_t *result) {
  memset(row, 0, sizeof *row);
  snprintf(row->label, sizeof row->label, "127.0.0.1:%u",
           (unsigned)config->port);
  row->ops_per_second = (double)result->responses / config->seconds;
  row->p50 = hist_quantile(&result->latency, 0.50);
  row->p90 = hist_quantile(&result->latency, 0.90);
  row->p99 = hist_quantile(&result->latency, 0.99);
  row->p999 = hist_quantile(&result->latency, 0.999);
  row->max = result->latency.max;
  row->bytes_per_key = -1;
  row->operations = result->responses;
  row->errors = result->read_errors + result->parse_errors + result->timeouts;
  row->first_error = result->first_error;
}

int command_httpload(command_options_t *options) {
  if (options->port == COMMAND_PORT_UNSET)
    options->port = COMMAND_DEFAULT_PORT;
  if (options->port <= 0 || options->port > 65535 ||
      options->connections == 0 || options->threads == 0 ||
      options->threads > HTTPLOAD_MAX_THREADS || options->seconds <= 0 ||
      options->warmup_seconds < 0 || options->key_count == 0 ||
      options->path == NULL || options->path[0] != '/') {
    fprintf(stderr, "sdkata httpload: wants --port 1-65535, --connections "
                    "and --threads > 0 (threads at most 64), --seconds > 0, "
                    "--warmup >= 0, --keys > 0 and a --path starting with /\n");
    return 2;
  }
  char headers[HTTPLOAD_HEADER_VALUE_MAX + 8] = "";
  if (options->header != NULL &&
      header_line(options->header, headers, sizeof headers) != 0) {
    fprintf(stderr, "sdkata httpload: --header wants 'Name: value'\n");
    return 2;
  }
  static httpload_keys_t keys;
  keys.count = options->key_count;
  for (unsigned i = 0; i < HTTPLOAD_MAX_THREADS; i++)
    rng_seed(&keys.rng[i], options->seed + i);
  httpload_config_t config = {
      .port = (uint16_t)options->port,
      .connections = options->connections,
      .threads = options->threads,
      .rate = options->rate,
      .warmup_seconds = options->warmup_seconds,
      .seconds = options->seconds,
      .path = options->path,
      .headers = options->header ? headers : NULL,
      .header_name = options->key_header,
      .header_value = options->key_header ? next_key : NULL,
      .header_context = &keys,
  };
  report_load_title_t title = {
      .threads = options->threads < options->connections ? options->threads
                                                         : options->connections,
      .rounds = 1,
      .seconds = options->seconds,
      .rate = options->rate,
  };
  char workload[96];
  snprintf(workload, sizeof workload, "HTTP GET %s", options->path);
  title.workload = workload;
  if (options->key_header != NULL)
    snprintf(title.keys, sizeof title.keys, "%u connections · %llu keys in %s",
             options->connections, (unsigned long long)options->key_count,
             options->key_header);
  else
    snprintf(title.keys, sizeof title.keys, "%u connections",
             options->connections);
  /* A server that closes mid-write must cost a connection, not this
   * process. */
  signal(SIGPIPE, SIG_IGN);
  static httpload_result_t result;
  int rc = httpload_run(&config, &result);
  if (rc != 0) {
    fprintf(stderr, "sdkata httpload: 127.0.0.1:%d: %s\n", options->port,
            uv_strerror(rc));
    return 1;
  }
  report_load_row_t row;
  fill_row(&row, &config, &result);
  report_load_table(stdout, report_use_colors(stdout), &title, &row, 1, -1);
  print_statuses(stdout, &result);
  print_errors(stdout, &result);
  if (options->json_path != NULL) {
    cJSON *json = result_json(&config, &row, &result);
    rc = write_json(options->json_path, json);
    cJSON_Delete(json);
    if (rc != 0)
      return 2;
  }
  if (result.responses > 0 &&
      result.status_class[2] + result.status_class[3] == 0) {
    /* A load of refusals measures the refusal, not the service. */
    fprintf(stderr,
            "sdkata httpload: none of the %llu answers was a success (2xx "
            "or 3xx): check --path and --header\n",
            (unsigned long long)result.responses);
    return 1;
  }
  return result.responses > 0 && row.errors == 0 ? 0 : 1;
}
