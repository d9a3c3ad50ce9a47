/* test_redis_server.c - the harness's own redis-server starts on a free
 * loopback port, answers, keeps nothing on disk, restarts on the same port
 * empty, and is gone after a stop. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "loopback_client.h"
#include "redis_server.h"

/* Static so that the fini can stop them when an assertion ends a test. */
static redis_server_t first, second;

static void stop_both(void) {
  redis_server_stop(&first);
  redis_server_stop(&second);
}

TestSuite(redis_server, .fini = stop_both, .timeout = 15);

static void start(redis_server_t *server) {
  int rc = redis_server_start(server);
  cr_assert_eq(rc, 0, "redis_server_start returned %d (%s); expected 0: %s", rc,
               strerror(-rc), server->message);
  cr_assert_gt(redis_server_port(server), 0, "port %d; expected one picked",
               redis_server_port(server));
}

static redisContext *connect_to(const redis_server_t *server) {
  struct timeval timeout = {1, 0};
  int port = redis_server_port(server);
  redisContext *redis = redisConnectWithTimeout("127.0.0.1", port, timeout);
  cr_assert(redis != NULL && redis->err == 0,
            "connect to 127.0.0.1:%d: got %s; expected a connection", port,
            redis ? redis->errstr : "no context");
  redisSetTimeout(redis, timeout);
  return redis;
}

/* The reply to command as text: a status, string or error as is, "(nil)",
 * an integer in decimal; the connection's error when there is no reply. */
static void command(redisContext *redis, char *out, size_t size,
                    const char *format, ...) {
  va_list args;
  va_start(args, format);
  redisReply *reply = redisvCommand(redis, format, args);
  va_end(args);
  if (reply == NULL) {
    snprintf(out, size, "(no reply: %s)", redis->errstr);
    return;
  }
  switch (reply->type) {
  case REDIS_REPLY_STATUS:
  case REDIS_REPLY_STRING:
  case REDIS_REPLY_ERROR: snprintf(out, size, "%s", reply->str); break;
  case REDIS_REPLY_NIL: snprintf(out, size, "(nil)"); break;
  case REDIS_REPLY_INTEGER: snprintf(out, size, "%lld", reply->integer); break;
  case REDIS_REPLY_ARRAY:
    if (reply->elements == 2 && reply->element[1]->str != NULL)
      snprintf(out, size, "%s", reply->element[1]->str);
    else
      snprintf(out, size, "(array of %zu)", reply->elements);
    break;
  default: snprintf(out, size, "(reply type %d)", reply->type);
  }
  freeReplyObject(reply);
}

static void expect(redisContext *redis, const char *want, const char *what,
                   const char *format, ...) {
  char got[256];
  va_list args;
  va_start(args, format);
  redisReply *reply = redisvCommand(redis, format, args);
  va_end(args);
  if (reply == NULL) {
    cr_assert_fail("%s: no reply (%s); expected \"%s\"", what, redis->errstr,
                   want);
  }
  snprintf(got, sizeof got, "%s",
           reply->type == REDIS_REPLY_NIL ? "(nil)"
           : reply->str != NULL           ? reply->str
                                          : "(not a string)");
  freeReplyObject(reply);
  cr_assert_str_eq(got, want, "%s: got \"%s\"; expected \"%s\"", what, got,
                   want);
}

/* True when nothing accepts connections on 127.0.0.1:port within
 * timeout_ms. */
static int port_refuses(int port, int timeout_ms) {
  uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
  do {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
    int err = errno;
    close(fd);
    if (rc != 0 && err == ECONNREFUSED)
      return 1;
    sleep_ms(10);
  } while (clock_monotonic_ns() < deadline);
  return 0;
}

/* The names in dir but the log, space-separated, or "" when none. */
static void other_files(const char *dir, char *out, size_t size) {
  out[0] = '\0';
  DIR *listing = opendir(dir);
  cr_assert(listing != NULL, "opendir %s: %s", dir, strerror(errno));
  struct dirent *entry;
  while ((entry = readdir(listing)) != NULL) {
    const char *name = entry->d_name;
    if (strcmp(name, ".") && strcmp(name, "..") && strcmp(name, "redis.log"))
      snprintf(out + strlen(out), size - strlen(out), "%s ", name);
  }
  closedir(listing);
}

Test(redis_server, start_answers_ping_with_pong) {
  start(&first);
  redisContext *redis = connect_to(&first);
  expect(redis, "PONG", "PING", "PING");
  redisFree(redis);
}

Test(redis_server, set_then_get_round_trips) {
  start(&first);
  redisContext *redis = connect_to(&first);
  expect(redis, "OK", "SET k v1", "SET %s %s", "k", "v1");
  expect(redis, "v1", "GET k after SET k v1", "GET %s", "k");
  redisFree(redis);
}

Test(redis_server, persistence_is_off_and_nothing_reaches_the_disk) {
  start(&first);
  redisContext *redis = connect_to(&first);
  char got[256];
  command(redis, got, sizeof got, "CONFIG GET save");
  cr_assert_str_eq(got, "", "CONFIG GET save: got \"%s\"; expected \"\"", got);
  command(redis, got, sizeof got, "CONFIG GET appendonly");
  cr_assert_str_eq(got, "no",
                   "CONFIG GET appendonly: got \"%s\"; expected "
                   "\"no\"",
                   got);
  expect(redis, "OK", "SET k v1", "SET k v1");
  /* SHUTDOWN takes the same path as the SIGTERM of a stop, and saves
   * before it closes the port: once the port refuses, any dump is there. */
  command(redis, got, sizeof got, "SHUTDOWN");
  redisFree(redis);
  int port = redis_server_port(&first);
  cr_assert(port_refuses(port, 3000),
            "port %d still accepts connections 3 s after SHUTDOWN", port);
  char dir[sizeof first.dir], files[512];
  memcpy(dir, first.dir, sizeof dir);
  other_files(dir, files, sizeof files);
  cr_assert_str_eq(files, "",
                   "%s holds \"%s\" after a SET and a shutdown; expected only "
                   "redis.log (persistence off)",
                   dir, files);
  cr_assert_eq(redis_server_stop(&first), 0, "stop: %s", first.message);
  cr_assert_eq(access(dir, F_OK), -1, "%s still exists after stop", dir);
}

Test(redis_server, restart_keeps_the_port_loses_the_data_and_answers) {
  start(&first);
  int port = redis_server_port(&first);
  redisContext *redis = connect_to(&first);
  expect(redis, "OK", "SET k v1", "SET k v1");
  redisFree(redis);
  int rc = redis_server_restart(&first);
  cr_assert_eq(rc, 0, "restart returned %d (%s); expected 0: %s", rc,
               strerror(-rc), first.message);
  cr_assert_eq(redis_server_port(&first), port,
               "port %d after restart; expected the same port %d",
               redis_server_port(&first), port);
  redis = connect_to(&first);
  expect(redis, "PONG", "PING after restart", "PING");
  expect(redis, "(nil)", "GET k after SET k v1 and a restart", "GET k");
  redisFree(redis);
}

Test(redis_server, stop_kills_it_and_the_port_refuses_connections) {
  start(&first);
  int port = redis_server_port(&first);
  pid_t pid = first.pid;
  char dir[sizeof first.dir];
  memcpy(dir, first.dir, sizeof dir);
  cr_assert_eq(redis_server_stop(&first), 0, "stop: %s", first.message);
  cr_assert(port_refuses(port, 1000),
            "port %d still accepts connections 1 s after stop", port);
  cr_assert(kill(pid, 0) != 0 && errno == ESRCH,
            "process %d still exists after stop (kill(0): %s); expected "
            "reaped",
            (int)pid, strerror(errno));
  cr_assert_eq(access(dir, F_OK), -1, "%s still exists after stop", dir);
  cr_assert_eq(redis_server_stop(&first), 0, "a second stop should do nothing");
}

Test(redis_server, two_servers_at_once_get_different_ports) {
  start(&first);
  start(&second);
  int a = redis_server_port(&first), b = redis_server_port(&second);
  cr_assert_neq(a, b, "both servers got port %d; expected different ports", a);
  redisContext *one = connect_to(&first), *two = connect_to(&second);
  expect(one, "OK", "SET k on the first", "SET k first");
  expect(two, "(nil)", "GET k on the second after SET k on the first", "GET k");
  redisFree(one);
  redisFree(two);
}

Test(redis_server, missing_binary_is_enoent_naming_the_package) {
  setenv("PATH", "/nonexistent", 1);
  int rc = redis_server_start(&first);
  cr_assert_eq(rc, -ENOENT,
               "start without redis-server on PATH returned %d "
               "(%s); expected -ENOENT",
               rc, strerror(-rc));
  cr_assert(strstr(first.message, "redis-server package") != NULL,
            "message \"%s\"; expected it to name the redis-server package",
            first.message);
  cr_assert_eq(first.pid, 0, "pid %d; expected nothing running",
               (int)first.pid);
}

Test(redis_server, restart_before_any_start_is_einval) {
  redis_server_t never = {0};
  int rc = redis_server_restart(&never);
  cr_assert_eq(rc, -EINVAL,
               "restart of a never-started server returned %d; "
               "expected -EINVAL",
               rc);
}
