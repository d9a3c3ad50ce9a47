/* http.c - HTTP/1.1 protocol for net: http_parser in, ordered answers out. */
#include "http.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growable byte buffer. */
typedef struct http_buf {
  char *bytes;
  size_t len, cap;
} http_buf_t;

struct http_response {
  int status;
  http_buf_t headers; /* "Name: value\r\n" lines */
  http_buf_t body;
  struct http_conn *owner; /* a connection's own response: can defer */
  /* A deferred response: its place in the connection's order, and how the
   * request it answers wanted it. */
  net_reply_t *place;
  int keep_alive, head_only;
};

struct http_server {
  net_server_t *net;
  http_config_t config;
};

/* Where a header's name and value sit in http_conn_t.head. */
typedef struct http_field {
  size_t name_off, name_len, value_off, value_len;
} http_field_t;

/* One connection's parser and the request being read. */
typedef struct http_conn {
  http_server_t *server;
  net_conn_t *conn;
  http_parser parser;
  char *head; /* target, then header names and values, as they arrive */
  size_t head_len;
  size_t target_len;
  char *target; /* a NUL-terminated copy for the handler */
  http_field_t *fields;
  size_t field_count;
  int in_value; /* the last header callback was a value */
  http_header_t *headers;
  http_buf_t body;
  int error_status; /* a limit was hit: the status to answer */
  int close_after;  /* the answer just queued ends the connection */
  int deferred;     /* the handler deferred the answer to this request */
  int keep_alive, head_only; /* of the request being handled */
  http_response_t res;
  http_buf_t out;
} http_conn_t;

static int buf_reserve(http_buf_t *b, size_t more) {
  if (b->len + more <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more)
    cap *= 2;
  char *bytes = realloc(b->bytes, cap);
  if (!bytes)
    return UV_ENOMEM;
  b->bytes = bytes;
  b->cap = cap;
  return 0;
}

static int buf_append(http_buf_t *b, const void *bytes, size_t len) {
  if (buf_reserve(b, len) < 0)
    return UV_ENOMEM;
  if (len)
    memcpy(b->bytes + b->len, bytes, len);
  b->len += len;
  return 0;
}

static const char *http_reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 204: return "No Content";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 413: return "Payload Too Large";
  case 417: return "Expectation Failed";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 503: return "Service Unavailable";
  default: return "Unknown";
  }
}

/* Writes into out the status line, the handler's headers, Content-Length
 * (never on 1xx, 204 and 304, which have no body: RFC 9110, 8.6),
 * Connection and (unless head_only) the body. */
static int http_serialize(http_buf_t *out, const http_response_t *res,
                          int keep_alive, int head_only) {
  char line[160];
  int n = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", res->status,
                   http_reason(res->status));
  out->len = 0;
  int err = buf_append(out, line, (size_t)n);
  if (err == 0)
    err = buf_append(out, res->headers.bytes, res->headers.len);
  int bodiless = res->status < 200 || res->status == 204 || res->status == 304;
  if (bodiless)
    n = snprintf(line, sizeof line, "Connection: %s\r\n\r\n",
                 keep_alive ? "keep-alive" : "close");
  else
    n = snprintf(line, sizeof line,
                 "Content-Length: %zu\r\nConnection: %s\r\n\r\n", res->body.len,
                 keep_alive ? "keep-alive" : "close");
  if (err == 0)
    err = buf_append(out, line, (size_t)n);
  if (err == 0 && !head_only && !bodiless)
    err = buf_append(out, res->body.bytes, res->body.len);
  return err;
}

/* Writes the answer in one send. */
static int http_send(http_conn_t *h, const http_response_t *res, int keep_alive,
                     int head_only) {
  int err = http_serialize(&h->out, res, keep_alive, head_only);
  if (err == 0)
    err = net_conn_send(h->conn, h->out.bytes, h->out.len);
  return err;
}

http_response_t *http_response_defer(http_response_t *res) {
  http_conn_t *h = res->owner;
  if (h == NULL || res != &h->res || h->deferred)
    return NULL;
  http_response_t *later = calloc(1, sizeof *later);
  if (later == NULL)
    return NULL;
  later->place = net_conn_defer(h->conn);
  if (later->place == NULL) {
    free(later);
    return NULL;
  }
  later->status = 200;
  later->keep_alive = h->keep_alive;
  later->head_only = h->head_only;
  h->deferred = 1;
  return later;
}

int http_response_finish(http_response_t *res) {
  http_buf_t out = {0};
  int err = http_serialize(&out, res, res->keep_alive, res->head_only);
  if (err != 0) {
    /* Its place must be filled, or every later answer waits. */
    static const char refusal[] = "HTTP/1.1 500 Internal Server Error\r\n"
                                  "Content-Length: 0\r\n"
                                  "Connection: close\r\n\r\n";
    net_reply_send(res->place, refusal, sizeof refusal - 1);
  } else {
    err = net_reply_send(res->place, out.bytes, out.len);
  }
  free(out.bytes);
  free(res->headers.bytes);
  free(res->body.bytes);
  free(res);
  return err;
}

/* Answers a request the layer refuses, and closes the connection. */
static void http_refuse(http_conn_t *h, int status) {
  http_response_t res = {.status = status};
  const char *reason = http_reason(status);
  buf_append(&res.body, reason, strlen(reason));
  buf_append(&res.body, "\n", 1);
  http_send(h, &res, 0, 0);
  free(res.body.bytes);
  net_conn_close(h->conn);
}

/* Stores parser data in the head buffer, within the header byte limit. */
static int http_head_append(http_conn_t *h, const char *at, size_t len) {
  if (len > h->server->config.max_header_bytes - h->head_len) {
    h->error_status = 431;
    return -1;
  }
  memcpy(h->head + h->head_len, at, len);
  h->head_len += len;
  return 0;
}

static int http_on_message_begin(http_parser *p) {
  http_conn_t *h = p->data;
  h->head_len = 0;
  h->target_len = 0;
  h->field_count = 0;
  h->in_value = 0;
  h->body.len = 0;
  return 0;
}

static int http_on_url(http_parser *p, const char *at, size_t len) {
  http_conn_t *h = p->data;
  h->target_len += len;
  return http_head_append(h, at, len);
}

static int http_on_header_field(http_parser *p, const char *at, size_t len) {
  http_conn_t *h = p->data;
  if (h->field_count == 0 || h->in_value) {
    if (h->field_count == h->server->config.max_headers) {
      h->error_status = 431;
      return -1;
    }
    http_field_t *f = &h->fields[h->field_count++];
    f->name_off = h->head_len;
    f->name_len = 0;
    f->value_off = 0;
    f->value_len = 0;
    h->in_value = 0;
  }
  h->fields[h->field_count - 1].name_len += len;
  return http_head_append(h, at, len);
}

static int http_on_header_value(http_parser *p, const char *at, size_t len) {
  http_conn_t *h = p->data;
  http_field_t *f = &h->fields[h->field_count - 1];
  if (!h->in_value) {
    f->value_off = h->head_len;
    h->in_value = 1;
  }
  f->value_len += len;
  return http_head_append(h, at, len);
}

/* The value of the request's header name (case-insensitive) as far as it
 * has been read, or NULL. */
static const char *http_field_value(const http_conn_t *h, const char *name,
                                    size_t *len) {
  size_t name_len = strlen(name);
  for (size_t i = 0; i < h->field_count; i++) {
    const http_field_t *f = &h->fields[i];
    if (f->name_len == name_len &&
        strncasecmp(h->head + f->name_off, name, name_len) == 0) {
      *len = f->value_len;
      return h->head + f->value_off;
    }
  }
  return NULL;
}

/* Refuses a body over the limit before it is sent (413), and answers
 * "Expect: 100-continue" with the interim 100 that clients such as curl
 * wait for before sending a body; any other expectation gets 417. */
static int http_on_headers_complete(http_parser *p) {
  http_conn_t *h = p->data;
  if ((p->flags & F_CONTENTLENGTH) &&
      p->content_length > h->server->config.max_body_bytes) {
    h->error_status = 413;
    return -1;
  }
  size_t len;
  const char *expect = http_field_value(h, "Expect", &len);
  if (expect == NULL || p->http_major != 1 || p->http_minor == 0)
    return 0;
  if (len != 12 || strncasecmp(expect, "100-continue", 12) != 0) {
    h->error_status = 417;
    return -1;
  }
  static const char proceed[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if (net_conn_send(h->conn, proceed, sizeof proceed - 1) < 0) {
    h->error_status = 500;
    return -1;
  }
  return 0;
}

static int http_on_body(http_parser *p, const char *at, size_t len) {
  http_conn_t *h = p->data;
  if (len > h->server->config.max_body_bytes - h->body.len) {
    h->error_status = 413;
    return -1;
  }
  if (buf_append(&h->body, at, len) < 0) {
    h->error_status = 500;
    return -1;
  }
  return 0;
}

/* Builds the request, asks the handler, queues the answer; pauses the
 * parser when the answer ends the connection or the client is behind. */
static int http_on_message_complete(http_parser *p) {
  http_conn_t *h = p->data;
  memcpy(h->target, h->head, h->target_len);
  h->target[h->target_len] = '\0';
  for (size_t i = 0; i < h->field_count; i++) {
    h->headers[i] = (http_header_t){
        h->head + h->fields[i].name_off, h->fields[i].name_len,
        h->head + h->fields[i].value_off, h->fields[i].value_len};
  }
  http_request_t req = {
      .method = http_method_str((enum http_method)p->method),
      .target = h->target,
      .target_len = h->target_len,
      .headers = h->headers,
      .header_count = h->field_count,
      .body = h->body.bytes ? h->body.bytes : "",
      .body_len = h->body.len,
      .version_minor = p->http_minor,
      .keep_alive = http_should_keep_alive(p) && !p->upgrade,
  };
  http_response_t *res = &h->res;
  res->status = 200;
  res->headers.len = 0;
  res->body.len = 0;
  h->deferred = 0;
  h->keep_alive = req.keep_alive;
  h->head_only = p->method == HTTP_HEAD;
  h->server->config.handler(&req, res, h->server->config.handler_data);
  int err = h->deferred ? 0 : http_send(h, res, req.keep_alive, h->head_only);
  if (err < 0 || !req.keep_alive) {
    h->close_after = 1;
    http_parser_pause(p, 1);
  } else if (net_conn_congested(h->conn)) {
    http_parser_pause(p, 1);
  }
  return 0;
}

static const http_parser_settings http_settings = {
    .on_message_begin = http_on_message_begin,
    .on_url = http_on_url,
    .on_header_field = http_on_header_field,
    .on_header_value = http_on_header_value,
    .on_headers_complete = http_on_headers_complete,
    .on_body = http_on_body,
    .on_message_complete = http_on_message_complete,
};

static ssize_t http_on_data(net_conn_t *conn, const char *bytes, size_t len) {
  http_conn_t *h = net_conn_data(conn);
  size_t n = http_parser_execute(&h->parser, &http_settings, bytes, len);
  enum http_errno err = HTTP_PARSER_ERRNO(&h->parser);
  if (err == HPE_PAUSED) {
    http_parser_pause(&h->parser, 0);
    if (!h->close_after)
      return (ssize_t)n;
    net_conn_close(conn);
    return (ssize_t)len;
  }
  if (err != HPE_OK) {
    if (!h->error_status)
      h->error_status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
    http_refuse(h, h->error_status);
    return (ssize_t)len;
  }
  if (h->parser.upgrade) {
    /* What follows is another protocol, which this layer does not speak. */
    net_conn_close(conn);
    return (ssize_t)len;
  }
  return (ssize_t)n;
}

static void http_conn_free(http_conn_t *h) {
  free(h->head);
  free(h->target);
  free(h->fields);
  free(h->headers);
  free(h->body.bytes);
  free(h->res.headers.bytes);
  free(h->res.body.bytes);
  free(h->out.bytes);
  free(h);
}

static int http_on_open(net_conn_t *conn, void *data) {
  http_server_t *server = data;
  http_conn_t *h = calloc(1, sizeof *h);
  if (!h)
    return UV_ENOMEM;
  h->server = server;
  h->conn = conn;
  h->head = malloc(server->config.max_header_bytes);
  h->target = malloc(server->config.max_header_bytes + 1);
  h->fields = calloc(server->config.max_headers, sizeof *h->fields);
  h->headers = calloc(server->config.max_headers, sizeof *h->headers);
  if (!h->head || !h->target || !h->fields || !h->headers) {
    http_conn_free(h);
    return UV_ENOMEM;
  }
  http_parser_init(&h->parser, HTTP_REQUEST);
  h->parser.data = h;
  h->res.owner = h;
  net_conn_set_data(conn, h);
  return 0;
}

static void http_on_close(net_conn_t *conn) {
  http_conn_t *h = net_conn_data(conn);
  if (h)
    http_conn_free(h);
}

static const net_protocol_t http_protocol = {http_on_open, http_on_data,
                                             http_on_close};

int http_server_create(http_server_t **out, uv_loop_t *loop,
                       const http_config_t *config) {
  *out = NULL;
  if (!config || !config->handler)
    return UV_EINVAL;
  http_server_t *server = calloc(1, sizeof *server);
  if (!server)
    return UV_ENOMEM;
  server->config = *config;
  http_config_t *c = &server->config;
  if (!c->max_header_bytes)
    c->max_header_bytes = HTTP_DEFAULT_MAX_HEADER_BYTES;
  if (!c->max_headers)
    c->max_headers = HTTP_DEFAULT_MAX_HEADERS;
  if (!c->max_body_bytes)
    c->max_body_bytes = HTTP_DEFAULT_MAX_BODY_BYTES;
  int err =
      net_server_create(&server->net, loop, &c->net, &http_protocol, server);
  if (err < 0) {
    free(server);
    return err;
  }
  *out = server;
  return 0;
}

net_server_t *http_server_net(http_server_t *server) {
  return server->net;
}

void http_server_destroy(http_server_t *server) {
  if (!server)
    return;
  net_server_destroy(server->net);
  free(server);
}

const char *http_request_header(const http_request_t *req, const char *name,
                                size_t *len) {
  size_t name_len = strlen(name);
  for (size_t i = 0; i < req->header_count; i++) {
    const http_header_t *hd = &req->headers[i];
    if (hd->name_len == name_len &&
        strncasecmp(hd->name, name, name_len) == 0) {
      *len = hd->value_len;
      return hd->value;
    }
  }
  return NULL;
}

void http_response_set_status(http_response_t *res, int status) {
  res->status = status >= 100 && status <= 599 ? status : 500;
}

int http_response_add_header(http_response_t *res, const char *name,
                             const char *value) {
  if (strpbrk(name, "\r\n:") || strpbrk(value, "\r\n") || !*name)
    return UV_EINVAL;
  size_t name_len = strlen(name), value_len = strlen(value);
  if (buf_reserve(&res->headers, name_len + value_len + 4) < 0)
    return UV_ENOMEM;
  buf_append(&res->headers, name, name_len);
  buf_append(&res->headers, ": ", 2);
  buf_append(&res->headers, value, value_len);
  buf_append(&res->headers, "\r\n", 2);
  return 0;
}

int http_response_append(http_response_t *res, const void *bytes, size_t len) {
  return buf_append(&res->body, bytes, len);
}
