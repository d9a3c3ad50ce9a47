/* http.h - HTTP/1.1 over net: requests parsed by http_parser, hard limits. */
#ifndef SDKATA_HTTP_H
#define SDKATA_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "net.h"

/* Defaults used where an http_config_t limit is 0. */
#define HTTP_DEFAULT_MAX_HEADER_BYTES (8 * 1024)
#define HTTP_DEFAULT_MAX_HEADERS 64
#define HTTP_DEFAULT_MAX_BODY_BYTES (1024 * 1024)

/* One header of a request; not NUL-terminated. */
typedef struct http_header {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
} http_header_t;

/* A complete request. Everything it points to lives until the handler
 * returns; copy what you keep. */
typedef struct http_request {
  const char *method; /* "GET", "POST"..., NUL-terminated */
  const char *target; /* the request target as sent, NUL-terminated */
  size_t target_len;
  const http_header_t *headers;
  size_t header_count;
  const char *body; /* Content-Length (or chunked) body; may be empty */
  size_t body_len;
  int version_minor; /* 1 for HTTP/1.1, 0 for HTTP/1.0 */
  int keep_alive;    /* the connection stays open after the answer */
} http_request_t;

/* The answer a handler builds; the layer adds Content-Length and
 * Connection and writes it. */
typedef struct http_response http_response_t;

/* Answers one request by filling res (status 200 and no body unless it
 * says otherwise), or defers it (http_response_defer). Runs on the loop's
 * thread; must not block. */
typedef void (*http_handler_fn)(const http_request_t *req, http_response_t *res,
                                void *data);

/* An HTTP server: where it listens, its limits, its handler. */
typedef struct http_config {
  net_config_t net;
  /* Past this many bytes of request target, header names and values, a
   * request is answered 431 and the connection closed. */
  size_t max_header_bytes;
  size_t max_headers;    /* past it: 431 and close */
  size_t max_body_bytes; /* past it: 413 and close */
  http_handler_fn handler;
  void *handler_data;
} http_config_t;

typedef struct http_server http_server_t;

/* Creates an HTTP server on loop (which the caller owns and runs), listening
 * as config->net says. On success stores it in *out and returns 0; otherwise
 * returns a negative libuv code (UV_EINVAL without a handler). */
int http_server_create(http_server_t **out, uv_loop_t *loop,
                       const http_config_t *config);

/* The server's network layer: for net_server_port, net_server_stop and
 * net_server_stats. Owned by the HTTP server. */
net_server_t *http_server_net(http_server_t *server);

/* Frees the server, as net_server_destroy says (on the loop's thread). */
void http_server_destroy(http_server_t *server);

/* The value of the first header named name (case-insensitive) and its
 * length in *len, or NULL when the request has none. */
const char *http_request_header(const http_request_t *req, const char *name,
                                size_t *len);

/* Sets the status code (100-599; anything else becomes 500). */
void http_response_set_status(http_response_t *res, int status);

/* Adds a header line; name and value are copied and must hold no CR or LF.
 * Do not add Content-Length or Connection: the layer writes them.
 * Returns 0, UV_EINVAL for a forbidden character, or UV_ENOMEM. */
int http_response_add_header(http_response_t *res, const char *name,
                             const char *value);

/* Appends len bytes (copied) to the body. Returns 0 or UV_ENOMEM. */
int http_response_append(http_response_t *res, const void *bytes, size_t len);

/* Defers the answer to the request being handled: returns a response that
 * the handler, or a callback later on the loop's thread, fills with the
 * functions above and hands to http_response_finish; res itself is then
 * not sent. Answers to requests pipelined after it wait behind it while
 * other connections are served. Returns NULL when it cannot (out of
 * memory, a closing connection): then answer in res at once. */
http_response_t *http_response_defer(http_response_t *res);

/* Sends a deferred response in its place and frees it. Returns 0, UV_EPIPE
 * when its client went away meanwhile (nothing is sent), or UV_ENOMEM (a
 * 500 is sent instead). */
int http_response_finish(http_response_t *res);

#endif /* SDKATA_HTTP_H */
