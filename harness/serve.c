/* serve.c - the serve command: a kata's implementation behind HTTP or RESP
 * on 127.0.0.1, through the kata's serve hooks, until SIGINT or SIGTERM.
 *
 * The server runs in a child process under supervise.c: when a learner's
 * file crashes or hangs while answering, the supervisor names the request
 * and starts the server again, as a process manager restarts a service. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "http.h"
#include "impl.h"
#include "plugin.h"
#include "resp.h"
#include "supervise.h"

/* A RESP client may sit idle between commands for long (a person at
 * redis-cli's prompt; Redis itself never drops an idle client), so RESP
 * connections get more time than net's default before they are closed. */
#define SERVE_RESP_IDLE_TIMEOUT_MS (10 * 60 * 1000)

/* What the HTTP or RESP handler needs to reach the kata's hook. */
typedef struct serve_context {
  const kata_t *kata;
  void *state;
} serve_context_t;

static void serve_handle(const http_request_t *req, http_response_t *res,
                         void *data) {
  serve_context_t *context = data;
  supervise_begin("%s %.160s", req->method, req->target);
  context->kata->serve_http(context->state, req, res);
  supervise_end();
}

static void serve_handle_resp(const resp_command_t *command,
                              resp_reply_t *reply, void *data) {
  serve_context_t *context = data;
  size_t name_len = command->argv[0].len < 64 ? command->argv[0].len : 64;
  size_t key_len = command->argc < 2            ? 0
                   : command->argv[1].len < 128 ? command->argv[1].len
                                                : 128;
  supervise_begin("%.*s %.*s", (int)name_len, command->argv[0].bytes,
                  (int)key_len, key_len ? command->argv[1].bytes : "");
  context->kata->serve_resp(context->state, command, reply);
  supervise_end();
}

/* Opens the first plug-in of set whose serve_open accepts values, into
 * *plugin and *state; *index says which. Returns 0, -ENOSYS when none
 * implements what values ask for, or the first other error (a plug-in
 * that implements it but failed, or values every one would reject). */
static int open_first_servable(const kata_t *kata, const impl_set_t *set,
                               const option_value_t *values, uv_loop_t *loop,
                               plugin_t *plugin, void **state, size_t *index) {
  int rc = -ENOSYS;
  for (size_t i = 0; i < set->count && rc == -ENOSYS; i++) {
    const char *why;
    if (plugin_open(plugin, set->paths[i], set->name, &why) != 0) {
      fprintf(stderr, "sdkata serve: could not load %s: %s\n", set->paths[i],
              why);
      continue;
    }
    rc = kata->serve_open(plugin, values, loop, state);
    if (rc != 0)
      plugin_close(plugin);
    else
      *index = i;
  }
  return rc;
}

/* The name to print: the set's, and the plug-in's own when the set has
 * several (the references: which algorithm's file answers). */
static void served_name(const impl_set_t *set, size_t index, char *buf,
                        size_t size) {
  char stem[NAME_MAX + 1];
  if (set->count > 1)
    snprintf(buf, size, "%s/%s", set->name,
             impl_stem(set->paths[index], stem, sizeof stem));
  else
    snprintf(buf, size, "%s", set->name);
}

/* Runs the kata's server on loop until a signal stops it: RESP when the
 * kata answers RESP commands, HTTP otherwise. */
static int serve_on_loop(const command_options_t *options,
                         serve_context_t *context, const char *name,
                         uv_loop_t *loop) {
  int err;
  net_config_t net = {
      .host = "127.0.0.1", .port = options->port, .handle_signals = 1};
  http_server_t *http = NULL;
  resp_server_t *resp = NULL;
  if (context->kata->serve_resp) {
    net.idle_timeout_ms = SERVE_RESP_IDLE_TIMEOUT_MS;
    resp_config_t config = {
        .net = net, .handler = serve_handle_resp, .handler_data = context};
    err = resp_server_create(&resp, loop, &config);
  } else {
    http_config_t config = {
        .net = net, .handler = serve_handle, .handler_data = context};
    err = http_server_create(&http, loop, &config);
  }
  if (err != 0) {
    fprintf(stderr, "sdkata serve: cannot listen on 127.0.0.1:%d: %s\n",
            options->port, uv_strerror(err));
    return 2;
  }
  int port =
      net_server_port(resp ? resp_server_net(resp) : http_server_net(http));
  supervise_listening(port);
  printf("listening on %s://127.0.0.1:%d (impl %s), Ctrl-C stops\n",
         resp ? "redis" : "http", port, name);
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  if (resp)
    resp_server_destroy(resp);
  else
    http_server_destroy(http);
  return 0;
}

/* What the serving child needs. */
typedef struct serve_job {
  command_options_t *options;
  const impl_set_t *set;
} serve_job_t;

/* The child's work: opens the plug-in, serves until a signal, closes. */
static int serve_child(void *arg) {
  serve_job_t *job = arg;
  const kata_t *kata = job->options->kata;
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  if (rc != 0) {
    fprintf(stderr, "sdkata serve: %s\n", uv_strerror(rc));
    return 2;
  }
  plugin_t plugin;
  serve_context_t context = {kata, NULL};
  size_t index = 0;
  rc = open_first_servable(kata, job->set, job->options->kata_values, &loop,
                           &plugin, &context.state, &index);
  if (rc != 0) {
    char asked[512] = "";
    size_t length = 0;
    for (size_t i = 0; i < kata->option_count && length < sizeof asked; i++)
      if (job->options->kata_values[i].given)
        length +=
            (size_t)snprintf(asked + length, sizeof asked - length, "%s--%s %s",
                             length ? " " : "", kata->options[i].name,
                             job->options->kata_values[i].text);
    if (rc == -ENOSYS && asked[0] != '\0')
      fprintf(stderr,
              "sdkata serve: impl %s does not implement what was asked (%s)\n",
              job->set->name, asked);
    else if (rc == -ENOSYS)
      fprintf(stderr,
              "sdkata serve: impl %s implements nothing that can be served "
              "yet\n",
              job->set->name);
    else if (rc != -EINVAL)
      fprintf(stderr, "sdkata serve: %s could not be served: %s\n",
              job->set->name, strerror(-rc));
    uv_loop_close(&loop);
    return 2;
  }
  char name[256];
  served_name(job->set, index, name, sizeof name);
  int status = serve_on_loop(job->options, &context, name, &loop);
  /* The kata's handles on the loop (a Redis connection, timers) close with
   * its state. */
  kata->serve_close(context.state);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
  plugin_close(&plugin);
  return status;
}

int command_serve(command_options_t *options) {
  const kata_t *kata = options->kata;
  if (kata->serve_open == NULL) {
    fprintf(stderr, "sdkata serve: the %s kata cannot be served\n", kata->name);
    return 2;
  }
  if (options->port == COMMAND_PORT_UNSET)
    options->port = kata->serve_port ? kata->serve_port : COMMAND_DEFAULT_PORT;
  if (options->port < 0 || options->port > 65535) {
    fprintf(stderr, "sdkata serve: --port wants a number from 0 to 65535\n");
    return 2;
  }
  impl_set_t set;
  if (impl_resolve(kata, options->impl, options->sanitize, &set) != 0)
    return 2;
  /* A client that hangs up before its answer is written must cost that
   * connection, not the server. */
  signal(SIGPIPE, SIG_IGN);
  serve_job_t job = {options, &set};
  char what[300];
  snprintf(what, sizeof what, "impl %s", set.name);
  int status = supervise_run(serve_child, &job, what, &options->port);
  impl_free(&set);
  return status;
}
