/* redis_server.h - a private, throw-away redis-server on 127.0.0.1 for tests.
 */
#ifndef SDKATA_REDIS_SERVER_H
#define SDKATA_REDIS_SERVER_H

#include <limits.h>
#include <sys/types.h>

/* One redis-server child: persistence off, loopback only, its working
 * directory and log in a fresh temporary directory. Fields are read-only for
 * callers; message says in words why the last call failed. */
typedef struct redis_server {
  pid_t pid;          /* the running child, or 0 when stopped */
  int port;           /* its port on 127.0.0.1; kept across a stop */
  char dir[PATH_MAX]; /* its temporary directory (holds redis.log), or "" */
  char message[1024]; /* why the last call failed, or "" */
} redis_server_t;

/* Starts redis-server on a free 127.0.0.1 port with persistence off, as a
 * child that gets SIGTERM when the calling thread exits, and waits (at most
 * 5 s) until it answers PING. *server needs no initialisation. Returns 0, or
 * -ENOENT when no redis-server is on PATH (Debian package redis-server),
 * -ETIMEDOUT when it did not answer in time, -EIO when it exited first, or
 * another negative errno; on failure nothing is left running or on disk and
 * server->message names the cause with the log's last lines. */
int redis_server_start(redis_server_t *server);

/* The port the server listens on (127.0.0.1), or 0 before a start. */
int redis_server_port(const redis_server_t *server);

/* Stops the server: SIGTERM, then SIGKILL if it has not exited within 2 s;
 * reaps it and removes its temporary directory. The port is kept for
 * redis_server_restart. Does nothing when it is not running. Returns 0, or
 * a negative errno when the directory could not be removed. */
int redis_server_stop(redis_server_t *server);

/* Stops the server and starts a new one, empty, on the same port: for tests
 * in which Redis goes away and comes back. Returns as redis_server_start;
 * -EINVAL when the server was never started. */
int redis_server_restart(redis_server_t *server);

#endif /* SDKATA_REDIS_SERVER_H */
