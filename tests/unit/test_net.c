/* test_net.c - the TCP server base keeps its promises over real loopback
 * sockets: ordered replies, connection cap, idle timeout, shutdown,
 * back-pressure. The protocol under it is a toy: one reply per line. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "loop_thread.h"
#include "loopback_client.h"
#include "net.h"

#define BIG_REPLY 1024 /* the reply to a "big" line */

/* Replies to each complete line: "big" gets BIG_REPLY bytes, "bye" closes,
 * anything else is echoed. Stops at a partial line or when congested. */
static ssize_t line_on_data(net_conn_t *conn, const char *bytes, size_t len) {
  static char big[BIG_REPLY];
  size_t used = 0;
  while (used < len && !net_conn_congested(conn)) {
    const char *nl = memchr(bytes + used, '\n', len - used);
    if (!nl)
      break;
    size_t line = (size_t)(nl - (bytes + used)) + 1;
    if (line == 4 && memcmp(bytes + used, "bye\n", 4) == 0) {
      net_conn_send(conn, "bye\n", 4);
      return -1;
    }
    if (line == 4 && memcmp(bytes + used, "big\n", 4) == 0) {
      memset(big, 'b', sizeof big - 1);
      big[sizeof big - 1] = '\n';
      net_conn_send(conn, big, sizeof big);
    } else {
      net_conn_send(conn, bytes + used, line);
    }
    used += line;
  }
  return (ssize_t)used;
}

static const net_protocol_t line_protocol = {NULL, line_on_data, NULL};

/* A server running its own loop in a thread (loop_thread.h). */
typedef struct server {
  loop_thread_t thread;
  net_server_t *net;
} server_t;

static void server_start(server_t *s, const net_config_t *config) {
  loop_thread_init(&s->thread);
  int err =
      net_server_create(&s->net, &s->thread.loop, config, &line_protocol, NULL);
  cr_assert_eq(err, 0, "net_server_create returned %s; expected 0",
               uv_strerror(err));
  cr_assert_gt(net_server_port(s->net), 0, "port %d; expected one picked",
               net_server_port(s->net));
  loop_thread_start(&s->thread);
}

/* Waits for the loop's thread: uv_run must return after a stop. */
static void server_join(server_t *s) {
  loop_thread_join(&s->thread);
  net_server_destroy(s->net);
  loop_thread_close(&s->thread);
}

static void server_stop(server_t *s) {
  net_server_stop(s->net);
  server_join(s);
}

static net_stats_t server_stats(server_t *s) {
  net_stats_t stats;
  net_server_stats(s->net, &stats);
  return stats;
}

/* Sends line and checks that it comes back. */
static void expect_echo(int fd, const char *line, const char *who) {
  char buf[256];
  size_t len = strlen(line);
  client_send(fd, line, len);
  size_t got = client_recv(fd, buf, len, 5000);
  cr_assert(got == len && memcmp(buf, line, len) == 0,
            "%s: sent \"%.*s\", expected it echoed; got %zu bytes \"%.*s\"",
            who, (int)len - 1, line, got, (int)got, buf);
}

Test(net, pipelined_lines_are_answered_in_order, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){0});
  int fd = client_connect(net_server_port(s.net), 0);
  char sent[4096], got[4096];
  size_t len = 0;
  for (int i = 0; i < 100; i++)
    len += (size_t)snprintf(sent + len, sizeof sent - len, "line %d\n", i);
  client_send(fd, sent, len);
  size_t n = client_recv(fd, got, len, 5000);
  cr_assert_eq(n, len,
               "100 pipelined lines (%zu bytes): expected %zu bytes "
               "back, got %zu",
               len, len, n);
  cr_assert(memcmp(got, sent, len) == 0,
            "replies out of order: expected \"%.40s...\", got \"%.40s...\"",
            sent, got);
  close(fd);
  server_stop(&s);
}

Test(net, busy_port_is_reported_as_eaddrinuse, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){0});
  uv_loop_t loop;
  cr_assert_eq(uv_loop_init(&loop), 0);
  net_server_t *second = NULL;
  int port = net_server_port(s.net);
  int err = net_server_create(&second, &loop, &(net_config_t){.port = port},
                              &line_protocol, NULL);
  cr_assert(err == UV_EADDRINUSE && second == NULL,
            "a second server on busy port %d: expected EADDRINUSE and no "
            "server; got %s",
            port, err ? uv_err_name(err) : "success");
  cr_assert_eq(uv_loop_close(&loop), 0, "the failed create left handles");
  server_stop(&s);
}

Test(net, partial_request_is_kept_until_the_rest_arrives, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){0});
  int fd = client_connect(net_server_port(s.net), 0);
  client_send(fd, "hel", 3);
  sleep_ms(50);
  client_send(fd, "lo\n", 3);
  char buf[16];
  size_t n = client_recv(fd, buf, 6, 5000);
  cr_assert(n == 6 && memcmp(buf, "hello\n", 6) == 0,
            "sent \"hel\", then \"lo\\n\" 50 ms later: expected "
            "\"hello\\n\" back; got %zu bytes \"%.*s\"",
            n, (int)n, buf);
  close(fd);
  server_stop(&s);
}

Test(net, protocol_error_closes_after_the_last_reply, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){0});
  int fd = client_connect(net_server_port(s.net), 0);
  client_send(fd, "a\nbye\nnever answered\n", 22);
  char buf[64];
  size_t n = client_recv(fd, buf, sizeof buf, 5000);
  cr_assert(n == 6 && memcmp(buf, "a\nbye\n", 6) == 0,
            "expected \"a\\nbye\\n\" then close; got %zu bytes \"%.*s\"", n,
            (int)n, buf);
  close(fd);
  server_stop(&s);
}

Test(net, connection_past_the_cap_is_refused_while_others_work, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){.max_connections = 2});
  int port = net_server_port(s.net);
  int a = client_connect(port, 0), b = client_connect(port, 0);
  expect_echo(a, "a\n", "first connection");
  expect_echo(b, "b\n", "second connection");
  int c = client_connect(port, 0);
  cr_assert(client_sees_close(c, 5000),
            "third connection with a cap of 2: expected it closed; it is "
            "still open after 5 s");
  expect_echo(a, "a again\n", "first connection after the refusal");
  expect_echo(b, "b again\n", "second connection after the refusal");
  net_stats_t st = server_stats(&s);
  cr_assert_eq(st.refused, 1, "refused: expected 1, got %llu",
               (unsigned long long)st.refused);
  cr_assert_eq(st.open, 2, "open: expected 2, got %llu",
               (unsigned long long)st.open);
  close(a);
  close(b);
  close(c);
  server_stop(&s);
}

Test(net, silent_client_is_closed_after_the_idle_timeout, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){.idle_timeout_ms = 200});
  int fd = client_connect(net_server_port(s.net), 0);
  client_send(fd, "half a li", 9);
  cr_assert(client_sees_close(fd, 5000),
            "a client silent after half a line, idle timeout 200 ms: expected "
            "it closed; still open after 5 s");
  net_stats_t st = server_stats(&s);
  cr_assert_eq(st.idle_closed, 1, "idle_closed: expected 1, got %llu",
               (unsigned long long)st.idle_closed);
  close(fd);
  server_stop(&s);
}

Test(net, client_that_keeps_talking_outlives_the_idle_timeout, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){.idle_timeout_ms = 200});
  int fd = client_connect(net_server_port(s.net), 0);
  for (int i = 0; i < 6; i++) {
    sleep_ms(100);
    expect_echo(fd, "still here\n", "a line every 100 ms, timeout 200 ms");
  }
  close(fd);
  server_stop(&s);
}

Test(net, stop_closes_open_connections_and_run_returns, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){0});
  int port = net_server_port(s.net);
  int fds[3];
  for (int i = 0; i < 3; i++)
    fds[i] = client_connect(port, 0);
  expect_echo(fds[0], "x\n", "before stop");
  client_send(fds[1], "half", 4);
  server_stop(&s);
  for (int i = 0; i < 3; i++) {
    cr_assert(client_sees_close(fds[i], 5000),
              "connection %d: expected closed by stop; still open", i);
    close(fds[i]);
  }
}

Test(net, sigterm_stops_the_server_cleanly, .timeout = 20) {
  static server_t s;
  server_start(&s, &(net_config_t){.handle_signals = 1});
  int fd = client_connect(net_server_port(s.net), 0);
  expect_echo(fd, "x\n", "before SIGTERM");
  kill(getpid(), SIGTERM);
  server_join(&s);
  cr_assert(client_sees_close(fd, 5000),
            "after SIGTERM: expected the connection closed; still open");
  close(fd);
}

/* Pipelines "big" lines without reading until the server stops reading
 * (or max_lines), then reads every reply. Returns the lines sent. */
static size_t flood_then_drain(int fd, server_t *s, size_t max_lines,
                               size_t reply_len) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  static const char chunk[] = "big\nbig\nbig\nbig\nbig\nbig\nbig\nbig\n";
  size_t sent = 0; /* bytes */
  uint64_t deadline = clock_monotonic_ns() + 10ull * 1000000000;
  while (clock_monotonic_ns() < deadline && server_stats(s).read_pauses == 0) {
    size_t off = sent % (sizeof chunk - 1);
    ssize_t n = -1;
    if (sent < max_lines * 4)
      n = send(fd, chunk + off, sizeof chunk - 1 - off, MSG_NOSIGNAL);
    if (n > 0)
      sent += (size_t)n;
    else
      sleep_ms(1);
  }
  /* The server has stopped reading: keep pushing for a while to show that
   * it stays stopped (its input does not grow). */
  uint64_t push_until = clock_monotonic_ns() + 200000000;
  while (clock_monotonic_ns() < push_until) {
    size_t off = sent % (sizeof chunk - 1);
    ssize_t n = -1;
    if (sent < max_lines * 4)
      n = send(fd, chunk + off, sizeof chunk - 1 - off, MSG_NOSIGNAL);
    if (n > 0)
      sent += (size_t)n;
    else
      sleep_ms(1);
  }
  size_t lines = (sent + 3) / 4, want = lines * reply_len;
  size_t got = client_finish_and_drain(fd, "big\n", 4, sent, want, 30000);
  cr_assert_eq(got, want,
               "%zu lines pipelined: expected %zu reply bytes "
               "once the client read, got %zu",
               lines, want, got);
  return lines;
}

Test(net, client_that_never_reads_makes_the_server_stop_reading,
     .timeout = 60) {
  static server_t s;
  size_t limit = 64 * 1024;
  server_start(&s, &(net_config_t){.max_pending_bytes = limit});
  int fd = client_connect(net_server_port(s.net), 4096);
  size_t lines = flood_then_drain(fd, &s, 50000, BIG_REPLY);
  net_stats_t st = server_stats(&s);
  cr_assert_geq(st.read_pauses, 1,
                "after %zu pipelined lines never read: "
                "expected the server to stop reading; it never did",
                lines);
  cr_assert_leq(st.pending_high, limit + BIG_REPLY,
                "bytes pending on one connection: expected at most the limit "
                "%zu plus one reply (%d), got %zu",
                limit, BIG_REPLY, st.pending_high);
  cr_assert_leq(st.input_high, NET_READ_BYTES + 4,
                "unconsumed input held for one connection: expected at most "
                "one read (%d) plus a partial line, got %zu",
                NET_READ_BYTES, st.input_high);
  close(fd);
  server_stop(&s);
}
