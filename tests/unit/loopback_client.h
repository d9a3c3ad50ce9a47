/* loopback_client.h - a blocking test client on 127.0.0.1, shared by the
 * network tests: connect, send, sleep, and watch for the server's close. */
#ifndef SDKATA_LOOPBACK_CLIENT_H
#define SDKATA_LOOPBACK_CLIENT_H

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"

static inline void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A connected client socket, blocking, with a small receive buffer when
 * rcvbuf > 0. Fails the test when it cannot connect. */
static inline int client_connect(int port, int rcvbuf) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
  if (rcvbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr);
  cr_assert_eq(rc, 0, "connect to port %d: %s", port, strerror(errno));
  return fd;
}

/* Sends everything; a reset by the server (it may answer and close before
 * reading all) ends the send quietly: the test then checks the answer. */
static inline void client_send(int fd, const char *bytes, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, bytes, len, MSG_NOSIGNAL);
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
      return;
    cr_assert_gt(n, 0, "send: %s", strerror(errno));
    bytes += n;
    len -= (size_t)n;
  }
}

/* True when the server closes fd within timeout_ms (EOF or reset). */
static inline int client_sees_close(int fd, int timeout_ms) {
  char buf[4096];
  uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
  while (clock_monotonic_ns() < deadline) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10) <= 0)
      continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
      return 1;
  }
  return 0;
}

/* For back-pressure tests, once the client starts reading: completes the
 * request cut off after sent bytes (every request is request_len bytes),
 * then reads until want bytes came back or timeout_ms passed. Returns how
 * many came; fails the test if the server closes first. */
static inline size_t client_finish_and_drain(int fd, const char *request,
                                             size_t request_len, size_t sent,
                                             size_t want, int timeout_ms) {
  static char buf[64 * 1024];
  size_t got = 0;
  uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
  while (got < want && clock_monotonic_ns() < deadline) {
    if (sent % request_len) {
      ssize_t n = send(fd, request + sent % request_len,
                       request_len - sent % request_len, MSG_NOSIGNAL);
      if (n > 0)
        sent += (size_t)n;
    }
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10) <= 0)
      continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    cr_assert_gt(n, 0, "connection closed after %zu of %zu bytes", got, want);
    got += (size_t)n;
  }
  return got;
}

/* Reads until want bytes came, the peer closed, or timeout_ms passed.
 * Returns how many bytes came. */
static inline size_t client_recv(int fd, char *buf, size_t want,
                                 int timeout_ms) {
  size_t got = 0;
  uint64_t deadline = clock_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
  while (got < want) {
    uint64_t now = clock_monotonic_ns();
    if (now >= deadline)
      break;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
      continue;
    ssize_t n = recv(fd, buf + got, want - got, 0);
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  return got;
}

#endif /* SDKATA_LOOPBACK_CLIENT_H */
