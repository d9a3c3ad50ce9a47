/* kata.h - what a kata tells the harness: its stages, its workload, and how
 * it is served over HTTP or RESP. */
#ifndef SDKATA_KATA_H
#define SDKATA_KATA_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "options.h"
#include "plugin.h"
#include "resp.h"

/* One stage: a Criterion suite in the kata's stage runner. */
typedef struct kata_stage {
  int number;        /* 1, 2, ... in the order they run */
  const char *suite; /* Criterion suite name, e.g. "sliding_log" */
  const char *title; /* for people, e.g. "sliding log" */
  /* A contest rather than a rule (beat LRU's hit ratio): run on a set of
   * plug-ins (impl=reference), it passes when one of them passes. */
  int one_of_set_suffices;
  /* A stage a learner may leave not attempted: check still exits 0 (an
   * attempted optional stage must pass all the same). */
  int optional;
} kata_stage_t;

#define KATA_MAX_METRICS 4

/* One figure a workload measures of an instance besides time: the load
 * table gives it a column, --json a field, knowing nothing of it. */
typedef struct kata_metric {
  const char *name; /* the column and the JSON name: "hits" */
  const char *unit; /* "%": value is a fraction, shown x100; else a suffix
                       ("jobs/s", "" for none) */
  double value;
} kata_metric_t;

/* What a workload can say about an instance besides time. */
typedef struct kata_measure {
  /* Items stored now, so that bytes are counted per item rather than per
   * key; -1 when it cannot tell. */
  int64_t entries;
  kata_metric_t metrics[KATA_MAX_METRICS];
  size_t metric_count;
} kata_measure_t;

/* The thread an operation runs on, as the load engine tells operate. */
typedef struct kata_thread {
  unsigned index;     /* 0 .. threads - 1 */
  unsigned role;      /* index into the workload's roles; 0 without roles */
  struct hist *spans; /* where kata_thread_span records; the engine's */
} kata_thread_t;

/* Records, from operate, a latency that spans calls (a job's time from
 * enqueue to done, measured by the workload itself) in ns: the load table
 * shows these beside the per-call latencies. */
void kata_thread_span(kata_thread_t *thread, uint64_t ns);

/* What "under load" means: one kind of instance, driven by key index. */
typedef struct kata_workload {
  const char *title; /* "fixed window" */
  int stage;         /* the stage that proves an implementation of it */
  /* Creates an instance from plugin into *instance; context is open's (or
   * NULL). Returns 0, -ENOSYS when the plug-in does not implement this
   * workload, or another error. */
  int (*create)(const plugin_t *plugin, void *context, void **instance);
  void (*destroy)(void *instance);
  /* One operation on key number key (< key_count) at time now_ns, by
   * thread. Must be thread-safe; returns 0 or a negative error. */
  int (*operate)(void *instance, kata_thread_t *thread, uint64_t key,
                 uint64_t now_ns);
  /* Optional (NULL: nothing to say): fills *out (entries -1 and no metrics
   * to begin with); called once after every key was touched and once after
   * the rounds, from one thread. The metrics of the second call, over the
   * rounds, are the ones reported. */
  void (*measure)(void *instance, kata_measure_t *out);
  /* Optional (NULL: nothing shared): opens what every instance of a load
   * shares before the first is created (a private redis-server, worker
   * processes) into *context, and closes it after the last is destroyed.
   * Returns 0 or a negative error (the load then does not run). */
  int (*open)(void **context);
  void (*close)(void *context);
  /* Optional: the threads' roles ("producer", "consumer"); thread t plays
   * roles[t % role_count]. NULL: every thread alike. */
  const char *const *roles;
  size_t role_count;
  /* What kata_thread_span measures, for the table ("enqueue to done");
   * NULL when the workload records no spans. */
  const char *span_title;
} kata_workload_t;

typedef struct kata {
  const char *name;   /* folder name under katas/ */
  const char *title;  /* "rate limiter" */
  const char *header; /* the contract file, relative to the kata folder */
  /* Libraries a learner's file is linked with beyond libc and pthread, as
   * linker flags ("-lhiredis"), NULL-terminated; NULL for none. */
  const char *const *libraries;
  const kata_stage_t *stages;
  size_t stage_count;
  const kata_workload_t *workloads;
  size_t workload_count;
  /* Keys under load in `check` when none are given, so that the quick
   * check stays quick (a naive baseline that scans fills them in seconds);
   * 0: 1 M, as bench always uses. */
  uint64_t check_keys;
  /* Builds the keys once before load: key_count keys. Returns 0 or error. */
  int (*prepare_keys)(uint64_t key_count);
  void (*release_keys)(void);
  /* The kata's own options (sdkata help KATA lists them): the command
   * line takes them as --name VALUE, make as name=VALUE, and the harness
   * parses and checks each against its spec. */
  const option_spec_t *options;
  size_t option_count;
  /* Serving over HTTP or RESP (sdkata serve); serve_open NULL: the kata
   * cannot be served. serve_open makes, from plugin and values (one per
   * entry of options, in its order, parsed and with defaults applied), the
   * state serve_http or serve_resp answers with; loop is the server's, for
   * what answers later (a timer, hiredis's libuv adapter: see
   * http_response_defer and resp_reply_defer). Returns 0; -ENOSYS when
   * the plug-in does not implement what the values ask for (another
   * plug-in of a set may); -EINVAL when the values do not go together (it
   * has said why on stderr); or another negative errno code. */
  int (*serve_open)(const plugin_t *plugin, const option_value_t *values,
                    uv_loop_t *loop, void **state);
  void (*serve_close)(void *state);
  /* Answers one request, now or later (http_response_defer); runs on the
   * server's loop thread, one at a time. */
  void (*serve_http)(void *state, const http_request_t *req,
                     http_response_t *res);
  /* Set instead of serve_http, the kata is served over RESP2: answers one
   * command with one reply; runs on the loop thread, one at a time. */
  void (*serve_resp)(void *state, const resp_command_t *command,
                     resp_reply_t *reply);
  /* The port serve listens on when none is given; 0: 8080. */
  int serve_port;
} kata_t;

#endif /* SDKATA_KATA_H */
