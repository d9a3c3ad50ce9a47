/* httpload.c - HTTP/1.1 load generator: libuv loops on threads, keep-alive
 * connections, open loop on a precise schedule or closed loop. */
#include "httpload.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

#include "clock.h"

#define HTTPLOAD_DEFAULT_TIMEOUT_S 2.0
#define HTTPLOAD_RECONNECT_MS 10            /* pause after a failed reconnect */
#define HTTPLOAD_START_MARGIN_NS 1000000ull /* loops wake before request 0 */
#define HTTPLOAD_PREFIX_MAX 65536
#define HTTPLOAD_HEADER_NAME_MAX 64

typedef enum conn_state {
  CONN_CLOSED,
  CONN_CONNECTING,
  CONN_IDLE,
  CONN_BUSY, /* a request written or being written, its response awaited */
  CONN_CLOSING,
  CONN_BACKOFF /* closed, waiting to connect again */
} conn_state_t;

struct httpload_worker;

typedef struct httpload_conn {
  struct httpload_worker *worker;
  unsigned id; /* over all threads: this connection gets requests
                  id, id + connections, id + 2 * connections, ... */
  conn_state_t state;
  bool finished; /* shut down for good */
  bool writing;
  bool backoff_after_close;
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req;
  uv_timer_t timer;    /* connect timeout, request timeout or backoff */
  uint64_t dispatched; /* open loop: requests due so far */
  uint64_t next;       /* open loop: the next one to send */
  uint64_t due_ns;     /* of the request in flight */
  uint64_t sent_ns;    /* when the request in flight was written */
  bool recorded;       /* the request in flight is in the recorded period */
  bool in_body;
  uint64_t body_left;
  int status;
  size_t head_len;
  char head[HTTPLOAD_HEAD_MAX];
  char line[HTTPLOAD_HEADER_NAME_MAX + HTTPLOAD_HEADER_VALUE_MAX + 4];
} httpload_conn_t;

typedef struct httpload_run_state {
  const httpload_config_t *config;
  struct sockaddr_in addr;
  char *prefix; /* request line, Host, caller's headers, Content-Length */
  size_t prefix_len;
  char *suffix; /* blank line and body */
  size_t suffix_len;
  bool head_only; /* HEAD: responses have no body */
  unsigned connections;
  uint64_t timeout_ms;
  uint64_t connect_timeout_ms;
  /* The start gate: each thread settles its connects, then waits for the
   * main thread to decide the start time (or to abort). */
  pthread_mutex_t gate;
  pthread_cond_t gate_changed;
  unsigned settled;
  bool decided;
  bool abort;
  uint64_t start_ns;
  uint64_t record_ns; /* requests due from here on are recorded */
  uint64_t end_ns;    /* no request due from here on is sent */
} httpload_run_state_t;

typedef struct httpload_worker {
  pthread_t thread;
  unsigned index;
  httpload_run_state_t *run;
  uv_loop_t loop;
  httpload_conn_t *conns;
  unsigned first_conn; /* global id of conns[0] */
  unsigned conn_count;
  unsigned pending_connects; /* initial connects not yet settled */
  bool started;              /* past the initial connects */
  bool stopping;
  uv_timer_t end_timer;
  int timer_fd; /* open loop: wakes the loop at the next due time, to the
                   ns (uv timers have ms resolution) */
  uv_poll_t timer_poll;
  uint64_t round;  /* open loop: the next request to dispatch is */
  unsigned cursor; /* round * connections + first_conn + cursor */
  httpload_result_t result;
} httpload_worker_t;

static void conn_connect(httpload_conn_t *conn);
static void conn_maybe_send(httpload_conn_t *conn);
static void on_timer(uv_timer_t *timer);

static void note_error(httpload_worker_t *worker, int code) {
  if (worker->result.first_error == 0)
    worker->result.first_error = code;
}

/* When request `index` is due: start + index / rate, exactly. */
static uint64_t due_of(const httpload_run_state_t *run, uint64_t index) {
  unsigned __int128 offset =
      (unsigned __int128)index * 1000000000u / run->config->rate;
  return run->start_ns + (uint64_t)offset;
}

static uint64_t seconds_to_ms(double seconds, double fallback) {
  double s = seconds > 0 ? seconds : fallback;
  uint64_t ms = (uint64_t)(s * 1000.0 + 0.5);
  return ms > 0 ? ms : 1;
}

/* Counts the requests a connection never got to send. */
static void count_unfinished(httpload_conn_t *conn) {
  httpload_run_state_t *run = conn->worker->run;
  if (run->config->rate == 0)
    return;
  for (uint64_t k = conn->next; k < conn->dispatched; k++) {
    if (due_of(run, k * run->connections + conn->id) >= run->record_ns)
      conn->worker->result.unfinished++;
  }
}

static void on_tcp_closed(uv_handle_t *handle);

/* Shuts a connection down for good once the run is over and it has no
 * request in flight. */
static void conn_finish(httpload_conn_t *conn) {
  if (conn->finished)
    return;
  conn->finished = true;
  count_unfinished(conn);
  uv_close((uv_handle_t *)&conn->timer, NULL);
  if (conn->state == CONN_CONNECTING || conn->state == CONN_IDLE) {
    conn->state = CONN_CLOSING;
    uv_close((uv_handle_t *)&conn->tcp, on_tcp_closed);
  }
}

static void on_tcp_closed(uv_handle_t *handle) {
  httpload_conn_t *conn = handle->data;
  httpload_worker_t *worker = conn->worker;
  conn->state = CONN_CLOSED;
  if (!worker->started || conn->finished)
    return;
  if (worker->stopping) {
    conn_finish(conn);
  } else if (conn->backoff_after_close) {
    conn->state = CONN_BACKOFF;
    uv_timer_start(&conn->timer, on_timer, HTTPLOAD_RECONNECT_MS, 0);
  } else {
    conn_connect(conn);
  }
}

/* Closes the connection; it is opened again unless the run is over. */
static void conn_reset(httpload_conn_t *conn, bool backoff) {
  uv_timer_stop(&conn->timer);
  conn->state = CONN_CLOSING;
  conn->backoff_after_close = backoff;
  uv_close((uv_handle_t *)&conn->tcp, on_tcp_closed);
}

/* The request in flight failed: counts it (if recorded) under *counter. */
static void conn_fail(httpload_conn_t *conn, uint64_t *counter, int code) {
  if (conn->recorded) {
    (*counter)++;
    note_error(conn->worker, code);
  }
  conn_reset(conn, false);
}

static void stop_worker(httpload_worker_t *worker) {
  worker->stopping = true;
  for (unsigned i = 0; i < worker->conn_count; i++) {
    if (worker->conns[i].state != CONN_BUSY)
      conn_finish(&worker->conns[i]);
  }
  if (worker->started) {
    uv_close((uv_handle_t *)&worker->end_timer, NULL);
    uv_close((uv_handle_t *)&worker->timer_poll, NULL);
  }
}

static void on_timer(uv_timer_t *timer) {
  httpload_conn_t *conn = timer->data;
  httpload_worker_t *worker = conn->worker;
  switch (conn->state) {
  case CONN_CONNECTING:
    worker->result.connect_errors++;
    note_error(worker, -ETIMEDOUT);
    if (!worker->started)
      worker->pending_connects--;
    conn_reset(conn, true);
    break;
  case CONN_BUSY: conn_fail(conn, &worker->result.timeouts, -ETIMEDOUT); break;
  case CONN_BACKOFF: conn_connect(conn); break;
  default: break;
  }
}

/* The response is complete: records it and frees the connection. A
 * response later than the timeout is a timeout, even when a busy loop ran
 * the timer late: what counts is the time it took, not when we looked. */
static void conn_complete(httpload_conn_t *conn) {
  httpload_worker_t *worker = conn->worker;
  uv_timer_stop(&conn->timer);
  uint64_t now = clock_now_ns();
  if (conn->recorded &&
      now - conn->sent_ns >= worker->run->timeout_ms * 1000000) {
    worker->result.timeouts++;
    note_error(worker, -ETIMEDOUT);
  } else if (conn->recorded) {
    hist_record(&worker->result.latency, now - conn->due_ns);
    worker->result.responses++;
    worker->result.status_class[conn->status / 100]++;
    worker->result.status[conn->status]++;
  }
  conn->state = CONN_IDLE;
  if (worker->stopping)
    conn_finish(conn);
  else
    conn_maybe_send(conn);
}

/* Parses a complete response head (status line to blank line). Sets the
 * status and the body's length. Returns 0, -EPROTO when malformed or
 * -ENOTSUP for what this client does not read (chunked, 1xx). */
static int parse_head(const char *head, size_t len, bool head_only, int *status,
                      uint64_t *body_length) {
  if (len < 14 || memcmp(head, "HTTP/1.", 7) != 0 || head[8] != ' ')
    return -EPROTO;
  int code = 0;
  for (int i = 9; i < 12; i++) {
    if (head[i] < '0' || head[i] > '9')
      return -EPROTO;
    code = code * 10 + (head[i] - '0');
  }
  if (head[12] != ' ' && head[12] != '\r')
    return -EPROTO;
  if (code < 200 || code >= HTTPLOAD_STATUS_LIMIT)
    return code >= 100 && code < 200 ? -ENOTSUP : -EPROTO;
  bool have_length = false;
  uint64_t length = 0;
  const char *end = head + len;
  const char *line = memchr(head, '\n', len);
  while (line && ++line < end && *line != '\r') {
    const char *eol = memchr(line, '\n', (size_t)(end - line));
    if (!eol)
      return -EPROTO;
    const char *colon = memchr(line, ':', (size_t)(eol - line));
    if (!colon)
      return -EPROTO;
    size_t name_len = (size_t)(colon - line);
    const char *value = colon + 1;
    while (value < eol && (*value == ' ' || *value == '\t'))
      value++;
    if (name_len == 17 && strncasecmp(line, "transfer-encoding", 17) == 0)
      return -ENOTSUP;
    if (name_len == 14 && strncasecmp(line, "content-length", 14) == 0) {
      uint64_t v = 0;
      const char *p = value;
      for (; p < eol && *p >= '0' && *p <= '9'; p++) {
        if (v > UINT64_MAX / 20)
          return -EPROTO;
        v = v * 10 + (uint64_t)(*p - '0');
      }
      while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
      if (p == value || p != eol || (have_length && v != length))
        return -EPROTO;
      have_length = true;
      length = v;
    }
    line = eol;
  }
  bool no_body = head_only || code == 204 || code == 304;
  if (!no_body && !have_length)
    return -ENOTSUP; /* the body would run to the connection's close */
  *status = code;
  *body_length = no_body ? 0 : length;
  return 0;
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  httpload_conn_t *conn = handle->data;
  (void)suggested;
  /* A body is skipped, so it may overwrite the head already parsed. */
  if (conn->in_body)
    *buf = uv_buf_init(conn->head, sizeof conn->head);
  else
    *buf = uv_buf_init(conn->head + conn->head_len,
                       (unsigned)(sizeof conn->head - conn->head_len));
}

/* Takes in n bytes just read into the head buffer. */
static void conn_take(httpload_conn_t *conn, size_t n) {
  httpload_worker_t *worker = conn->worker;
  httpload_result_t *result = &worker->result;
  if (conn->state != CONN_BUSY) {
    /* Bytes nobody asked for: the connection is out of step. */
    if (conn->worker->started && clock_now_ns() >= worker->run->record_ns) {
      result->parse_errors++;
      note_error(worker, -EPROTO);
    }
    conn_reset(conn, false);
    return;
  }
  size_t extra;
  if (conn->in_body) {
    extra = n;
  } else {
    size_t from = conn->head_len >= 3 ? conn->head_len - 3 : 0;
    conn->head_len += n;
    const char *end =
        memmem(conn->head + from, conn->head_len - from, "\r\n\r\n", 4);
    if (!end) {
      if (conn->head_len == sizeof conn->head)
        conn_fail(conn, &result->parse_errors, -E2BIG);
      return;
    }
    size_t head_len = (size_t)(end - conn->head) + 4;
    int rc = parse_head(conn->head, head_len, worker->run->head_only,
                        &conn->status, &conn->body_left);
    if (rc < 0) {
      conn_fail(conn, &result->parse_errors, rc);
      return;
    }
    conn->in_body = true;
    extra = conn->head_len - head_len;
  }
  uint64_t taken = extra < conn->body_left ? extra : conn->body_left;
  conn->body_left -= taken;
  extra -= (size_t)taken;
  if (extra > 0)
    conn_fail(conn, &result->parse_errors, -EPROTO); /* never pipelined */
  else if (conn->body_left == 0)
    conn_complete(conn);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  httpload_conn_t *conn = stream->data;
  (void)buf;
  if (nread == 0 || conn->state == CONN_CLOSING)
    return;
  if (nread > 0) {
    conn_take(conn, (size_t)nread);
  } else if (conn->state == CONN_BUSY) {
    conn_fail(conn, &conn->worker->result.read_errors, (int)nread);
  } else {
    /* The server closed an idle keep-alive connection: open it again. */
    conn_reset(conn, false);
  }
}

static void on_write(uv_write_t *req, int status) {
  httpload_conn_t *conn = req->data;
  conn->writing = false;
  if (conn->state == CONN_BUSY && status < 0)
    conn_fail(conn, &conn->worker->result.read_errors, status);
  else if (conn->state == CONN_IDLE)
    conn_maybe_send(conn); /* the response beat this callback */
}

/* Sends the connection's next request if one is due and it is free. */
static void conn_maybe_send(httpload_conn_t *conn) {
  httpload_worker_t *worker = conn->worker;
  httpload_run_state_t *run = worker->run;
  const httpload_config_t *config = run->config;
  if (conn->state != CONN_IDLE || conn->writing || worker->stopping)
    return;
  uint64_t due;
  if (config->rate > 0) {
    if (conn->next == conn->dispatched)
      return;
    due = due_of(run, conn->next * run->connections + conn->id);
    conn->next++;
  } else {
    due = clock_now_ns();
    if (due >= run->end_ns)
      return;
  }
  uv_buf_t bufs[3];
  unsigned count = 0;
  bufs[count++] = uv_buf_init(run->prefix, (unsigned)run->prefix_len);
  if (config->header_name) {
    size_t name_len = strlen(config->header_name);
    memcpy(conn->line, config->header_name, name_len);
    memcpy(conn->line + name_len, ": ", 2);
    char *value = conn->line + name_len + 2;
    size_t len = config->header_value(config->header_context, worker->index,
                                      value, HTTPLOAD_HEADER_VALUE_MAX);
    if (len > HTTPLOAD_HEADER_VALUE_MAX)
      len = HTTPLOAD_HEADER_VALUE_MAX;
    memcpy(value + len, "\r\n", 2);
    bufs[count++] = uv_buf_init(conn->line, (unsigned)(name_len + len + 4));
  }
  bufs[count++] = uv_buf_init(run->suffix, (unsigned)run->suffix_len);
  conn->state = CONN_BUSY;
  conn->due_ns = due;
  conn->sent_ns = clock_now_ns();
  conn->recorded = due >= run->record_ns && due < run->end_ns;
  conn->in_body = false;
  conn->head_len = 0;
  if (conn->recorded)
    worker->result.sent++;
  uv_timer_start(&conn->timer, on_timer, run->timeout_ms, 0);
  conn->writing = true;
  int rc = uv_write(&conn->write_req, (uv_stream_t *)&conn->tcp, bufs, count,
                    on_write);
  if (rc < 0) {
    conn->writing = false;
    conn_fail(conn, &worker->result.read_errors, rc);
  }
}

static void on_connect(uv_connect_t *req, int status) {
  httpload_conn_t *conn = req->data;
  httpload_worker_t *worker = conn->worker;
  if (status == UV_ECANCELED)
    return; /* closed on purpose, already accounted for */
  uv_timer_stop(&conn->timer);
  if (!worker->started)
    worker->pending_connects--;
  if (status < 0) {
    worker->result.connect_errors++;
    note_error(worker, status);
    conn_reset(conn, true);
    return;
  }
  conn->state = CONN_IDLE;
  uv_read_start((uv_stream_t *)&conn->tcp, on_alloc, on_read);
  if (worker->stopping)
    conn_finish(conn);
  else if (worker->started)
    conn_maybe_send(conn);
}

static void conn_connect(httpload_conn_t *conn) {
  httpload_worker_t *worker = conn->worker;
  uv_tcp_init(&worker->loop, &conn->tcp);
  conn->tcp.data = conn;
  uv_tcp_nodelay(&conn->tcp, 1);
  conn->state = CONN_CONNECTING;
  int rc =
      uv_tcp_connect(&conn->connect_req, &conn->tcp,
                     (const struct sockaddr *)&worker->run->addr, on_connect);
  if (rc < 0) {
    worker->result.connect_errors++;
    note_error(worker, rc);
    if (!worker->started)
      worker->pending_connects--;
    conn_reset(conn, true);
    return;
  }
  uv_timer_start(&conn->timer, on_timer, worker->run->connect_timeout_ms, 0);
}

/* Arms the timerfd to fire in delay_ns (at least 1: 0 would disarm it). */
static void arm_timer_fd(httpload_worker_t *worker, uint64_t delay_ns) {
  struct itimerspec spec = {0};
  if (delay_ns == 0)
    delay_ns = 1;
  spec.it_value.tv_sec = (time_t)(delay_ns / 1000000000u);
  spec.it_value.tv_nsec = (long)(delay_ns % 1000000000u);
  timerfd_settime(worker->timer_fd, 0, &spec, NULL);
}

/* Open loop: hands every request now due to its connection, in order, then
 * sleeps until the next one is due. */
static void dispatch_due(httpload_worker_t *worker) {
  httpload_run_state_t *run = worker->run;
  uint64_t now = clock_now_ns();
  while (!worker->stopping) {
    httpload_conn_t *conn = &worker->conns[worker->cursor];
    uint64_t due = due_of(run, worker->round * run->connections + conn->id);
    if (due >= run->end_ns)
      return;
    if (due > now) {
      arm_timer_fd(worker, due - now);
      return;
    }
    conn->dispatched++;
    conn_maybe_send(conn);
    if (++worker->cursor == worker->conn_count) {
      worker->cursor = 0;
      worker->round++;
    }
  }
}

static void on_timer_fd(uv_poll_t *poll, int status, int events) {
  httpload_worker_t *worker = poll->data;
  uint64_t expirations;
  (void)status;
  (void)events;
  if (read(worker->timer_fd, &expirations, sizeof expirations) < 0 &&
      errno != EAGAIN)
    note_error(worker, -errno);
  dispatch_due(worker);
}

/* The run is over. Requests due before its end that a late timer never
 * handed out are handed out now, so that each one is sent or counted as
 * unfinished, however late this process ran. */
static void on_end(uv_timer_t *timer) {
  httpload_worker_t *worker = timer->data;
  if (worker->run->config->rate > 0)
    dispatch_due(worker);
  stop_worker(worker);
}

static void run_load(httpload_worker_t *worker) {
  httpload_run_state_t *run = worker->run;
  worker->started = true;
  uv_timer_init(&worker->loop, &worker->end_timer);
  worker->end_timer.data = worker;
  uv_poll_init(&worker->loop, &worker->timer_poll, worker->timer_fd);
  worker->timer_poll.data = worker;
  uv_poll_start(&worker->timer_poll, UV_READABLE, on_timer_fd);
  uint64_t now = clock_now_ns();
  uint64_t left_ns = run->end_ns > now ? run->end_ns - now : 0;
  /* The loop's ms clock lags by up to 1 ms: one more keeps the end timer
   * from firing before the last requests are due. */
  uv_update_time(&worker->loop);
  uv_timer_start(&worker->end_timer, on_end, (left_ns + 999999) / 1000000 + 1,
                 0);
  if (run->config->rate > 0) {
    arm_timer_fd(worker, run->start_ns > now ? run->start_ns - now : 1);
  } else {
    while (clock_now_ns() < run->start_ns)
      ; /* under a ms: wait so that every loop starts together */
    for (unsigned i = 0; i < worker->conn_count; i++)
      conn_maybe_send(&worker->conns[i]);
  }
  uv_run(&worker->loop, UV_RUN_DEFAULT);
}

static void *worker_main(void *arg) {
  httpload_worker_t *worker = arg;
  httpload_run_state_t *run = worker->run;
  for (unsigned i = 0; i < worker->conn_count; i++) {
    httpload_conn_t *conn = &worker->conns[i];
    conn->worker = worker;
    conn->id = worker->first_conn + i;
    conn->state = CONN_CLOSED;
    conn->connect_req.data = conn;
    conn->write_req.data = conn;
    uv_timer_init(&worker->loop, &conn->timer);
    conn->timer.data = conn;
    conn_connect(conn);
  }
  while (worker->pending_connects > 0)
    uv_run(&worker->loop, UV_RUN_ONCE);
  pthread_mutex_lock(&run->gate);
  run->settled++;
  pthread_cond_broadcast(&run->gate_changed);
  while (!run->decided)
    pthread_cond_wait(&run->gate_changed, &run->gate);
  pthread_mutex_unlock(&run->gate);
  if (run->abort)
    stop_worker(worker);
  else
    run_load(worker);
  uv_run(&worker->loop, UV_RUN_DEFAULT); /* let closes finish */
  return NULL;
}

static void result_merge(httpload_result_t *into,
                         const httpload_result_t *from) {
  hist_merge(&into->latency, &from->latency);
  into->sent += from->sent;
  into->responses += from->responses;
  for (int i = 0; i < 6; i++)
    into->status_class[i] += from->status_class[i];
  for (int i = 0; i < HTTPLOAD_STATUS_LIMIT; i++)
    into->status[i] += from->status[i];
  into->connect_errors += from->connect_errors;
  into->read_errors += from->read_errors;
  into->parse_errors += from->parse_errors;
  into->timeouts += from->timeouts;
  into->unfinished += from->unfinished;
  if (into->first_error == 0)
    into->first_error = from->first_error;
}

/* Builds the fixed parts of the request around the per-request header. */
static int build_request(httpload_run_state_t *run, const char *host) {
  const httpload_config_t *c = run->config;
  const char *method = c->method ? c->method : "GET";
  char length[48] = "";
  if (c->body)
    snprintf(length, sizeof length, "Content-Length: %zu\r\n", strlen(c->body));
  run->prefix = malloc(HTTPLOAD_PREFIX_MAX);
  run->suffix = malloc(strlen(c->body ? c->body : "") + 3);
  if (!run->prefix || !run->suffix)
    return -ENOMEM;
  int n = snprintf(run->prefix, HTTPLOAD_PREFIX_MAX,
                   "%s %s HTTP/1.1\r\nHost: %s:%u\r\n%s%s", method,
                   c->path ? c->path : "/", host, (unsigned)c->port,
                   c->headers ? c->headers : "", length);
  if (n < 0 || n >= HTTPLOAD_PREFIX_MAX)
    return -EINVAL;
  run->prefix_len = (size_t)n;
  run->suffix_len =
      (size_t)sprintf(run->suffix, "\r\n%s", c->body ? c->body : "");
  run->head_only = strcmp(method, "HEAD") == 0;
  return 0;
}

static int check_config(const httpload_config_t *c) {
  if (c->connections == 0 || c->port == 0 || !(c->seconds > 0) ||
      c->warmup_seconds < 0 || c->timeout_seconds < 0 ||
      c->connect_timeout_seconds < 0 || c->seconds + c->warmup_seconds > 1e6)
    return -EINVAL;
  if (c->headers) {
    size_t len = strlen(c->headers);
    if (len > 0 && (len < 2 || strcmp(c->headers + len - 2, "\r\n") != 0))
      return -EINVAL;
  }
  if (c->header_name && (!c->header_value || strlen(c->header_name) == 0 ||
                         strpbrk(c->header_name, ":\r\n") ||
                         strlen(c->header_name) > HTTPLOAD_HEADER_NAME_MAX))
    return -EINVAL;
  return 0;
}

/* Starts the threads, decides the start time once every connection is
 * open, and collects the results. */
static int run_workers(httpload_run_state_t *run, httpload_worker_t *workers,
                       unsigned threads, httpload_result_t *result) {
  unsigned started = 0;
  int rc = 0;
  pthread_mutex_init(&run->gate, NULL);
  pthread_cond_init(&run->gate_changed, NULL);
  for (; started < threads; started++) {
    if (pthread_create(&workers[started].thread, NULL, worker_main,
                       &workers[started]) != 0) {
      rc = -EAGAIN;
      break;
    }
  }
  pthread_mutex_lock(&run->gate);
  while (run->settled < started)
    pthread_cond_wait(&run->gate_changed, &run->gate);
  for (unsigned i = 0; i < started && rc == 0; i++)
    rc = workers[i].result.first_error;
  run->abort = rc != 0;
  run->start_ns = clock_now_ns() + HTTPLOAD_START_MARGIN_NS;
  run->record_ns =
      run->start_ns + (uint64_t)(run->config->warmup_seconds * 1e9);
  run->end_ns = run->record_ns + (uint64_t)(run->config->seconds * 1e9);
  run->decided = true;
  pthread_cond_broadcast(&run->gate_changed);
  pthread_mutex_unlock(&run->gate);
  for (unsigned i = 0; i < started; i++) {
    pthread_join(workers[i].thread, NULL);
    result_merge(result, &workers[i].result);
  }
  pthread_cond_destroy(&run->gate_changed);
  pthread_mutex_destroy(&run->gate);
  return rc;
}

int httpload_run(const httpload_config_t *config, httpload_result_t *result) {
  memset(result, 0, sizeof *result);
  hist_reset(&result->latency);
  int rc = check_config(config);
  if (rc < 0)
    return rc;
  clock_calibrate();
  httpload_run_state_t run = {.config = config,
                              .connections = config->connections};
  const char *host = config->host ? config->host : "127.0.0.1";
  rc = uv_ip4_addr(host, config->port, &run.addr);
  if (rc < 0)
    return -EINVAL;
  run.timeout_ms =
      seconds_to_ms(config->timeout_seconds, HTTPLOAD_DEFAULT_TIMEOUT_S);
  run.connect_timeout_ms = seconds_to_ms(config->connect_timeout_seconds,
                                         HTTPLOAD_DEFAULT_TIMEOUT_S);
  unsigned threads = config->threads ? config->threads : 1;
  if (threads > config->connections)
    threads = config->connections;
  if (threads > HTTPLOAD_MAX_THREADS)
    threads = HTTPLOAD_MAX_THREADS;
  httpload_worker_t *workers = calloc(threads, sizeof *workers);
  httpload_conn_t *conns = calloc(config->connections, sizeof *conns);
  rc = workers && conns ? build_request(&run, host) : -ENOMEM;
  unsigned ready = 0;
  for (; rc == 0 && ready < threads; ready++) {
    httpload_worker_t *w = &workers[ready];
    w->index = ready;
    w->run = &run;
    w->first_conn = (unsigned)((uint64_t)config->connections * ready / threads);
    unsigned next =
        (unsigned)((uint64_t)config->connections * (ready + 1) / threads);
    w->conn_count = next - w->first_conn;
    w->conns = conns + w->first_conn;
    w->pending_connects = w->conn_count;
    hist_reset(&w->result.latency);
    rc = uv_loop_init(&w->loop);
    if (rc == 0) {
      w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
      if (w->timer_fd < 0) {
        rc = -errno;
        uv_loop_close(&w->loop);
      }
    }
  }
  if (rc == 0) {
    rc = run_workers(&run, workers, threads, result);
  } else if (ready > 0) {
    ready--; /* the one that failed owns nothing */
  }
  for (unsigned i = 0; i < ready; i++) {
    uv_loop_close(&workers[i].loop);
    close(workers[i].timer_fd);
  }
  free(run.prefix);
  free(run.suffix);
  free(conns);
  free(workers);
  return rc;
}
