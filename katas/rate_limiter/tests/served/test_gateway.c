/* test_gateway.c - sdkata serve end to end: the real binary serves the rate
 * limiter on a free port, and a client speaks HTTP/1.1 to it over real
 * sockets: decisions, RateLimit fields, bad requests, pipelining, several
 * clients at once, and a clean stop on SIGTERM; against a reference, the
 * baseline, and a learner's .c file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "serve_child.h"

/* The most any one answer, or the server's start, may take. */
#define WAIT_MS 20000
/* The limit under test, and a window of ten years: fixed windows are
 * aligned to multiples of W on the server's monotonic clock, so with W
 * longer than any uptime every request of a test falls in one window and
 * no boundary refills a quota halfway through an assertion. */
#define LIMIT 3
#define WINDOW_SECONDS "315360000"
#define POLICY "\"default\";q=3;w=" WINDOW_SECONDS
#define THREADS 4
#define PER_THREAD 6
#define PIPELINED 20

static serve_child_t server = {-1, -1, 0, ""};

static uint64_t now_ms(void) {
  return clock_monotonic_ns() / 1000000;
}

/* Kills the server if a test left it running (a failed assertion). */
static void stop_server(void) {
  serve_child_kill(&server);
}

/* Starts sdkata serve with impl on a free port. */
static void start_server(const char *impl) {
  const char *const args[] = {
      "rate_limiter", "--impl", impl,       "--port",       "0",
      "--limit",      "3",      "--window", WINDOW_SECONDS, NULL};
  serve_child_start(&server, args, "http", WAIT_MS);
}

/* A connection to the server with what it has sent and not yet parsed. */
typedef struct client {
  int fd;
  size_t len;
  char buf[64 * 1024];
} client_t;

/* One parsed answer; the fields hold "" when absent. */
typedef struct response {
  int status;
  char policy[128];
  char ratelimit[128];
  char retry_after[32];
  char body[256];
} response_t;

/* Connects; returns 0 or -1 (threads use it too: no assertions here). */
static int client_open(client_t *client) {
  client->len = 0;
  client->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (client->fd < 0)
    return -1;
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)server.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  return connect(client->fd, (struct sockaddr *)&addr, sizeof addr);
}

static void client_close(client_t *client) {
  if (client->fd >= 0)
    close(client->fd);
  client->fd = -1;
}

static int client_send(client_t *client, const char *bytes, size_t len) {
  while (len > 0) {
    ssize_t n = send(client->fd, bytes, len, MSG_NOSIGNAL);
    if (n <= 0)
      return -1;
    bytes += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Copies header name's value out of the head [head, end) into out. */
static void find_header(const char *head, const char *end, const char *name,
                        char *out, size_t size) {
  out[0] = '\0';
  size_t name_len = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line && line < end;
       line = strstr(line + 2, "\r\n")) {
    const char *start = line + 2;
    if (strncasecmp(start, name, name_len) != 0 || start[name_len] != ':')
      continue;
    const char *value = start + name_len + 1;
    while (*value == ' ')
      value++;
    const char *stop = strstr(value, "\r\n");
    snprintf(out, size, "%.*s", (int)(stop - value), value);
    return;
  }
}

/* Reads one whole answer within WAIT_MS. Returns 0, -1 on a timeout, -2
 * when the server closed first, -3 for an answer that is not HTTP. */
static int client_read(client_t *client, response_t *response) {
  uint64_t deadline = now_ms() + WAIT_MS;
  for (;;) {
    client->buf[client->len] = '\0';
    char *end = strstr(client->buf, "\r\n\r\n");
    if (end != NULL) {
      char length[32];
      find_header(client->buf, end, "Content-Length", length, sizeof length);
      size_t head = (size_t)(end + 4 - client->buf);
      size_t body = (size_t)atol(length);
      if (sscanf(client->buf, "HTTP/1.1 %d", &response->status) != 1 ||
          head + body >= sizeof client->buf)
        return -3;
      if (client->len >= head + body) {
        find_header(client->buf, end, "RateLimit-Policy", response->policy,
                    sizeof response->policy);
        find_header(client->buf, end, "RateLimit", response->ratelimit,
                    sizeof response->ratelimit);
        find_header(client->buf, end, "Retry-After", response->retry_after,
                    sizeof response->retry_after);
        snprintf(response->body, sizeof response->body, "%.*s", (int)body,
                 client->buf + head);
        client->len -= head + body;
        memmove(client->buf, client->buf + head + body, client->len);
        return 0;
      }
    }
    uint64_t now = now_ms();
    if (now >= deadline)
      return -1;
    struct pollfd p = {client->fd, POLLIN, 0};
    if (poll(&p, 1, (int)(deadline - now)) <= 0)
      continue;
    ssize_t n = recv(client->fd, client->buf + client->len,
                     sizeof client->buf - 1 - client->len, 0);
    if (n <= 0)
      return -2;
    client->len += (size_t)n;
  }
}

/* A GET for target as client id (NULL: no X-Client-Id header). */
static int request_text(char *buf, size_t size, const char *target,
                        const char *id) {
  return snprintf(buf, size, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s\r\n",
                  target, id ? "X-Client-Id: " : "", id ? id : "",
                  id ? "\r\n" : "");
}

/* Sends one GET and reads its answer; any failure fails the test. */
static response_t get(client_t *client, const char *target, const char *id) {
  char request[4096];
  int len = request_text(request, sizeof request, target, id);
  cr_assert_eq(client_send(client, request, (size_t)len), 0,
               "GET %s: expected to send it; got %s", target, strerror(errno));
  response_t response;
  int rc = client_read(client, &response);
  cr_assert_eq(rc, 0, "GET %s: expected an answer within %d ms; got %s", target,
               WAIT_MS,
               rc == -1   ? "none (timeout)"
               : rc == -2 ? "the connection closed"
                          : "something that is not HTTP/1.1");
  return response;
}

/* The r parameter of a RateLimit value, or -1. */
static long remaining_of(const response_t *response) {
  const char *r = strstr(response->ratelimit, ";r=");
  return r ? atol(r + 3) : -1;
}

/* The t parameter of a RateLimit value, or -1 when it has none. */
static long reset_of(const response_t *response) {
  const char *t = strstr(response->ratelimit, ";t=");
  return t ? atol(t + 3) : -1;
}

static void assert_allowed(const response_t *response, const char *what,
                           long remaining) {
  cr_assert_eq(response->status, 200, "%s: expected 200; got %d (%s)", what,
               response->status, response->body);
  cr_assert_str_eq(response->body, "ok\n",
                   "%s: expected body \"ok\\n\"; got \"%s\"", what,
                   response->body);
  cr_assert_str_eq(response->policy, POLICY,
                   "%s: expected RateLimit-Policy %s; got \"%s\"", what, POLICY,
                   response->policy);
  cr_assert(strncmp(response->ratelimit, "\"default\";", 10) == 0 &&
                remaining_of(response) == remaining,
            "%s: expected RateLimit \"default\";r=%ld...; got \"%s\"", what,
            remaining, response->ratelimit);
  cr_assert_str_eq(response->retry_after, "",
                   "%s: expected no Retry-After on a 200; got \"%s\"", what,
                   response->retry_after);
}

static void assert_limited(const response_t *response, const char *what) {
  cr_assert_eq(response->status, 429, "%s: expected 429; got %d (%s)", what,
               response->status, response->body);
  cr_assert_str_eq(response->body, "rate limited\n",
                   "%s: expected body \"rate limited\\n\"; got \"%s\"", what,
                   response->body);
  long retry = atol(response->retry_after);
  cr_assert_geq(retry, 1, "%s: expected Retry-After >= 1; got \"%s\"", what,
                response->retry_after);
  cr_assert_str_eq(response->policy, POLICY,
                   "%s: expected RateLimit-Policy %s; got \"%s\"", what, POLICY,
                   response->policy);
  cr_assert(remaining_of(response) == 0 && reset_of(response) == retry,
            "%s: expected RateLimit \"default\";r=0;t=%ld (t as "
            "Retry-After); got \"%s\"",
            what, retry, response->ratelimit);
}

/* What every implementation must do: the limit per client, clients apart,
 * both ways of naming one, the 400 without one, and /healthz. */
static void assert_core(void) {
  client_t client;
  cr_assert_eq(client_open(&client), 0, "connect to port %d: %s", server.port,
               strerror(errno));
  for (long i = 0; i < LIMIT; i++) {
    char what[64];
    snprintf(what, sizeof what, "request %ld for client a", i + 1);
    response_t response = get(&client, "/", "a");
    assert_allowed(&response, what, LIMIT - 1 - i);
  }
  response_t response = get(&client, "/", "a");
  assert_limited(&response, "request 4 for client a");
  response = get(&client, "/some/path", "b");
  assert_allowed(&response, "request 1 for client b (a is limited)", 2);
  response = get(&client, "/?x=1&key=c", NULL);
  assert_allowed(&response, "request 1 for ?key=c", 2);
  response = get(&client, "/?key=c", NULL);
  assert_allowed(&response, "request 2 for ?key=c", 1);
  response = get(&client, "/", NULL);
  cr_assert_eq(response.status, 400,
               "no X-Client-Id and no ?key=: expected 400; got %d (%s)",
               response.status, response.body);
  cr_assert(strstr(response.body, "client id") != NULL,
            "the 400 should say the client id is missing; got \"%s\"",
            response.body);
  for (int i = 0; i < LIMIT + 2; i++) {
    response = get(&client, "/healthz", NULL);
    cr_assert_eq(response.status, 200, "GET /healthz %d: expected 200; got %d",
                 i + 1, response.status);
  }
  client_close(&client);
}

/* SIGTERM: the server stops and exits 0 within 2 s. */
static void assert_stops_on_sigterm(void) {
  cr_assert_eq(kill(server.pid, SIGTERM), 0, "kill: %s", strerror(errno));
  /* Generous: stopping may include stopping a redis-server it started. */
  uint64_t deadline = now_ms() + 5000;
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(server.pid, &status, WNOHANG)) == 0 &&
         now_ms() < deadline) {
    struct timespec tick = {0, 10000000};
    nanosleep(&tick, NULL);
  }
  cr_assert_eq(done, server.pid,
               "after SIGTERM: expected sdkata serve to exit within 5 s; it "
               "is still running");
  server.pid = -1;
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "after SIGTERM: expected exit status 0; got %s %d",
            WIFEXITED(status) ? "exit status" : "signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* One client thread: its own connection and key, requests one after the
 * other; statuses[i] is the status or a negative client_read code. */
typedef struct worker {
  pthread_t thread;
  pthread_barrier_t *start;
  char key[16];
  int statuses[PER_THREAD];
} worker_t;

static void *worker_run(void *arg) {
  worker_t *worker = arg;
  client_t *client = malloc(sizeof *client);
  int opened = client != NULL && client_open(client) == 0;
  pthread_barrier_wait(worker->start);
  for (int i = 0; i < PER_THREAD; i++) {
    char request[256];
    int len = request_text(request, sizeof request, "/", worker->key);
    response_t response;
    if (!opened || client_send(client, request, (size_t)len) != 0)
      worker->statuses[i] = -4;
    else if ((worker->statuses[i] = client_read(client, &response)) == 0)
      worker->statuses[i] = response.status;
  }
  if (client != NULL)
    client_close(client);
  free(client);
  return NULL;
}

static void assert_concurrent_clients(void) {
  worker_t workers[THREADS];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, THREADS);
  for (int t = 0; t < THREADS; t++) {
    workers[t].start = &start;
    snprintf(workers[t].key, sizeof workers[t].key, "thread-%d", t);
    cr_assert_eq(
        pthread_create(&workers[t].thread, NULL, worker_run, &workers[t]), 0,
        "pthread_create failed");
  }
  for (int t = 0; t < THREADS; t++)
    pthread_join(workers[t].thread, NULL);
  pthread_barrier_destroy(&start);
  for (int t = 0; t < THREADS; t++)
    for (int i = 0; i < PER_THREAD; i++) {
      int expected = i < LIMIT ? 200 : 429;
      cr_assert_eq(workers[t].statuses[i], expected,
                   "concurrent client %s, request %d: expected %d; got %d "
                   "(negative: no answer)",
                   workers[t].key, i + 1, expected, workers[t].statuses[i]);
    }
}

static void assert_pipelined_in_order(void) {
  client_t client;
  cr_assert_eq(client_open(&client), 0, "connect: %s", strerror(errno));
  char requests[PIPELINED * 128];
  size_t len = 0;
  /* Request i is for key p<i/4>: each group of four answers 200 r=2,
   * 200 r=1, 200 r=0, 429, so an answer out of place shows. */
  for (int i = 0; i < PIPELINED; i++) {
    char key[16];
    snprintf(key, sizeof key, "p%d", i / 4);
    len +=
        (size_t)request_text(requests + len, sizeof requests - len, "/", key);
  }
  cr_assert_eq(client_send(&client, requests, len), 0,
               "expected to send %d pipelined requests", PIPELINED);
  for (int i = 0; i < PIPELINED; i++) {
    response_t response;
    int rc = client_read(&client, &response);
    cr_assert_eq(rc, 0, "pipelined answer %d: expected one; got code %d", i + 1,
                 rc);
    char what[64];
    snprintf(what, sizeof what, "pipelined answer %d (key p%d)", i + 1, i / 4);
    if (i % 4 < LIMIT)
      assert_allowed(&response, what, LIMIT - 1 - i % 4);
    else
      assert_limited(&response, what);
  }
  client_close(&client);
}

static void assert_bad_requests(void) {
  client_t client;
  cr_assert_eq(client_open(&client), 0, "connect: %s", strerror(errno));
  const char *garbage = "THIS IS NOT HTTP\r\n\r\n";
  cr_assert_eq(client_send(&client, garbage, strlen(garbage)), 0,
               "expected to send a malformed request");
  response_t response;
  int rc = client_read(&client, &response);
  cr_assert(rc == 0 && response.status == 400,
            "malformed request: expected 400; got %s %d",
            rc == 0 ? "status" : "no answer, code",
            rc == 0 ? response.status : rc);
  client_close(&client);

  cr_assert_eq(client_open(&client), 0,
               "after a malformed request: expected a new connection; got %s",
               strerror(errno));
  response = get(&client, "/healthz", NULL);
  cr_assert_eq(response.status, 200,
               "after a malformed request: expected /healthz 200; got %d",
               response.status);
  char long_key[1026], target[1100];
  memset(long_key, 'k', 1025);
  long_key[1025] = '\0';
  response = get(&client, "/", long_key);
  cr_assert_eq(response.status, 400,
               "X-Client-Id of 1025 bytes: expected 400; got %d",
               response.status);
  snprintf(target, sizeof target, "/?key=%s", long_key);
  response = get(&client, target, NULL);
  cr_assert_eq(response.status, 400,
               "?key= of 1025 bytes: expected 400; got %d", response.status);
  long_key[1024] = '\0';
  response = get(&client, "/", long_key);
  assert_allowed(&response, "X-Client-Id of 1024 bytes", 2);
  client_close(&client);
}

Test(serve, a_reference_answers_over_http, .fini = stop_server,
     .timeout = 120) {
  start_server("fixed_window");
  assert_core();
  assert_bad_requests();
  assert_pipelined_in_order();
  assert_concurrent_clients();
  assert_stops_on_sigterm();
}

/* A learner's file, compiled from its .c by sdkata as `check` compiles it:
 * $SDKATA_SERVE_IMPL (`make kata=rate_limiter serve-check` sets it to
 * solution.c or impl=), else a reference's source, so that make test covers
 * the path a learner's file takes. Needs stage 1, the fixed window. */
Test(serve, a_learners_file_answers_over_http, .fini = stop_server,
     .timeout = 120) {
  const char *impl = getenv("SDKATA_SERVE_IMPL");
  if (impl == NULL || impl[0] == '\0')
    impl = SDKATA_SOURCE_DIR "/katas/rate_limiter/reference/fixed_window.c";
  start_server(impl);
  assert_core();
  assert_bad_requests();
  assert_pipelined_in_order();
  assert_concurrent_clients();
  assert_stops_on_sigterm();
}

Test(serve, the_naive_baseline_answers_the_same, .fini = stop_server,
     .timeout = 120) {
  start_server("naive");
  assert_core();
  assert_stops_on_sigterm();
}

/* Reads the server's output (stdout and stderr) until it holds every one
 * of the words, for at most WAIT_MS; returns what was read. */
static const char *server_says(const char *first, const char *second) {
  static char seen[8192];
  static size_t len;
  uint64_t deadline = now_ms() + WAIT_MS;
  while (!(strstr(seen, first) && strstr(seen, second)) &&
         len < sizeof seen - 1 && now_ms() < deadline) {
    struct pollfd p = {server.output, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0)
      continue;
    ssize_t n = read(server.output, seen + len, sizeof seen - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
    seen[len] = '\0';
  }
  return seen;
}

/* GET /healthz on a fresh connection, retried while the server restarts. */
static void assert_serving_again(const char *after) {
  uint64_t deadline = now_ms() + WAIT_MS;
  for (;;) {
    client_t client;
    response_t response;
    int rc = client_open(&client);
    if (rc == 0) {
      const char request[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
      rc = client_send(&client, request, sizeof request - 1);
      if (rc == 0)
        rc = client_read(&client, &response);
      client_close(&client);
      if (rc == 0 && response.status == 200)
        return;
    }
    cr_assert(now_ms() < deadline,
              "after %s: expected the server started again and answering "
              "/healthz within %d ms",
              after, WAIT_MS);
    usleep(50000);
  }
}

/* A request that crashes (or hangs) the served file gets no answer, the
 * server says which request did it, and then serves again. */
static void assert_contained(const char *fixture, const char *words) {
  char path[512];
  snprintf(path, sizeof path,
           SDKATA_BUILD_DIR "/plugins/rate_limiter/containment/%s.so", fixture);
  start_server(path);
  client_t client;
  cr_assert_eq(client_open(&client), 0, "connect: %s", strerror(errno));
  char request[256];
  int len = request_text(request, sizeof request, "/", "victim");
  cr_assert_eq(client_send(&client, request, (size_t)len), 0);
  response_t response;
  int rc = client_read(&client, &response);
  cr_assert(rc == -2,
            "GET / on a file that %s: expected the connection "
            "closed without an answer; got %s",
            words, rc == 0 ? "an answer" : "a timeout");
  client_close(&client);
  const char *said = server_says(words, words);
  cr_assert(strstr(said, words) != NULL,
            "expected the server to say that impl %s %s; it said:\n%s", fixture,
            words, said);
  assert_serving_again(words);
  assert_stops_on_sigterm();
}

Test(serve, a_crash_is_named_and_the_server_comes_back, .fini = stop_server,
     .timeout = 120) {
  /* A signal in the plain build, a sanitizer's exit in the other. */
  assert_contained("crash", "while answering GET /");
}

Test(serve, a_hang_is_named_and_the_server_comes_back, .fini = stop_server,
     .timeout = 120) {
  assert_contained("hang", "did not answer GET /");
}

/* The status of one GET / for client id on the gateway at port. */
static int status_on(int port, const char *id) {
  int saved = server.port;
  server.port = port;
  client_t client;
  int rc = client_open(&client);
  server.port = saved;
  cr_assert_eq(rc, 0, "connect to port %d: %s", port, strerror(errno));
  response_t response = get(&client, "/", id);
  client_close(&client);
  return response.status;
}

static serve_child_t second = {-1, -1, 0, ""};

static void stop_both(void) {
  serve_child_kill(&second);
  stop_server();
}

/* Stage 7 served: the first gateway starts a redis-server of its own, the
 * second is pointed at it, and requests alternating between them share
 * one limit; when the first stops (its Redis with it), the second fails
 * closed with 503. */
Test(serve, two_gateways_on_one_redis_share_one_limit, .fini = stop_both,
     .timeout = 120) {
  const char *const first_args[] = {
      "rate_limiter", "--impl",  "redis_gcra", "--algorithm",
      "redis",        "--limit", "3",          "--window",
      "60",           "--port",  "0",          NULL};
  serve_child_start(&server, first_args, "http", WAIT_MS);
  const char *at = strstr(server.said, "redis=127.0.0.1:");
  cr_assert_not_null(at,
                     "expected the first gateway to say where its Redis "
                     "listens (redis=127.0.0.1:PORT); it said:\n%s",
                     server.said);
  char address[64];
  snprintf(address, sizeof address, "127.0.0.1:%d",
           atoi(at + strlen("redis=127.0.0.1:")));
  const char *const second_args[] = {
      "rate_limiter", "--impl", "redis_gcra", "--algorithm", "redis",
      "--limit",      "3",      "--window",   "60",          "--redis",
      address,        "--port", "0",          NULL};
  serve_child_start(&second, second_args, "http", WAIT_MS);
  int allowed = 0;
  for (int i = 0; i < 8; i++) {
    int status = status_on(i % 2 ? second.port : server.port, "shared");
    cr_assert(status == 200 || status == 429,
              "request %d: expected 200 or 429; got %d", i + 1, status);
    allowed += status == 200;
  }
  cr_assert_eq(allowed, 3,
               "8 requests for one client alternating between two gateways "
               "on one Redis, limit 3 per 60 s: expected exactly 3 allowed "
               "in all; got %d",
               allowed);
  assert_stops_on_sigterm(); /* the first, and the Redis it started */
  cr_assert_eq(status_on(second.port, "after"), 503,
               "with its Redis gone, the second gateway (fail_open 0) should "
               "fail closed with 503");
}
