/* test_http.c - the HTTP/1.1 layer answers what it should over real
 * loopback sockets: keep-alive, pipelining in order, limits as 431 / 413,
 * malformed input as 400, idle and back-pressure protection. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"
#include "loop_thread.h"
#include "loopback_client.h"

#define BIG_BODY 1024 /* the body answered to GET /big */

/* Deferred answers held until GET /release; on the loop's thread. */
#define MAX_HELD 16
static http_response_t *held[MAX_HELD];
static int held_count, numbered_count;

/* GET /big: BIG_BODY bytes; POST /echo: the body back; GET /n/<i>: "<i>";
 * /missing: 404; /empty: 204; /slow: deferred until /release, which
 * answers how many it released; /seen: how many /n/ were answered;
 * anything else: "ok". Every answer names the method in X-Method. */
static void test_handler(const http_request_t *req, http_response_t *res,
                         void *data) {
  (void)data;
  http_response_add_header(res, "X-Method", req->method);
  if (strcmp(req->target, "/slow") == 0 && held_count < MAX_HELD) {
    http_response_t *later = http_response_defer(res);
    if (later != NULL)
      held[held_count++] = later;
    else
      http_response_set_status(res, 500);
  } else if (strcmp(req->target, "/release") == 0) {
    int released = 0;
    for (int i = 0; i < held_count; i++) {
      http_response_append(held[i], "slow", 4);
      released += http_response_finish(held[i]) == 0;
    }
    held_count = 0;
    char text[16];
    int n = snprintf(text, sizeof text, "%d", released);
    http_response_append(res, text, (size_t)n);
  } else if (strcmp(req->target, "/seen") == 0) {
    char text[16];
    int n = snprintf(text, sizeof text, "%d", numbered_count);
    http_response_append(res, text, (size_t)n);
  } else if (strcmp(req->target, "/big") == 0) {
    static char big[BIG_BODY];
    memset(big, 'b', sizeof big);
    http_response_append(res, big, sizeof big);
  } else if (strcmp(req->target, "/echo") == 0) {
    http_response_append(res, req->body, req->body_len);
  } else if (strncmp(req->target, "/n/", 3) == 0) {
    numbered_count++;
    http_response_append(res, req->target + 3, req->target_len - 3);
  } else if (strcmp(req->target, "/missing") == 0) {
    http_response_set_status(res, 404);
  } else if (strcmp(req->target, "/empty") == 0) {
    http_response_set_status(res, 204);
  } else {
    http_response_append(res, "ok", 2);
  }
}

/* A server running its own loop in a thread (loop_thread.h). */
typedef struct server {
  loop_thread_t thread;
  http_server_t *http;
} server_t;

/* Starts an HTTP server on a free port, running in its own thread. */
static int server_start(server_t *s, http_config_t config) {
  config.handler = test_handler;
  loop_thread_init(&s->thread);
  int err = http_server_create(&s->http, &s->thread.loop, &config);
  cr_assert_eq(err, 0, "http_server_create returned %s; expected 0",
               uv_strerror(err));
  loop_thread_start(&s->thread);
  return net_server_port(http_server_net(s->http));
}

static void server_stop(server_t *s) {
  net_server_stop(http_server_net(s->http));
  loop_thread_join(&s->thread);
  http_server_destroy(s->http);
  loop_thread_close(&s->thread);
}

static net_stats_t server_stats(server_t *s) {
  net_stats_t stats;
  net_server_stats(http_server_net(s->http), &stats);
  return stats;
}

/* Responses read back from one connection, with what is left over. */
typedef struct reader {
  int fd;
  char buf[256 * 1024];
  size_t len;
  int closed;
} reader_t;

/* One parsed response. */
typedef struct response {
  int status;
  int close; /* Connection: close */
  char head[1024];
  char body[4096];
  size_t body_len;
} response_t;

/* Reads one response within 5 s. Returns 0, or -1 when the connection
 * closed or timed out first. */
static int read_response(reader_t *r, response_t *out) {
  uint64_t deadline = clock_monotonic_ns() + 5000000000ull;
  for (;;) {
    char *end = memmem(r->buf, r->len, "\r\n\r\n", 4);
    if (end) {
      size_t head_len = (size_t)(end - r->buf) + 4;
      size_t copy = head_len < sizeof out->head ? head_len : 0;
      cr_assert(copy, "response head of %zu bytes", head_len);
      memcpy(out->head, r->buf, head_len);
      out->head[head_len] = '\0';
      const char *cl = strcasestr(out->head, "\r\nContent-Length: ");
      int status = atoi(out->head + 9);
      int bodiless = status < 200 || status == 204 || status == 304;
      cr_assert(cl || bodiless, "response without Content-Length: \"%s\"",
                out->head);
      size_t body_len = cl ? strtoul(cl + 18, NULL, 10) : 0;
      cr_assert_lt(body_len, sizeof out->body, "body of %zu bytes", body_len);
      if (r->len >= head_len + body_len) {
        out->status = status;
        out->close = strcasestr(out->head, "\r\nConnection: close\r\n") != 0;
        memcpy(out->body, r->buf + head_len, body_len);
        out->body[body_len] = '\0';
        out->body_len = body_len;
        memmove(r->buf, r->buf + head_len + body_len,
                r->len - head_len - body_len);
        r->len -= head_len + body_len;
        return 0;
      }
    }
    uint64_t now = clock_monotonic_ns();
    if (r->closed || now >= deadline || r->len == sizeof r->buf)
      return -1;
    struct pollfd p = {r->fd, POLLIN, 0};
    if (poll(&p, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
      continue;
    ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
    if (n <= 0)
      r->closed = 1;
    else
      r->len += (size_t)n;
  }
}

static reader_t *reader_open(int port) {
  reader_t *r = calloc(1, sizeof *r);
  r->fd = client_connect(port, 0);
  return r;
}

static void reader_close(reader_t *r) {
  close(r->fd);
  free(r);
}

/* Sends request on a fresh connection and checks the answer's status and
 * that the server closes the connection after it. */
static void expect_refusal(int port, const char *request, size_t len,
                           int status, const char *what) {
  reader_t *r = reader_open(port);
  client_send(r->fd, request, len);
  response_t res;
  cr_assert_eq(read_response(r, &res), 0,
               "%s: expected a %d answer; the "
               "connection closed (or 5 s passed) first",
               what, status);
  cr_assert_eq(res.status, status, "%s: expected status %d, got %d", what,
               status, res.status);
  cr_assert(res.close, "%s: expected Connection: close; got \"%s\"", what,
            res.head);
  cr_assert(client_sees_close(r->fd, 5000),
            "%s: expected the connection closed after the %d", what, status);
  reader_close(r);
}

/* Checks that a fresh connection is still served. */
static void expect_served(int port, const char *after) {
  reader_t *r = reader_open(port);
  const char req[] = "GET /n/7 HTTP/1.1\r\nHost: x\r\n\r\n";
  client_send(r->fd, req, sizeof req - 1);
  response_t res;
  int err = read_response(r, &res);
  cr_assert(err == 0 && res.status == 200 && strcmp(res.body, "7") == 0,
            "a new connection after %s: expected 200 \"7\"; got %s %d \"%s\"",
            after, err ? "no answer" : "status", err ? 0 : res.status,
            err ? "" : res.body);
  reader_close(r);
}

Test(http, keep_alive_serves_several_requests_on_one_connection,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  reader_t *r = reader_open(port);
  for (int i = 0; i < 3; i++) {
    char req[64], want[16];
    int n =
        snprintf(req, sizeof req, "GET /n/%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    snprintf(want, sizeof want, "%d", i);
    client_send(r->fd, req, (size_t)n);
    response_t res;
    cr_assert_eq(read_response(r, &res), 0,
                 "request %d on a kept-alive connection: no answer", i);
    cr_assert(res.status == 200 && strcmp(res.body, want) == 0 && !res.close,
              "request %d: expected 200 \"%s\" keep-alive; got %d \"%s\" %s", i,
              want, res.status, res.body, res.close ? "close" : "");
    cr_assert(strstr(res.head, "\r\nX-Method: GET\r\n"),
              "expected the handler's header; got \"%s\"", res.head);
  }
  net_stats_t st = server_stats(&s);
  cr_assert_eq(st.accepted, 1, "connections: expected 1, got %llu",
               (unsigned long long)st.accepted);
  reader_close(r);
  server_stop(&s);
}

Test(http, hundred_pipelined_requests_are_answered_in_order, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  reader_t *r = reader_open(port);
  static char reqs[100 * 64];
  size_t len = 0;
  for (int i = 0; i < 100; i++)
    len += (size_t)snprintf(reqs + len, sizeof reqs - len,
                            "GET /n/%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
  client_send(r->fd, reqs, len);
  for (int i = 0; i < 100; i++) {
    response_t res;
    cr_assert_eq(read_response(r, &res), 0,
                 "100 requests in one write: answer %d never came", i);
    cr_assert_eq(atoi(res.body), i,
                 "answer %d of 100 pipelined: expected body \"%d\", got "
                 "\"%s\"",
                 i, i, res.body);
  }
  reader_close(r);
  server_stop(&s);
}

Test(http, request_sent_byte_by_byte_is_parsed, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  reader_t *r = reader_open(port);
  const char req[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                     "Content-Length: 5\r\n\r\nhello";
  for (size_t i = 0; i < sizeof req - 1; i++)
    client_send(r->fd, req + i, 1);
  response_t res;
  cr_assert_eq(read_response(r, &res), 0, "no answer to a split request");
  cr_assert(res.status == 200 && strcmp(res.body, "hello") == 0,
            "POST /echo \"hello\" sent byte by byte: expected 200 \"hello\", "
            "got %d \"%s\"",
            res.status, res.body);
  reader_close(r);
  server_stop(&s);
}

Test(http, handler_status_and_head_are_honoured, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  reader_t *r = reader_open(port);
  const char req[] = "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
                     "HEAD /big HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\n";
  client_send(r->fd, req, sizeof req - 1);
  response_t res;
  cr_assert_eq(read_response(r, &res), 0);
  cr_assert_eq(res.status, 404, "GET /missing: expected 404, got %d",
               res.status);
  /* HEAD: Content-Length of the GET, no body; read it by hand. */
  char *end = NULL;
  for (int i = 0; i < 500 && !(end = memmem(r->buf, r->len, "\r\n\r\n", 4));
       i++) {
    ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
    cr_assert_gt(n, 0);
    r->len += (size_t)n;
  }
  cr_assert(end, "no answer to HEAD");
  size_t head_len = (size_t)(end - r->buf) + 4;
  cr_assert(memmem(r->buf, head_len, "Content-Length: 1024\r\n", 22),
            "HEAD /big: expected Content-Length: 1024 in \"%.*s\"",
            (int)head_len, r->buf);
  memmove(r->buf, r->buf + head_len, r->len - head_len);
  r->len -= head_len;
  cr_assert_eq(read_response(r, &res), 0);
  cr_assert(res.status == 200 && strcmp(res.body, "1") == 0,
            "the answer after HEAD: expected 200 \"1\" (no HEAD body in "
            "between), got %d \"%s\"",
            res.status, res.body);
  reader_close(r);
  server_stop(&s);
}

Test(http, connection_close_and_http10_close_after_the_answer, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  const char *requests[] = {
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET / HTTP/1.0\r\n\r\n",
  };
  for (int i = 0; i < 2; i++) {
    reader_t *r = reader_open(port);
    client_send(r->fd, requests[i], strlen(requests[i]));
    response_t res;
    cr_assert_eq(read_response(r, &res), 0, "no answer to %s", requests[i]);
    cr_assert(res.status == 200 && res.close,
              "expected 200 with Connection: close; got \"%s\"", res.head);
    cr_assert(client_sees_close(r->fd, 5000),
              "expected the connection closed after the answer");
    reader_close(r);
  }
  reader_t *r = reader_open(port);
  const char keep[] = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  client_send(r->fd, keep, sizeof keep - 1);
  response_t res;
  cr_assert_eq(read_response(r, &res), 0);
  cr_assert(!res.close,
            "HTTP/1.0 asking keep-alive: expected keep-alive; "
            "got \"%s\"",
            res.head);
  reader_close(r);
  server_stop(&s);
}

Test(http, malformed_request_gets_400_and_the_next_connection_is_served,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  const char *bad[] = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\nHost x\r\n\r\n",
      "GET / HTTP/9.9.9\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    expect_refusal(port, bad[i], strlen(bad[i]), 400, bad[i]);
  expect_served(port, "malformed requests");
  server_stop(&s);
}

Test(http, random_bytes_never_crash_or_hang_the_server, .timeout = 60) {
  static server_t s;
  int port = server_start(&s, (http_config_t){.net.idle_timeout_ms = 200});
  unsigned seed = 42;
  for (int i = 0; i < 50; i++) {
    char junk[512];
    size_t len = 1 + (size_t)(rand_r(&seed) % sizeof junk);
    for (size_t j = 0; j < len; j++)
      junk[j] = (char)rand_r(&seed);
    int fd = client_connect(port, 0);
    client_send(fd, junk, len);
    cr_assert(client_sees_close(fd, 5000),
              "random input %d (%zu bytes, seed 42): expected an answer and "
              "close, or the idle close; still open after 5 s",
              i, len);
    close(fd);
  }
  expect_served(port, "50 random inputs (seed 42)");
  server_stop(&s);
}

Test(http, oversized_headers_get_431, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  static char req[16 * 1024];
  int n =
      snprintf(req, sizeof req, "GET / HTTP/1.1\r\nX-Big: %09000d\r\n\r\n", 0);
  expect_refusal(port, req, (size_t)n, 431, "a 9000-byte header (limit 8 KiB)");
  n = snprintf(req, sizeof req, "GET /%09000d HTTP/1.1\r\n\r\n", 0);
  expect_refusal(port, req, (size_t)n, 431, "a 9000-byte target (limit 8 KiB)");
  expect_served(port, "oversized headers");
  server_stop(&s);
}

Test(http, too_many_headers_get_431, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  static char req[8 * 1024];
  size_t len = (size_t)snprintf(req, sizeof req, "GET / HTTP/1.1\r\n");
  for (int i = 0; i < 65; i++)
    len += (size_t)snprintf(req + len, sizeof req - len, "X-%d: v\r\n", i);
  len += (size_t)snprintf(req + len, sizeof req - len, "\r\n");
  expect_refusal(port, req, len, 431, "65 headers (limit 64)");
  len = (size_t)snprintf(req, sizeof req, "GET /n/64 HTTP/1.1\r\n");
  for (int i = 0; i < 64; i++)
    len += (size_t)snprintf(req + len, sizeof req - len, "X-%d: v\r\n", i);
  len += (size_t)snprintf(req + len, sizeof req - len, "\r\n");
  reader_t *r = reader_open(port);
  client_send(r->fd, req, len);
  response_t res;
  cr_assert(read_response(r, &res) == 0 && res.status == 200,
            "64 headers (the limit): expected 200");
  reader_close(r);
  server_stop(&s);
}

Test(http, oversized_body_gets_413, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  char req[256];
  int n = snprintf(req, sizeof req,
                   "POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\nxxxx",
                   2 * 1024 * 1024);
  expect_refusal(port, req, (size_t)n, 413,
                 "Content-Length 2 MiB (limit 1 MiB)");
  /* A chunked body is counted as it arrives. */
  static server_t small;
  int small_port = server_start(&small, (http_config_t){.max_body_bytes = 8});
  const char chunked[] = "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked"
                         "\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
  expect_refusal(small_port, chunked, sizeof chunked - 1, 413,
                 "a chunked body of 10 bytes (limit 8)");
  server_stop(&small);
  expect_served(port, "an oversized body");
  server_stop(&s);
}

Test(http, half_a_request_then_silence_is_closed_after_idle_timeout,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){.net.idle_timeout_ms = 200});
  int fd = client_connect(port, 0);
  client_send(fd, "GET / HTTP/1.1\r\nHo", 18);
  cr_assert(client_sees_close(fd, 5000),
            "half a request then silence, idle timeout 200 ms: expected the "
            "connection closed; still open after 5 s");
  net_stats_t st = server_stats(&s);
  cr_assert_eq(st.idle_closed, 1, "idle_closed: expected 1, got %llu",
               (unsigned long long)st.idle_closed);
  close(fd);
  server_stop(&s);
}

Test(http, client_that_never_reads_makes_the_server_stop_reading,
     .timeout = 60) {
  static server_t s;
  size_t limit = 64 * 1024;
  int port = server_start(&s, (http_config_t){.net.max_pending_bytes = limit});
  int fd = client_connect(port, 4096);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  static const char req[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  const size_t req_len = sizeof req - 1;
  size_t sent = 0, max = 20000 * req_len;
  uint64_t deadline = clock_monotonic_ns() + 10000000000ull;
  uint64_t push_until = 0; /* once the server stopped, push 200 ms more */
  while (clock_monotonic_ns() < deadline &&
         (!push_until || clock_monotonic_ns() < push_until)) {
    ssize_t n = -1;
    if (sent < max)
      n = send(fd, req + sent % req_len, req_len - sent % req_len,
               MSG_NOSIGNAL);
    if (n > 0)
      sent += (size_t)n;
    else
      sleep_ms(1);
    if (!push_until && server_stats(&s).read_pauses > 0)
      push_until = clock_monotonic_ns() + 200000000;
  }
  net_stats_t st = server_stats(&s);
  size_t requests = (sent + req_len - 1) / req_len;
  cr_assert_geq(st.read_pauses, 1,
                "after %zu pipelined requests never read: expected the "
                "server to stop reading; it never did",
                requests);
  /* One response: the head (under 128 bytes) and the body. */
  size_t one = BIG_BODY + 128;
  cr_assert_leq(st.pending_high, limit + one,
                "bytes pending on one connection: expected at most the limit "
                "%zu plus one response (%zu), got %zu",
                limit, one, st.pending_high);
  cr_assert_leq(st.input_high, NET_READ_BYTES,
                "unparsed input held for one connection: expected at most "
                "one read (%d), got %zu",
                NET_READ_BYTES, st.input_high);
  /* Once the client reads, every request is answered. */
  static const char head[] = "HTTP/1.1 200 OK\r\nX-Method: GET\r\n"
                             "Content-Length: 1024\r\n"
                             "Connection: keep-alive\r\n\r\n";
  size_t want = requests * (sizeof head - 1 + BIG_BODY);
  size_t got = client_finish_and_drain(fd, req, req_len, sent, want, 30000);
  cr_assert_eq(got, want,
               "%zu requests pipelined: expected %zu response bytes once the "
               "client read, got %zu",
               requests, want, got);
  close(fd);
  server_stop(&s);
}

Test(http, no_content_and_interim_answers_carry_no_content_length,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  reader_t *r = reader_open(port);
  const char req[] = "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /n/2 HTTP/1.1\r\nHost: x\r\n\r\n";
  client_send(r->fd, req, sizeof req - 1);
  response_t res;
  cr_assert_eq(read_response(r, &res), 0);
  cr_assert_eq(res.status, 204, "GET /empty: expected 204, got %d", res.status);
  cr_assert(strcasestr(res.head, "Content-Length") == NULL,
            "a 204 must not carry Content-Length (RFC 9110, 8.6); got "
            "\"%s\"",
            res.head);
  cr_assert_eq(read_response(r, &res), 0);
  cr_assert(res.status == 200 && strcmp(res.body, "2") == 0,
            "the answer after the 204: expected 200 \"2\", got %d \"%s\"",
            res.status, res.body);
  reader_close(r);
  server_stop(&s);
}

Test(http, expect_100_continue_gets_the_interim_answer_first, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  reader_t *r = reader_open(port);
  const char head[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                      "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  client_send(r->fd, head, sizeof head - 1);
  response_t res;
  cr_assert_eq(read_response(r, &res), 0,
               "Expect: 100-continue: expected \"100 Continue\" before the "
               "body was sent; got nothing within 5 s");
  cr_assert_eq(res.status, 100, "Expect: 100-continue: expected 100, got %d",
               res.status);
  client_send(r->fd, "hello", 5);
  cr_assert_eq(read_response(r, &res), 0);
  cr_assert(res.status == 200 && strcmp(res.body, "hello") == 0,
            "after 100 Continue and the body: expected 200 \"hello\", got "
            "%d \"%s\"",
            res.status, res.body);
  reader_close(r);
  const char other[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                       "Expect: something-else\r\nContent-Length: 5\r\n\r\n";
  expect_refusal(port, other, sizeof other - 1, 417,
                 "an expectation the server cannot meet");
  expect_served(port, "a 417");
  server_stop(&s);
}

Test(http, a_deferred_answer_keeps_its_place_while_others_are_served,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (http_config_t){0});
  reader_t *a = reader_open(port);
  const char pipeline[] = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /n/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /n/2 HTTP/1.1\r\nHost: x\r\n\r\n";
  cr_assert_eq(send(a->fd, pipeline, sizeof pipeline - 1, 0),
               (ssize_t)(sizeof pipeline - 1));
  /* Another connection is answered while A waits, until the server has
   * handled both of A's later requests. */
  response_t res;
  int seen = -1;
  uint64_t deadline = clock_monotonic_ns() + 5000000000ull;
  while (seen != 2 && clock_monotonic_ns() < deadline) {
    reader_t *b = reader_open(port);
    const char ask[] = "GET /seen HTTP/1.1\r\nHost: x\r\n\r\n";
    send(b->fd, ask, sizeof ask - 1, 0);
    cr_assert_eq(read_response(b, &res), 0,
                 "a second connection should be answered while A's first "
                 "request is deferred");
    seen = atoi(res.body);
    close(b->fd);
    free(b);
    if (seen != 2)
      sleep_ms(5);
  }
  cr_assert_eq(seen, 2,
               "the server should have handled A's /n/1 and /n/2 "
               "(their answers waiting behind /slow); it says %d",
               seen);
  char early[64];
  cr_assert_eq(recv(a->fd, early, sizeof early, MSG_DONTWAIT), -1,
               "A's first request is deferred: nothing may reach A before "
               "its answer");
  reader_t *c = reader_open(port);
  const char release[] = "GET /release HTTP/1.1\r\nHost: x\r\n\r\n";
  send(c->fd, release, sizeof release - 1, 0);
  cr_assert(read_response(c, &res) == 0 && strcmp(res.body, "1") == 0,
            "/release should answer the one deferred /slow");
  const char *want[] = {"slow", "1", "2"};
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(read_response(a, &res), 0, "A's answer %d of 3 is missing",
                 i + 1);
    cr_assert(res.status == 200 && strcmp(res.body, want[i]) == 0,
              "A's answer %d should be 200 \"%s\" (the order asked), got "
              "%d \"%s\"",
              i + 1, want[i], res.status, res.body);
  }
  close(a->fd);
  close(c->fd);
  free(a);
  free(c);
  server_stop(&s);
}
