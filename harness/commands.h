/* commands.h - what each sdkata command does: check, bench, list, mutants,
 * serve, httpload, and the load child that runs implementations where a crash
 * is contained. */
#ifndef SDKATA_COMMANDS_H
#define SDKATA_COMMANDS_H

#include <stdint.h>

#include "kata.h"
#include "options.h"

/* --port was not given: serve uses the kata's port, httpload 8080. */
#define COMMAND_PORT_UNSET (-2)
#define COMMAND_DEFAULT_PORT 8080
/* --keys was not given: the kata's check_keys for check, else 1 M. */
#define COMMAND_KEYS_UNSET UINT64_MAX
#define COMMAND_DEFAULT_KEYS 1000000

typedef struct command_options {
  const char *command; /* "check", "bench", ... as typed */
  const kata_t *kata;
  const char *impl; /* NULL: the learner's solution.c */
  int stage;        /* 0: every stage; N: only stage N */
  uint64_t seed;
  int seed_given;        /* seed came from the user (kept in replay lines) */
  int sanitize;          /* this binary and its plug-ins carry ASan/UBSan */
  const char *json_path; /* write results as JSON here, or NULL */
  int no_load;
  unsigned threads, rounds;
  double seconds;
  uint64_t rate;
  uint64_t key_count;
  const char *distribution; /* "zipf", "uniform", "hotspot:0.01:0.9" */
  const char *only;         /* mutants: just this one */
  int baseline; /* mutants: the naive baseline, against its declared stage */
  int workload; /* load child: which workload */
  const char *subjects[8]; /* load child: "label=path,path" */
  int subject_count;
  int port; /* serve, httpload: 0 picks a free one; COMMAND_PORT_UNSET */
  /* The kata's own options, as its table declares them (kata->options),
   * parsed and with their defaults; NULL without a kata. */
  const option_value_t *kata_values;
  unsigned connections;   /* httpload: keep-alive connections */
  double warmup_seconds;  /* httpload: not recorded */
  const char *path;       /* httpload: the request's path */
  const char *header;     /* httpload: "Name: value" sent every time */
  const char *key_header; /* httpload: a header naming one of key_count
                             keys, drawn uniformly per request */
} command_options_t;

/* Each returns the process's exit status: 0 all good, 1 a verdict that is
 * not a pass, 2 a usage or build problem. */
int command_check(command_options_t *options);
int command_bench(command_options_t *options);
int command_list(command_options_t *options);
int command_mutants(command_options_t *options);
int command_load_child(command_options_t *options);
/* Serves the kata over HTTP on 127.0.0.1 until SIGINT or SIGTERM (serve.c). */
int command_serve(command_options_t *options);
/* Loads an HTTP server on 127.0.0.1 (no kata) and prints what it measured
 * (httpload_command.c). */
int command_httpload(command_options_t *options);

#endif /* SDKATA_COMMANDS_H */
