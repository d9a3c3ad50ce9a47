/* httpload.h - an HTTP/1.1 load generator over keep-alive connections, open
 * loop at a target rate (latency from each request's due time) or closed. */
#ifndef SDKATA_HTTPLOAD_H
#define SDKATA_HTTPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "hist.h"

#define HTTPLOAD_MAX_THREADS 64
#define HTTPLOAD_HEAD_MAX 8192        /* longest response head accepted */
#define HTTPLOAD_HEADER_VALUE_MAX 256 /* longest per-request header value */
#define HTTPLOAD_STATUS_LIMIT 600     /* status codes counted: 200 to 599 */

/* Gives the value of the per-request header for the next request sent by
 * loop thread `thread` (0 to threads - 1, so context can hold one state per
 * thread, e.g. a keydist_t each: calls for one thread never overlap). Writes
 * at most size bytes into value and returns how many it wrote. */
typedef size_t (*httpload_header_fn)(void *context, unsigned thread,
                                     char *value, size_t size);

typedef struct httpload_config {
  const char *host; /* IPv4 literal; NULL means 127.0.0.1 */
  uint16_t port;
  unsigned connections; /* keep-alive connections, at least 1 */
  unsigned threads;     /* libuv loops, each owning a share of the
                           connections; 0 means 1, capped at connections */
  /* Open loop: total requests per second over every connection. Request i
   * (counting from 0) is due at start + i / rate on connection
   * i % connections; if that connection is still busy it waits there, and
   * its latency still counts from its due time (wrk2's correction for
   * coordinated omission), so a server stall shows in the percentiles.
   * 0 = closed loop: each connection sends its next request as soon as the
   * previous response is complete, and latency counts from the send. */
  uint64_t rate;
  double warmup_seconds;          /* requests due then are not recorded */
  double seconds;                 /* the recorded period, after the warm-up */
  double timeout_seconds;         /* per request, from its send; 0 = 2 s */
  double connect_timeout_seconds; /* 0 = 2 s */
  /* The request: "<method> <path> HTTP/1.1", a Host header, then headers
   * (complete lines, each ending in "\r\n"; NULL for none), then, when
   * header_name is set, "<header_name>: <value>" with the value from
   * header_value, then body with its Content-Length (NULL for none). */
  const char *method; /* NULL means GET */
  const char *path;   /* NULL means / */
  const char *headers;
  const char *body;
  const char *header_name;
  httpload_header_fn header_value;
  void *header_context;
} httpload_config_t;

/* What a run measured. Everything but connect_errors is about the requests
 * due in the recorded period (warm-up excluded): each one sent ends as a
 * response, a read error, a parse error or a timeout. */
typedef struct httpload_result {
  hist_t latency;           /* ns, one per response; open loop: from due time */
  uint64_t sent;            /* requests written */
  uint64_t responses;       /* complete responses (any status) */
  uint64_t status_class[6]; /* [2] = 2xx ... [5] = 5xx */
  uint64_t status[HTTPLOAD_STATUS_LIMIT]; /* by exact code */
  uint64_t connect_errors; /* refused or timed-out connects, whole run */
  uint64_t read_errors;    /* connection lost or write failed mid-request */
  uint64_t parse_errors;   /* malformed or unsupported response (chunked,
                              1xx, no Content-Length, bytes unasked for) */
  uint64_t timeouts;       /* no complete response in time: the connection
                              was closed and opened again */
  uint64_t unfinished;     /* due, but still waiting to be sent at the end */
  int first_error;         /* the first negative code met, or 0 */
} httpload_result_t;

/* Opens every connection (each within the connect timeout), then runs the
 * warm-up and the recorded period, stops sending at their end, waits for the
 * responses in flight (at most the request timeout), and returns. A
 * connection lost mid-run is opened again (counted in connect_errors while
 * that fails). Responses must carry Content-Length: chunked and
 * close-delimited bodies are out of scope. Fills *result (merged over the
 * threads). Returns 0; -EINVAL for a bad config; the first connect error
 * (e.g. -ECONNREFUSED, -ETIMEDOUT) when a connection cannot be opened at
 * the start, without sending anything; -ENOMEM. */
int httpload_run(const httpload_config_t *config, httpload_result_t *result);

#endif /* SDKATA_HTTPLOAD_H */
