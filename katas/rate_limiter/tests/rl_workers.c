/* rl_workers.c - stage 7's worker processes: K copies of the stage runner
 * (uv_spawn), each with its own rl_redis handle, driven in lock-step phases
 * over pipes at a frozen shared clock.
 *
 * A worker is this same executable started with SDKATA_RL_WORKER set: a
 * constructor sees it before Criterion's main runs, serves the commands
 * below on stdin/stdout and exits. Lines, coordinator -> worker:
 *   phase NOW KEYS N   N calls on each of KEYS keys at NOW, round-robin
 *   begin NOW KEYS     calls round-robin at NOW until the line "end"
 *   quit               report latencies and exit
 * worker -> coordinator: "ready" after creating its handle (or "fail WORDS"),
 * "done CALLS ERRORS BROKEN A0 A1 ...|WORDS" after a phase, and at quit
 * "lat COUNT" then COUNT lines of one latency in ns each. */
#include "rl_workers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <uv.h>

#include "clock.h"
#include "plugin.h"
#include "rate_limiter.h"
#include "rl_suite.h"

#define WORKER_ENV "SDKATA_RL_WORKER"
/* How long one phase, or a worker's start, may take before it is called a
 * hang: far beyond what 4 workers need on a loaded machine. */
#define PHASE_TIMEOUT_MS 20000

/* ---- the worker's side ------------------------------------------------ */

typedef struct worker_state {
  rl_redis_api_t api;
  rl_redis_t *handle;
  bool fail_open;
  uint64_t *latencies;
  size_t latency_count, latency_cap;
  rlw_tally_t tally;
} worker_state_t;

void rlw_key_name(size_t k, char *out, size_t out_size) {
  snprintf(out, out_size, "shared:%zu", k);
}

/* One decision on shared key k, timed and tallied. */
static void worker_call(worker_state_t *state, size_t k, uint64_t now) {
  char key[32];
  rlw_key_name(k, key, sizeof key);
  rl_decision_t decision = {false, 0, 0};
  uint64_t start = clock_monotonic_ns();
  int rc = state->api.check(state->handle, key, strlen(key), now, &decision);
  uint64_t latency = clock_monotonic_ns() - start;
  if (state->latency_count == state->latency_cap) {
    state->latency_cap = state->latency_cap ? state->latency_cap * 2 : 4096;
    state->latencies = realloc(state->latencies,
                               state->latency_cap * sizeof *state->latencies);
    if (state->latencies == NULL)
      _exit(4);
  }
  state->latencies[state->latency_count++] = latency;
  rlw_tally_t *tally = &state->tally;
  tally->calls++;
  if (rc == -EIO)
    tally->errors++;
  bool broken = (rc != 0 && rc != -EIO) ||
                (rc == -EIO && decision.allowed != state->fail_open);
  if (broken && tally->broken++ == 0)
    snprintf(tally->first_broken, sizeof tally->first_broken,
             "rl_redis_check(key \"%s\", t=%s) returned %s with allowed=%s; "
             "expected 0, or -EIO (Redis unreachable) with allowed=%s as "
             "fail_open says",
             key, rlm_seconds(now), rls_rc_text(rc),
             decision.allowed ? "true" : "false",
             state->fail_open ? "true" : "false");
  if (rc == 0 && decision.allowed)
    tally->admitted[k]++;
}

static void worker_report(worker_state_t *state, size_t key_count) {
  rlw_tally_t *tally = &state->tally;
  printf("done %" PRIu64 " %" PRIu64 " %" PRIu64, tally->calls, tally->errors,
         tally->broken);
  for (size_t k = 0; k < key_count; k++)
    printf(" %" PRIu64, tally->admitted[k]);
  printf("|%s\n", tally->first_broken);
  fflush(stdout);
  memset(tally, 0, sizeof *tally);
}

/* Whether the coordinator has written a line (the "end" of a phase). */
static bool stdin_has_line(void) {
  struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
  return poll(&in, 1, 0) > 0;
}

static int worker_serve(worker_state_t *state) {
  char line[256];
  while (fgets(line, sizeof line, stdin) != NULL) {
    unsigned long long now, requests;
    size_t keys;
    if (sscanf(line, "phase %llu %zu %llu", &now, &keys, &requests) == 3 &&
        keys <= RLW_MAX_KEYS) {
      for (unsigned long long r = 0; r < requests; r++)
        for (size_t k = 0; k < keys; k++)
          worker_call(state, k, now);
      worker_report(state, keys);
    } else if (sscanf(line, "begin %llu %zu", &now, &keys) == 2 &&
               keys <= RLW_MAX_KEYS) {
      while (!stdin_has_line())
        for (size_t k = 0; k < keys; k++)
          worker_call(state, k, now);
      if (fgets(line, sizeof line, stdin) == NULL)
        return 1;
      worker_report(state, keys);
    } else if (strncmp(line, "quit", 4) == 0) {
      printf("lat %zu\n", state->latency_count);
      for (size_t i = 0; i < state->latency_count; i++)
        printf("%" PRIu64 "\n", state->latencies[i]);
      fflush(stdout);
      return 0;
    } else {
      printf("fail unknown command %s", line);
      return 1;
    }
  }
  return 1;
}

static int worker_main(const char *spec) {
  int port, fail_open;
  unsigned long long limit, window;
  if (sscanf(spec, "%d %llu %llu %d", &port, &limit, &window, &fail_open) !=
      4) {
    printf("fail bad %s=%s\n", WORKER_ENV, spec);
    return 2;
  }
  plugin_t plugin;
  const char *why = NULL;
  const char *path = getenv("SDKATA_PLUGIN");
  if (path == NULL || plugin_open(&plugin, path, "worker", &why) != 0) {
    printf("fail could not load the plug-in: %s\n", why ? why : "unset");
    return 2;
  }
  worker_state_t state = {.fail_open = fail_open != 0};
  const char *missing = NULL;
  if (rl_redis_api_bind(&plugin, &state.api, &missing) != 0) {
    printf("fail the plug-in does not define %s()\n", missing);
    return 2;
  }
  rl_redis_config_t config = {"127.0.0.1", port, limit, window, fail_open};
  int rc = state.api.create(&config, &state.handle);
  if (rc != 0 || state.handle == NULL) {
    printf("fail rl_redis_create returned %s%s\n", rls_rc_text(rc),
           rc == 0 ? " and no handle" : "");
    return 2;
  }
  printf("ready\n");
  fflush(stdout);
  rc = worker_serve(&state);
  state.api.destroy(state.handle);
  free(state.latencies);
  return rc;
}

/* A worker is this executable with WORKER_ENV set: it must never reach
 * Criterion's main, which would run the suites again. */
__attribute__((constructor)) static void run_as_worker(void) {
  const char *spec = getenv(WORKER_ENV);
  if (spec == NULL)
    return;
  /* If the test that started it dies, so does the worker. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  _exit(worker_main(spec));
}

/* ---- the coordinator's side ------------------------------------------ */

typedef struct worker {
  uv_process_t process;
  int to_child;   /* its stdin */
  int from_child; /* its stdout */
  char buffer[4096];
  size_t buffered;
  bool exited;
  int64_t exit_status;
  int term_signal;
} worker_t;

struct rlw_pool {
  uv_loop_t loop;
  int count;
  worker_t workers[RLW_MAX_WORKERS];
  size_t key_count; /* of the phase under way */
  char doing[128];  /* the phase under way, in words, for failures */
};

static void worker_exited(uv_process_t *process, int64_t exit_status,
                          int term_signal) {
  worker_t *worker = process->data;
  worker->exited = true;
  worker->exit_status = exit_status;
  worker->term_signal = term_signal;
  uv_close((uv_handle_t *)process, NULL);
}

/* Gives the loop up to 2 s to notice that worker i exited, then describes
 * how it ended. */
static const char *ending(rlw_pool_t *pool, int i) {
  static char words[160];
  worker_t *worker = &pool->workers[i];
  for (int waited = 0; !worker->exited && waited < 200; waited++) {
    uv_run(&pool->loop, UV_RUN_NOWAIT);
    if (!worker->exited)
      usleep(10000);
  }
  if (!worker->exited)
    snprintf(words, sizeof words, "closed its output but is still running");
  else if (worker->term_signal != 0)
    snprintf(words, sizeof words, "was killed by signal %d (%s)",
             worker->term_signal, strsignal(worker->term_signal));
  else
    snprintf(words, sizeof words, "exited with status %" PRId64,
             worker->exit_status);
  return words;
}

/* Reads worker i's next line into line (NUL-terminated, no newline);
 * fails the test when it dies or stays silent past the timeout. */
static void read_line(rlw_pool_t *pool, int i, char *line, size_t line_size) {
  worker_t *worker = &pool->workers[i];
  uint64_t deadline = clock_monotonic_ns() + PHASE_TIMEOUT_MS * 1000000ULL;
  for (;;) {
    char *newline = memchr(worker->buffer, '\n', worker->buffered);
    if (newline != NULL) {
      size_t length = (size_t)(newline - worker->buffer);
      size_t kept = length < line_size - 1 ? length : line_size - 1;
      memcpy(line, worker->buffer, kept);
      line[kept] = '\0';
      worker->buffered -= length + 1;
      memmove(worker->buffer, newline + 1, worker->buffered);
      return;
    }
    uint64_t now = clock_monotonic_ns();
    cr_assert(now < deadline && worker->buffered < sizeof worker->buffer,
              "worker %d of %d did not answer within %d s %s: a call to "
              "rl_redis_check that never returns? seed=%llu",
              i + 1, pool->count, PHASE_TIMEOUT_MS / 1000, pool->doing,
              (unsigned long long)stagekit_seed());
    struct pollfd from = {.fd = worker->from_child, .events = POLLIN};
    if (poll(&from, 1, (int)((deadline - now) / 1000000 + 1)) <= 0)
      continue;
    ssize_t got = read(worker->from_child, worker->buffer + worker->buffered,
                       sizeof worker->buffer - worker->buffered);
    if (got < 0 && errno == EINTR)
      continue;
    cr_assert(got > 0, "worker %d of %d %s %s; seed=%llu", i + 1, pool->count,
              ending(pool, i), pool->doing,
              (unsigned long long)stagekit_seed());
    worker->buffered += (size_t)got;
  }
}

static void send_all(rlw_pool_t *pool, const char *line) {
  for (int i = 0; i < pool->count; i++) {
    size_t length = strlen(line);
    ssize_t sent = write(pool->workers[i].to_child, line, length);
    cr_assert(sent == (ssize_t)length, "worker %d of %d %s %s; seed=%llu",
              i + 1, pool->count, ending(pool, i), pool->doing,
              (unsigned long long)stagekit_seed());
  }
}

/* The environment of a worker: ours, with WORKER_ENV set and Criterion's
 * child marker removed (the worker is not one of its test processes). */
static char **worker_environment(const char *spec) {
  extern char **environ;
  size_t count = 0;
  while (environ[count] != NULL)
    count++;
  char **env = calloc(count + 2, sizeof *env);
  cr_assert(env != NULL);
  size_t used = 0;
  for (size_t i = 0; i < count; i++)
    if (strncmp(environ[i], "BXFI_MAP=", 9) != 0 &&
        strncmp(environ[i], WORKER_ENV "=", strlen(WORKER_ENV) + 1) != 0)
      env[used++] = environ[i];
  static char setting[128];
  snprintf(setting, sizeof setting, "%s=%s", WORKER_ENV, spec);
  env[used] = setting;
  return env;
}

static void spawn(rlw_pool_t *pool, int i, const char *spec) {
  worker_t *worker = &pool->workers[i];
  int in[2], out[2];
  cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0,
            "pipe2: %s", strerror(errno));
  char path[4096];
  size_t path_size = sizeof path;
  cr_assert(uv_exepath(path, &path_size) == 0);
  char *args[] = {path, NULL};
  char **env = worker_environment(spec);
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_INHERIT_FD, .data.fd = in[0]},
      {.flags = UV_INHERIT_FD, .data.fd = out[1]},
      {.flags = UV_INHERIT_FD, .data.fd = STDERR_FILENO}};
  uv_process_options_t options = {.exit_cb = worker_exited,
                                  .file = path,
                                  .args = args,
                                  .env = env,
                                  .stdio_count = 3,
                                  .stdio = stdio};
  worker->process.data = worker;
  int rc = uv_spawn(&pool->loop, &worker->process, &options);
  free(env);
  close(in[0]);
  close(out[1]);
  cr_assert(rc == 0, "could not start worker %d: %s", i + 1, uv_strerror(rc));
  worker->to_child = in[1];
  worker->from_child = out[0];
}

rlw_pool_t *rlw_start(int count, int port, uint64_t limit, uint64_t window_ns,
                      bool fail_open) {
  cr_assert(count > 0 && count <= RLW_MAX_WORKERS);
  /* A worker that died must not kill us with SIGPIPE when we write. */
  signal(SIGPIPE, SIG_IGN);
  rlw_pool_t *pool = calloc(1, sizeof *pool);
  cr_assert(pool != NULL);
  cr_assert(uv_loop_init(&pool->loop) == 0);
  pool->count = count;
  char spec[96];
  snprintf(spec, sizeof spec, "%d %llu %llu %d", port,
           (unsigned long long)limit, (unsigned long long)window_ns,
           fail_open ? 1 : 0);
  snprintf(pool->doing, sizeof pool->doing,
           "while making its handle (rl_redis_create)");
  stagekit_step("starting %d worker processes, each calling "
                "rl_redis_create",
                count);
  for (int i = 0; i < count; i++)
    spawn(pool, i, spec);
  for (int i = 0; i < count; i++) {
    char line[512];
    read_line(pool, i, line, sizeof line);
    cr_assert(strcmp(line, "ready") == 0,
              "worker %d of %d could not start: %s; seed=%llu", i + 1, count,
              strncmp(line, "fail ", 5) == 0 ? line + 5 : line,
              (unsigned long long)stagekit_seed());
  }
  return pool;
}

/* Reads every worker's "done" line and sums them into tally. */
static void collect(rlw_pool_t *pool, rlw_tally_t *tally) {
  memset(tally, 0, sizeof *tally);
  for (int i = 0; i < pool->count; i++) {
    char line[1024];
    read_line(pool, i, line, sizeof line);
    char *cursor = line;
    cr_assert(strncmp(cursor, "done ", 5) == 0, "worker %d said \"%s\" %s",
              i + 1, line, pool->doing);
    cursor += 5;
    uint64_t calls = strtoull(cursor, &cursor, 10);
    uint64_t errors = strtoull(cursor, &cursor, 10);
    uint64_t broken = strtoull(cursor, &cursor, 10);
    tally->calls += calls;
    tally->errors += errors;
    for (size_t k = 0; k < pool->key_count; k++)
      tally->admitted[k] += strtoull(cursor, &cursor, 10);
    char *words = strchr(cursor, '|');
    if (broken > 0 && tally->broken == 0 && words != NULL)
      snprintf(tally->first_broken, sizeof tally->first_broken, "worker %d: %s",
               i + 1, words + 1);
    tally->broken += broken;
  }
}

void rlw_phase(rlw_pool_t *pool, uint64_t now_ns, size_t key_count,
               uint64_t requests_per_key, rlw_tally_t *tally) {
  cr_assert(key_count <= RLW_MAX_KEYS);
  pool->key_count = key_count;
  snprintf(pool->doing, sizeof pool->doing,
           "in the phase at t=%s (%llu calls per key)", rlm_seconds(now_ns),
           (unsigned long long)requests_per_key);
  stagekit_step("%d worker processes calling rl_redis_check %s", pool->count,
                pool->doing);
  char line[128];
  snprintf(line, sizeof line, "phase %llu %zu %llu\n",
           (unsigned long long)now_ns, key_count,
           (unsigned long long)requests_per_key);
  send_all(pool, line);
  collect(pool, tally);
}

void rlw_phase_begin(rlw_pool_t *pool, uint64_t now_ns, size_t key_count) {
  cr_assert(key_count <= RLW_MAX_KEYS);
  pool->key_count = key_count;
  snprintf(pool->doing, sizeof pool->doing,
           "while Redis restarted, calling at t=%s", rlm_seconds(now_ns));
  stagekit_step("%d worker processes calling rl_redis_check %s", pool->count,
                pool->doing);
  char line[128];
  snprintf(line, sizeof line, "begin %llu %zu\n", (unsigned long long)now_ns,
           key_count);
  send_all(pool, line);
}

void rlw_phase_end(rlw_pool_t *pool, rlw_tally_t *tally) {
  send_all(pool, "end\n");
  collect(pool, tally);
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return (x > y) - (x < y);
}

void rlw_stop(rlw_pool_t *pool, uint64_t **latencies, size_t *count) {
  snprintf(pool->doing, sizeof pool->doing, "while stopping");
  stagekit_step("stopping the worker processes");
  send_all(pool, "quit\n");
  uint64_t *all = NULL;
  size_t used = 0;
  for (int i = 0; i < pool->count; i++) {
    char line[64];
    read_line(pool, i, line, sizeof line);
    size_t n = 0;
    cr_assert(sscanf(line, "lat %zu", &n) == 1, "worker %d said \"%s\"", i + 1,
              line);
    all = realloc(all, (used + n + 1) * sizeof *all);
    cr_assert(all != NULL);
    for (size_t j = 0; j < n; j++) {
      read_line(pool, i, line, sizeof line);
      all[used++] = strtoull(line, NULL, 10);
    }
  }
  for (int i = 0; i < pool->count; i++) {
    const char *how = ending(pool, i);
    worker_t *worker = &pool->workers[i];
    cr_assert(worker->exited && worker->term_signal == 0 &&
                  worker->exit_status == 0,
              "worker %d of %d %s after its last call (in "
              "rl_redis_destroy?); expected a clean exit; seed=%llu",
              i + 1, pool->count, how, (unsigned long long)stagekit_seed());
    close(worker->to_child);
    close(worker->from_child);
  }
  uv_run(&pool->loop, UV_RUN_DEFAULT);
  uv_loop_close(&pool->loop);
  free(pool);
  qsort(all, used, sizeof *all, compare_u64);
  *latencies = all;
  *count = used;
}
