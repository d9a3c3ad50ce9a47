/* test_resp_server.c - sdkata serve lru_cache end to end: the real binary
 * serves the reference cache over RESP2 on a free port, and real clients
 * talk to it over real sockets: hiredis (values, TTLs, pipelining, errors),
 * raw sockets (an oversized bulk, a client that goes silent mid-command),
 * redis-cli and redis-benchmark as a person would run them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "serve_child.h"

/* The most the server's start, or any one answer, may take. */
#define WAIT_MS 20000
#define PIPELINED 1000

static serve_child_t server = {-1, -1, 0, ""};

static uint64_t now_ms(void) {
  return clock_monotonic_ns() / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Kills the server if a test left it running (a failed assertion). */
static void stop_server(void) {
  serve_child_kill(&server);
}

/* Starts sdkata serve lru_cache with the reference on a free port. */
static void start_server(void) {
  const char *const args[] = {"lru_cache", "--impl", "reference",
                              "--port",    "0",      NULL};
  serve_child_start(&server, args, "redis", WAIT_MS);
}

TestSuite(resp_e2e, .init = start_server, .fini = stop_server, .timeout = 60);

static redisContext *connect_hiredis(void) {
  struct timeval timeout = {WAIT_MS / 1000, 0};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", server.port, timeout);
  cr_assert(c && !c->err, "hiredis could not connect to port %d: %s",
            server.port, c ? c->errstr : "no context");
  redisSetTimeout(c, timeout);
  return c;
}

/* Runs a command and checks its reply's type, and its text when text is
 * not NULL (the value, status or error message; an integer's digits). */
static void expect(redisContext *c, int type, const char *text,
                   const char *format, ...) {
  va_list args;
  va_start(args, format);
  redisReply *reply = redisvCommand(c, format, args);
  va_end(args);
  cr_assert_not_null(reply, "\"%s\": no reply (%s)", format, c->errstr);
  char got[256];
  if (reply->type == REDIS_REPLY_INTEGER)
    snprintf(got, sizeof got, "%lld", reply->integer);
  else
    snprintf(got, sizeof got, "%.*s", reply->str ? (int)reply->len : 0,
             reply->str ? reply->str : "");
  cr_assert(reply->type == type && (text == NULL || strcmp(got, text) == 0),
            "\"%s\": expected reply type %d \"%s\"; got type %d \"%s\"", format,
            type, text ? text : "(any)", reply->type, got);
  freeReplyObject(reply);
}

/* A raw connected socket, for what no well-behaved client sends. */
static int connect_raw(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)server.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0,
               "connect: %s", strerror(errno));
  return fd;
}

/* Reads until the peer closes or timeout_ms passes; returns the bytes
 * read (into buf, NUL-terminated) and sets *closed. */
static size_t read_until_close(int fd, char *buf, size_t size, int timeout_ms,
                               int *closed) {
  size_t got = 0;
  *closed = 0;
  uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
  while (now_ms() < deadline && got < size - 1) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10) <= 0)
      continue;
    ssize_t n = recv(fd, buf + got, size - 1 - got, 0);
    if (n <= 0) {
      *closed = 1;
      break;
    }
    got += (size_t)n;
  }
  buf[got] = '\0';
  return got;
}

/* Runs a shell command line (a real client) and returns its output. */
static const char *run(const char *format, ...) {
  static char output[64 * 1024];
  char line[1024];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  FILE *pipe = popen(line, "r");
  cr_assert_not_null(pipe, "popen \"%s\": %s", line, strerror(errno));
  size_t len = fread(output, 1, sizeof output - 1, pipe);
  output[len] = '\0';
  int status = pclose(pipe);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "\"%s\" exited with status %d; printed \"%s\"", line,
            WIFEXITED(status) ? WEXITSTATUS(status) : -1, output);
  return output;
}

Test(resp_e2e, hiredis_sets_and_gets_binary_values) {
  redisContext *c = connect_hiredis();
  expect(c, REDIS_REPLY_STATUS, "PONG", "PING");
  expect(c, REDIS_REPLY_NIL, NULL, "GET missing");
  expect(c, REDIS_REPLY_STATUS, "OK", "SET a 1");
  expect(c, REDIS_REPLY_STRING, "1", "GET a");
  expect(c, REDIS_REPLY_STATUS, "OK", "SET empty %b", "", (size_t)0);
  expect(c, REDIS_REPLY_STRING, "", "GET empty");
  static const char binary[] = "a\0b\r\nc";
  redisReply *reply = redisCommand(c, "SET %b %b", binary, sizeof binary - 1,
                                   binary, sizeof binary - 1);
  cr_assert(reply && reply->type == REDIS_REPLY_STATUS,
            "SET of a binary key and value failed");
  freeReplyObject(reply);
  reply = redisCommand(c, "GET %b", binary, sizeof binary - 1);
  cr_assert(reply && reply->type == REDIS_REPLY_STRING &&
                reply->len == sizeof binary - 1 &&
                memcmp(reply->str, binary, sizeof binary - 1) == 0,
            "GET of the binary key: expected the 7 bytes \"a\\0b\\r\\nc\"");
  freeReplyObject(reply);
  static char big[1024 * 1024];
  memset(big, 'x', sizeof big);
  reply = redisCommand(c, "SET big %b", big, sizeof big);
  cr_assert(reply && reply->type == REDIS_REPLY_STATUS,
            "SET of a value of exactly 1 MiB (LC_VALUE_MAX) failed: %s",
            reply && reply->str ? reply->str : c->errstr);
  freeReplyObject(reply);
  reply = redisCommand(c, "GET big");
  cr_assert(reply && reply->type == REDIS_REPLY_STRING &&
                reply->len == sizeof big,
            "GET of the 1 MiB value");
  freeReplyObject(reply);
  redisFree(c);
}

Test(resp_e2e, set_options_and_ttls_behave_as_in_redis) {
  redisContext *c = connect_hiredis();
  expect(c, REDIS_REPLY_STATUS, "OK", "SET k v EX 100");
  redisReply *reply = redisCommand(c, "TTL k");
  cr_assert(reply && reply->type == REDIS_REPLY_INTEGER &&
                (reply->integer == 100 || reply->integer == 99),
            "TTL right after SET k v EX 100: expected 100 (or 99); got %lld",
            reply ? reply->integer : -99);
  freeReplyObject(reply);
  reply = redisCommand(c, "PTTL k");
  cr_assert(reply && reply->type == REDIS_REPLY_INTEGER &&
                reply->integer > 90000 && reply->integer <= 100000,
            "PTTL right after SET k v EX 100: got %lld",
            reply ? reply->integer : -99);
  freeReplyObject(reply);
  expect(c, REDIS_REPLY_NIL, NULL, "SET k other NX");
  expect(c, REDIS_REPLY_STRING, "v", "GET k");
  expect(c, REDIS_REPLY_STATUS, "OK", "SET k w XX");
  expect(c, REDIS_REPLY_INTEGER, "-1", "TTL k");
  expect(c, REDIS_REPLY_NIL, NULL, "SET nothing v XX");
  expect(c, REDIS_REPLY_INTEGER, "-2", "TTL nothing");
  expect(c, REDIS_REPLY_STATUS, "OK", "SET short v PX 150");
  expect(c, REDIS_REPLY_STRING, "v", "GET short");
  sleep_ms(300);
  expect(c, REDIS_REPLY_NIL, NULL, "GET short");
  expect(c, REDIS_REPLY_INTEGER, "1", "EXPIRE k 50");
  expect(c, REDIS_REPLY_INTEGER, "50", "TTL k");
  expect(c, REDIS_REPLY_INTEGER, "1", "PEXPIRE k 100");
  expect(c, REDIS_REPLY_INTEGER, "0", "EXPIRE nothing 5");
  sleep_ms(250);
  expect(c, REDIS_REPLY_INTEGER, "0", "EXISTS k");
  expect(c, REDIS_REPLY_ERROR, "ERR invalid expire time in 'set' command",
         "SET k v EX 0");
  expect(c, REDIS_REPLY_ERROR, "ERR value is not an integer or out of range",
         "SET k v EX soon");
  expect(c, REDIS_REPLY_ERROR, "ERR syntax error", "SET k v NX XX");
  redisFree(c);
}

Test(resp_e2e, keys_are_counted_deleted_and_flushed) {
  redisContext *c = connect_hiredis();
  expect(c, REDIS_REPLY_STATUS, "OK", "FLUSHALL");
  expect(c, REDIS_REPLY_STATUS, "OK", "SET a 1");
  expect(c, REDIS_REPLY_STATUS, "OK", "SET b 2");
  expect(c, REDIS_REPLY_INTEGER, "2", "DBSIZE");
  expect(c, REDIS_REPLY_INTEGER, "3", "EXISTS a b a");
  expect(c, REDIS_REPLY_INTEGER, "2", "DEL a b c");
  expect(c, REDIS_REPLY_INTEGER, "0", "EXISTS a b");
  expect(c, REDIS_REPLY_STATUS, "OK", "SET c 3");
  expect(c, REDIS_REPLY_STATUS, "OK", "FLUSHALL");
  expect(c, REDIS_REPLY_INTEGER, "0", "DBSIZE");
  redisReply *reply = redisCommand(c, "INFO");
  cr_assert(reply && reply->type == REDIS_REPLY_STRING &&
                strstr(reply->str, "keyspace_hits:") &&
                strstr(reply->str, "evicted_keys:"),
            "INFO: expected the cache's stats; got \"%s\"",
            reply && reply->str ? reply->str : c->errstr);
  freeReplyObject(reply);
  redisFree(c);
}

Test(resp_e2e, pipelined_commands_are_answered_in_order) {
  redisContext *c = connect_hiredis();
  for (int i = 0; i < PIPELINED; i++) {
    redisAppendCommand(c, "SET key:%d value:%d", i, i);
    redisAppendCommand(c, "GET key:%d", i);
  }
  for (int i = 0; i < PIPELINED; i++) {
    redisReply *reply = NULL;
    cr_assert_eq(redisGetReply(c, (void **)&reply), REDIS_OK,
                 "pipelined SET %d: %s", i, c->errstr);
    cr_assert_eq(reply->type, REDIS_REPLY_STATUS, "pipelined SET %d", i);
    freeReplyObject(reply);
    cr_assert_eq(redisGetReply(c, (void **)&reply), REDIS_OK,
                 "pipelined GET %d: %s", i, c->errstr);
    char want[32];
    snprintf(want, sizeof want, "value:%d", i);
    cr_assert(reply->type == REDIS_REPLY_STRING &&
                  strcmp(reply->str, want) == 0,
              "pipelined GET key:%d: expected \"%s\", got \"%s\"", i, want,
              reply->str ? reply->str : "(not a string)");
    freeReplyObject(reply);
  }
  redisFree(c);
}

Test(resp_e2e, unknown_commands_and_wrong_arity_are_worded_as_redis) {
  redisContext *c = connect_hiredis();
  expect(c, REDIS_REPLY_ERROR,
         "ERR unknown command 'FOO', with args beginning with: 'bar' ",
         "FOO bar");
  expect(c, REDIS_REPLY_ERROR,
         "ERR wrong number of arguments for 'get' command", "GET");
  expect(c, REDIS_REPLY_ERROR,
         "ERR wrong number of arguments for 'set' command", "SET k");
  expect(c, REDIS_REPLY_STATUS, "PONG", "PING");
  redisFree(c);
}

Test(resp_e2e, startup_queries_of_redis_cli_and_benchmark_are_answered) {
  redisContext *c = connect_hiredis();
  redisReply *reply = redisCommand(c, "CONFIG GET save");
  cr_assert(reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                strcmp(reply->element[0]->str, "save") == 0 &&
                strcmp(reply->element[1]->str, "") == 0,
            "CONFIG GET save (redis-benchmark asks): expected [save, \"\"]");
  freeReplyObject(reply);
  reply = redisCommand(c, "COMMAND DOCS");
  cr_assert(reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 2 &&
                reply->elements % 2 == 0,
            "COMMAND DOCS (redis-cli asks): expected name, docs pairs");
  int has_get = 0;
  for (size_t i = 0; i < reply->elements; i += 2)
    has_get |= reply->element[i]->type == REDIS_REPLY_STRING &&
               strcmp(reply->element[i]->str, "get") == 0 &&
               reply->element[i + 1]->type == REDIS_REPLY_ARRAY;
  cr_assert(has_get, "COMMAND DOCS: expected docs for get");
  freeReplyObject(reply);
  reply = redisCommand(c, "COMMAND");
  cr_assert(reply && reply->type == REDIS_REPLY_ARRAY &&
                reply->elements >= 16 &&
                reply->element[0]->type == REDIS_REPLY_ARRAY &&
                reply->element[0]->elements == 10,
            "COMMAND: expected an entry of Redis 7's ten fields per command");
  freeReplyObject(reply);
  expect(c, REDIS_REPLY_INTEGER, "16", "COMMAND COUNT");
  redisFree(c);
}

Test(resp_e2e, oversized_bulk_is_refused_and_the_server_serves_on) {
  int fd = connect_raw();
  static const char request[] =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\nxxxx";
  send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
  char buf[256];
  int closed;
  read_until_close(fd, buf, sizeof buf, WAIT_MS, &closed);
  cr_assert_str_eq(buf, "-ERR Protocol error: invalid bulk length\r\n",
                   "a SET announcing a 2000000-byte value");
  cr_assert(closed, "the connection stayed open after the protocol error");
  close(fd);
  redisContext *c = connect_hiredis();
  expect(c, REDIS_REPLY_STATUS, "PONG", "PING");
  redisFree(c);
}

Test(resp_e2e, silent_client_mid_command_blocks_no_one) {
  int fd = connect_raw();
  static const char half[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nhal";
  send(fd, half, sizeof half - 1, MSG_NOSIGNAL);
  redisContext *c = connect_hiredis();
  uint64_t start = now_ms();
  for (int i = 0; i < 20; i++)
    expect(c, REDIS_REPLY_STATUS, "OK", "SET other %d", i);
  cr_assert_lt(now_ms() - start, 5000,
               "20 SETs took %llu ms while another client sat on half a "
               "command",
               (unsigned long long)(now_ms() - start));
  redisFree(c);
  close(fd);
}

Test(resp_e2e, redis_cli_sets_and_gets) {
  const char *out = run("timeout 20 redis-cli -p %d set a 1", server.port);
  cr_assert_str_eq(out, "OK\n", "redis-cli set a 1");
  out = run("timeout 20 redis-cli -p %d get a", server.port);
  cr_assert_str_eq(out, "1\n", "redis-cli get a");
  out = run("printf 'set greeting \"hello world\"\\nget greeting\\n"
            "ttl greeting\\n' | timeout 20 redis-cli -p %d",
            server.port);
  cr_assert_str_eq(out, "OK\nhello world\n-1\n",
                   "commands typed into redis-cli's standard input");
}

Test(resp_e2e, redis_benchmark_runs_to_the_end, .timeout = 120) {
  const char *out = run("timeout 100 redis-benchmark -p %d -t get,set "
                        "-n 2000 -q 2>&1",
                        server.port);
  cr_assert(strstr(out, "SET: ") && strstr(out, "GET: ") &&
                !strstr(out, "rror") && !strstr(out, "WARNING"),
            "redis-benchmark -t get,set -n 2000 -q printed \"%s\"", out);
}

Test(resp_e2e, sigterm_stops_the_server_cleanly) {
  cr_assert_eq(kill(server.pid, SIGTERM), 0);
  int status = 0;
  uint64_t deadline = now_ms() + WAIT_MS;
  pid_t done = 0;
  while (done == 0 && now_ms() < deadline) {
    done = waitpid(server.pid, &status, WNOHANG);
    if (done == 0)
      sleep_ms(10);
  }
  cr_assert_eq(done, server.pid, "sdkata serve did not stop on SIGTERM");
  server.pid = -1;
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "sdkata serve stopped by SIGTERM: expected exit 0, got status "
            "0x%x",
            status);
}
