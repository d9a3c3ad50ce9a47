/* proc.c - runs a child process to completion under a time limit (libuv),
 * and ends every process it started with it. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

extern char **environ;

/* The process group proc_run is waiting for, for the interrupt handler. */
static volatile sig_atomic_t running_group;

typedef struct proc_run_state {
  uv_process_t process;
  uv_timer_t timer;
  proc_result_t *result;
  int handles_open;
} proc_run_state_t;

static void on_handle_closed(uv_handle_t *handle) {
  proc_run_state_t *state = handle->data;
  state->handles_open--;
}

static void on_process_exit(uv_process_t *process, int64_t exit_status,
                            int term_signal) {
  proc_run_state_t *state = process->data;
  state->result->exit_status = exit_status;
  state->result->term_signal = term_signal;
  uv_close((uv_handle_t *)&state->process, on_handle_closed);
  uv_close((uv_handle_t *)&state->timer, on_handle_closed);
}

static void on_timeout(uv_timer_t *timer) {
  proc_run_state_t *state = timer->data;
  state->result->timed_out = 1;
  kill(-state->process.pid, SIGKILL);
}

static void on_interrupt(int sig) {
  if (running_group > 0)
    kill(-running_group, SIGKILL);
  signal(sig, SIG_DFL);
  raise(sig);
}

void proc_forward_interrupts(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGHUP, &action, NULL);
}

/* 1 when entry ("K=V") sets the variable that change ("K=V" or "K")
 * names. */
static int same_variable(const char *entry, const char *change) {
  size_t length = strcspn(change, "=");
  return strncmp(entry, change, length) == 0 && entry[length] == '=';
}

/* environ changed by env_add ("K=V" sets, "K" removes), as a new
 * NULL-terminated array whose entries are borrowed. */
static char **environment_with(char *const env_add[]) {
  size_t base = 0, extra = 0;
  while (environ[base] != NULL)
    base++;
  while (env_add != NULL && env_add[extra] != NULL)
    extra++;
  char **env = calloc(base + extra + 1, sizeof *env);
  if (env == NULL)
    return NULL;
  size_t count = 0;
  for (size_t i = 0; i < base; i++) {
    int changed = 0;
    for (size_t j = 0; j < extra && !changed; j++)
      changed = same_variable(environ[i], env_add[j]);
    if (!changed)
      env[count++] = environ[i];
  }
  for (size_t j = 0; j < extra; j++)
    if (strchr(env_add[j], '=') != NULL)
      env[count++] = env_add[j];
  env[count] = NULL;
  return env;
}

int proc_run(char *const argv[], char *const env_add[], const char *output_path,
             uint64_t timeout_ms, proc_result_t *result) {
  memset(result, 0, sizeof *result);
  int output_fd = -1;
  if (output_path != NULL) {
    output_fd = open(output_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (output_fd < 0)
      return -errno;
  }
  char **env = environment_with(env_add);
  if (env == NULL) {
    if (output_fd >= 0)
      close(output_fd);
    return UV_ENOMEM;
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  proc_run_state_t state = {.result = result};
  uv_stdio_container_t stdio[3];
  stdio[0].flags = UV_IGNORE;
  for (int i = 1; i < 3; i++) {
    stdio[i].flags = UV_INHERIT_FD;
    stdio[i].data.fd = output_fd >= 0 ? output_fd : i;
  }
  uv_process_options_t options = {
      .file = argv[0],
      .args = (char **)argv,
      .env = env,
      .exit_cb = on_process_exit,
      .stdio_count = 3,
      .stdio = stdio,
      /* setsid(): the child leads a group that its own children join. */
      .flags = UV_PROCESS_DETACHED,
  };
  state.process.data = &state;
  int rc = uv_spawn(&loop, &state.process, &options);
  if (rc == 0) {
    pid_t group = state.process.pid;
    running_group = group;
    state.handles_open = 2;
    uv_timer_init(&loop, &state.timer);
    state.timer.data = &state;
    if (timeout_ms > 0)
      uv_timer_start(&state.timer, on_timeout, timeout_ms, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    /* What the child left behind goes with it. */
    kill(-group, SIGKILL);
    running_group = 0;
  } else {
    uv_close((uv_handle_t *)&state.process, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  free(env);
  if (output_fd >= 0)
    close(output_fd);
  return rc;
}

char *proc_read_file(const char *path) {
  FILE *file = fopen(path, "rb");
  if (file == NULL)
    return NULL;
  size_t capacity = 4096, length = 0;
  char *text = malloc(capacity);
  while (text != NULL) {
    size_t got = fread(text + length, 1, capacity - length - 1, file);
    length += got;
    if (got == 0)
      break;
    if (capacity - length - 1 == 0) {
      char *grown = realloc(text, capacity * 2);
      if (grown == NULL) {
        free(text);
        text = NULL;
        break;
      }
      text = grown;
      capacity *= 2;
    }
  }
  if (text != NULL)
    text[length] = '\0';
  fclose(file);
  return text;
}
