/* resp.c - RESP2 protocol for net: requests parsed in place, replies out.
 *
 * Why a parser of our own rather than hiredis's redisReader. The reader
 * parses the grammar clients send, but the libhiredis on Debian 12 (0.14)
 * can cap neither the element count nor the bulk length: it callocs an
 * array of whatever count "*N" claims and buffers whatever "$N" claims
 * before it looks at a byte of it, so a three-line request could make the
 * server allocate gigabytes. Enforcing the limits means reading every
 * "*N" and "$N" header ourselves first, and once those are read, a bulk
 * string is only a length check and a pointer: there is nothing left for
 * the reader to do but copy every byte into its own buffer. The reader
 * also accepts what a request must not hold (integers, simple strings,
 * nested arrays, RESP3 types) and knows no inline commands, which telnet
 * users and redis-cli's --pipe of typed lines send. So this file parses
 * both forms, in place (arguments point into the input: no copy for
 * multibulk), resuming where it stopped when a request arrives in pieces;
 * hiredis's reader serves as the oracle that the unit tests and the fuzz
 * target hold this parser to (whatever this accepts, it reads the same). */
#include "resp.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A "*N" or "$N" line longer than this is not a number. */
#define RESP_MAX_COUNT_LINE 32
/* Replies gathered past this are written before parsing on, so that
 * back-pressure sees them. */
#define RESP_FLUSH_BYTES (64 * 1024)

struct resp_server {
  net_server_t *net;
  resp_config_t config;
};

/* One connection: its parser and the replies not yet handed to net. */
typedef struct resp_conn {
  resp_server_t *server;
  net_conn_t *conn;
  resp_parser_t parser;
  resp_reply_t out;
  int deferred; /* the command being handled deferred its reply */
} resp_conn_t;

static void apply_default_limits(resp_limits_t *limits) {
  if (!limits->max_bulk_bytes)
    limits->max_bulk_bytes = RESP_DEFAULT_MAX_BULK_BYTES;
  if (!limits->max_args)
    limits->max_args = RESP_DEFAULT_MAX_ARGS;
  if (!limits->max_inline_bytes)
    limits->max_inline_bytes = RESP_DEFAULT_MAX_INLINE_BYTES;
  if (!limits->max_request_bytes)
    limits->max_request_bytes = RESP_DEFAULT_MAX_REQUEST_BYTES;
}

int resp_parser_init(resp_parser_t *parser, const resp_limits_t *limits) {
  memset(parser, 0, sizeof *parser);
  if (limits)
    parser->limits = *limits;
  apply_default_limits(&parser->limits);
  return 0;
}

void resp_parser_free(resp_parser_t *parser) {
  free(parser->spans);
  free(parser->argv);
  free(parser->inline_buf);
  parser->spans = NULL;
  parser->argv = NULL;
  parser->inline_buf = NULL;
  parser->arg_cap = 0;
}

void resp_parser_reset(resp_parser_t *parser) {
  parser->pos = 0;
  parser->expected = 0;
  parser->argc = 0;
}

static ssize_t parse_error(resp_parser_t *parser, const char *message) {
  parser->error = message;
  resp_parser_reset(parser);
  return UV_EPROTO;
}

/* Makes room for n arguments, growing as arguments actually arrive (never
 * from a count the client merely claims). */
static int reserve_args(resp_parser_t *parser, size_t n) {
  if (n <= parser->arg_cap)
    return 0;
  size_t cap = parser->arg_cap ? parser->arg_cap * 2 : 16;
  while (cap < n)
    cap *= 2;
  resp_span_t *spans = realloc(parser->spans, cap * sizeof *spans);
  if (spans)
    parser->spans = spans;
  resp_arg_t *argv = realloc(parser->argv, cap * sizeof *argv);
  if (argv)
    parser->argv = argv;
  if (!spans || !argv)
    return UV_ENOMEM;
  parser->arg_cap = cap;
  return 0;
}

/* Reads a decimal long long as Redis's string2ll does: an optional '-',
 * then digits without a leading zero ("0" itself, but not "-0"). Returns 0
 * or -1. */
static int parse_long_long(const char *s, size_t n, long long *value) {
  int negative = n > 0 && s[0] == '-';
  if (negative) {
    s++;
    n--;
  }
  if (n == 0 || n > 19 || s[0] < '0' || s[0] > '9' ||
      (s[0] == '0' && (n > 1 || negative)))
    return -1;
  unsigned long long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (unsigned long long)(s[i] - '0');
  }
  if (v > (unsigned long long)LLONG_MAX + (negative ? 1u : 0u))
    return -1;
  *value = negative ? (long long)(0 - v) : (long long)v;
  return 0;
}

/* Reads the "*N\r\n" or "$N\r\n" line at bytes[from] (after its type
 * byte). Returns 1 with *value and *next set, 0 when the line is not
 * complete, or -1 for a line that cannot be a count (too_long when it is
 * longer than any number, invalid when it is not one). */
static int read_count_line(resp_parser_t *parser, const char *bytes, size_t len,
                           size_t from, long long *value, size_t *next,
                           const char *too_long, const char *invalid) {
  size_t avail = len - from;
  size_t scan = avail < RESP_MAX_COUNT_LINE ? avail : RESP_MAX_COUNT_LINE;
  const char *cr = memchr(bytes + from, '\r', scan);
  if (!cr) {
    if (avail >= RESP_MAX_COUNT_LINE)
      parser->error = too_long;
    return avail >= RESP_MAX_COUNT_LINE ? -1 : 0;
  }
  size_t digits = (size_t)(cr - (bytes + from));
  if (from + digits + 1 >= len)
    return 0;
  if (cr[1] != '\n' || parse_long_long(bytes + from, digits, value) != 0) {
    parser->error = invalid;
    return -1;
  }
  *next = from + digits + 2;
  return 1;
}

/* Completes a multibulk command: spans become pointers into bytes. */
static ssize_t finish_multibulk(resp_parser_t *parser, const char *bytes,
                                resp_command_t *command) {
  for (size_t i = 0; i < parser->argc; i++) {
    parser->argv[i].bytes = bytes + parser->spans[i].off;
    parser->argv[i].len = parser->spans[i].len;
  }
  command->argv = parser->argv;
  command->argc = parser->argc;
  size_t used = parser->pos;
  resp_parser_reset(parser);
  return (ssize_t)used;
}

static ssize_t parse_multibulk(resp_parser_t *parser, const char *bytes,
                               size_t len, resp_command_t *command) {
  const resp_limits_t *limits = &parser->limits;
  long long count;
  if (parser->expected == 0) {
    size_t next;
    int rc = read_count_line(parser, bytes, len, 1, &count, &next,
                             "Protocol error: too big mbulk count string",
                             "Protocol error: invalid multibulk length");
    if (rc <= 0)
      return rc == 0 ? 0 : parse_error(parser, parser->error);
    if (count <= 0) {
      /* Redis reads "*0" and "*-1" as nothing to do. */
      resp_parser_reset(parser);
      command->argc = 0;
      return (ssize_t)next;
    }
    if ((unsigned long long)count > limits->max_args)
      return parse_error(parser, "Protocol error: invalid multibulk length");
    parser->expected = (size_t)count;
    parser->pos = next;
  }
  while (parser->argc < parser->expected) {
    size_t at = parser->pos;
    if (at >= len)
      return 0;
    if (bytes[at] != '$') {
      unsigned char got = (unsigned char)bytes[at];
      if (got >= 0x20 && got < 0x7f)
        snprintf(parser->error_buf, sizeof parser->error_buf,
                 "Protocol error: expected '$', got '%c'", got);
      else
        snprintf(parser->error_buf, sizeof parser->error_buf,
                 "Protocol error: expected '$', got '\\x%02x'", got);
      return parse_error(parser, parser->error_buf);
    }
    long long bulk;
    size_t data;
    int rc = read_count_line(parser, bytes, len, at + 1, &bulk, &data,
                             "Protocol error: too big bulk count string",
                             "Protocol error: invalid bulk length");
    if (rc <= 0)
      return rc == 0 ? 0 : parse_error(parser, parser->error);
    if (bulk < 0 || (unsigned long long)bulk > limits->max_bulk_bytes)
      return parse_error(parser, "Protocol error: invalid bulk length");
    size_t end = data + (size_t)bulk;
    if (end + 2 > limits->max_request_bytes)
      return parse_error(parser, "Protocol error: request too large");
    if (end + 2 > len)
      return 0;
    if (bytes[end] != '\r' || bytes[end + 1] != '\n')
      return parse_error(parser,
                         "Protocol error: bulk string not followed by CRLF");
    if (reserve_args(parser, parser->argc + 1) < 0)
      return parse_error(parser, "Protocol error: out of memory");
    parser->spans[parser->argc].off = data;
    parser->spans[parser->argc].len = (size_t)bulk;
    parser->argc++;
    parser->pos = end + 2;
  }
  return finish_multibulk(parser, bytes, command);
}

static int is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Reads one word of an inline line starting at *at (not blank) into out,
 * as Redis's sdssplitargs does: "double quotes" with \n \r \t \b \a \xHH
 * escapes, 'single quotes' with \' only, a closing quote followed by a
 * blank or the end. Returns the word's length, or -1 for unbalanced
 * quotes. */
static long read_word(const char **at, const char *end, char *out) {
  const char *p = *at;
  long n = 0;
  int in_double = 0, in_single = 0;
  for (;;) {
    if (in_double) {
      if (p == end)
        return -1;
      if (*p == '\\' && end - p >= 4 && p[1] == 'x' && hex_digit(p[2]) >= 0 &&
          hex_digit(p[3]) >= 0) {
        out[n++] = (char)(hex_digit(p[2]) * 16 + hex_digit(p[3]));
        p += 4;
      } else if (*p == '\\' && end - p >= 2) {
        char c = p[1];
        out[n++] = c == 'n'   ? '\n'
                   : c == 'r' ? '\r'
                   : c == 't' ? '\t'
                   : c == 'b' ? '\b'
                   : c == 'a' ? '\a'
                              : c;
        p += 2;
      } else if (*p == '"') {
        if (end - p > 1 && !is_blank(p[1]))
          return -1;
        p++;
        break;
      } else {
        out[n++] = *p++;
      }
    } else if (in_single) {
      if (p == end)
        return -1;
      if (*p == '\\' && end - p >= 2 && p[1] == '\'') {
        out[n++] = '\'';
        p += 2;
      } else if (*p == '\'') {
        if (end - p > 1 && !is_blank(p[1]))
          return -1;
        p++;
        break;
      } else {
        out[n++] = *p++;
      }
    } else if (p == end || is_blank(*p)) {
      break;
    } else if (*p == '"') {
      in_double = 1;
      p++;
    } else if (*p == '\'') {
      in_single = 1;
      p++;
    } else {
      out[n++] = *p++;
    }
  }
  *at = p;
  return n;
}

static ssize_t parse_inline(resp_parser_t *parser, const char *bytes,
                            size_t len, resp_command_t *command) {
  const resp_limits_t *limits = &parser->limits;
  const char *newline = memchr(bytes + parser->pos, '\n', len - parser->pos);
  if (!newline) {
    if (len > limits->max_inline_bytes)
      return parse_error(parser, "Protocol error: too big inline request");
    parser->pos = len; /* nothing before here is a newline */
    return 0;
  }
  size_t line_len = (size_t)(newline - bytes);
  if (line_len > limits->max_inline_bytes)
    return parse_error(parser, "Protocol error: too big inline request");
  if (!parser->inline_buf) {
    parser->inline_buf = malloc(limits->max_inline_bytes);
    if (!parser->inline_buf)
      return parse_error(parser, "Protocol error: out of memory");
  }
  /* Words are decoded one after another into inline_buf; each is no
   * longer than its text, so the line's length bounds them all. */
  const char *p = bytes, *end = newline;
  size_t out = 0, argc = 0;
  for (;;) {
    while (p < end && is_blank(*p))
      p++;
    if (p == end)
      break;
    if (argc == limits->max_args)
      return parse_error(parser, "Protocol error: invalid multibulk length");
    long n = read_word(&p, end, parser->inline_buf + out);
    if (n < 0)
      return parse_error(parser,
                         "Protocol error: unbalanced quotes in request");
    if (reserve_args(parser, argc + 1) < 0)
      return parse_error(parser, "Protocol error: out of memory");
    parser->argv[argc].bytes = parser->inline_buf + out;
    parser->argv[argc].len = (size_t)n;
    out += (size_t)n;
    argc++;
  }
  resp_parser_reset(parser);
  command->argv = parser->argv;
  command->argc = argc;
  return (ssize_t)(line_len + 1);
}

ssize_t resp_parse(resp_parser_t *parser, const char *bytes, size_t len,
                   resp_command_t *command) {
  command->argc = 0;
  command->argv = parser->argv;
  if (len == 0 || len < parser->pos)
    return 0;
  if (bytes[0] == '*')
    return parse_multibulk(parser, bytes, len, command);
  return parse_inline(parser, bytes, len, command);
}

static int reply_reserve(resp_reply_t *reply, size_t more) {
  if (reply->failed)
    return UV_ENOMEM;
  if (reply->len + more <= reply->cap)
    return 0;
  size_t cap = reply->cap ? reply->cap : 1024;
  while (cap < reply->len + more)
    cap *= 2;
  char *bytes = realloc(reply->bytes, cap);
  if (!bytes) {
    reply->failed = 1;
    return UV_ENOMEM;
  }
  reply->bytes = bytes;
  reply->cap = cap;
  return 0;
}

static int reply_append(resp_reply_t *reply, const void *bytes, size_t len) {
  if (reply_reserve(reply, len) < 0)
    return UV_ENOMEM;
  memcpy(reply->bytes + reply->len, bytes, len);
  reply->len += len;
  return 0;
}

/* Appends type, then number, then CRLF: ":42\r\n", "$5\r\n", "*2\r\n". */
static int reply_header(resp_reply_t *reply, char type, long long number) {
  char line[32];
  int n = snprintf(line, sizeof line, "%c%lld\r\n", type, number);
  return reply_append(reply, line, (size_t)n);
}

int resp_reply_simple(resp_reply_t *reply, const char *text) {
  size_t len = strlen(text);
  if (reply_reserve(reply, len + 3) < 0)
    return UV_ENOMEM;
  reply_append(reply, "+", 1);
  reply_append(reply, text, len);
  return reply_append(reply, "\r\n", 2);
}

int resp_reply_error(resp_reply_t *reply, const char *format, ...) {
  char text[1024];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(text, sizeof text, format, args);
  va_end(args);
  size_t len = n < 0                     ? 0
               : (size_t)n < sizeof text ? (size_t)n
                                         : sizeof text - 1;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\r' || text[i] == '\n')
      text[i] = ' ';
  if (reply_reserve(reply, len + 3) < 0)
    return UV_ENOMEM;
  reply_append(reply, "-", 1);
  reply_append(reply, text, len);
  return reply_append(reply, "\r\n", 2);
}

int resp_reply_integer(resp_reply_t *reply, long long value) {
  return reply_header(reply, ':', value);
}

int resp_reply_bulk(resp_reply_t *reply, const void *bytes, size_t len) {
  if (reply_reserve(reply, len + 32) < 0)
    return UV_ENOMEM;
  reply_header(reply, '$', (long long)len);
  reply_append(reply, bytes, len);
  return reply_append(reply, "\r\n", 2);
}

int resp_reply_bulk_text(resp_reply_t *reply, const char *text) {
  return resp_reply_bulk(reply, text, strlen(text));
}

int resp_reply_null(resp_reply_t *reply) {
  return reply_append(reply, "$-1\r\n", 5);
}

int resp_reply_array(resp_reply_t *reply, size_t count) {
  return reply_header(reply, '*', (long long)count);
}

void resp_reply_close(resp_reply_t *reply) {
  reply->close_after = 1;
}

/* The first NUL ends an argument quoted in an error, as C strings end
 * Redis's, and at most max bytes of it are shown. */
static int quoted_len(const resp_arg_t *arg, size_t max) {
  const char *nul = memchr(arg->bytes, '\0', arg->len);
  size_t len = nul ? (size_t)(nul - arg->bytes) : arg->len;
  return (int)(len < max ? len : max);
}

int resp_reply_unknown_command(resp_reply_t *reply,
                               const resp_command_t *command) {
  char args[256];
  size_t used = 0;
  args[0] = '\0';
  for (size_t i = 1; i < command->argc && used < 128; i++) {
    int n = snprintf(args + used, sizeof args - used, "'%.*s' ",
                     quoted_len(&command->argv[i], 128 - used),
                     command->argv[i].bytes);
    used += (size_t)n;
  }
  return resp_reply_error(
      reply, "ERR unknown command '%.*s', with args beginning with: %s",
      quoted_len(&command->argv[0], 128), command->argv[0].bytes, args);
}

int resp_reply_wrong_arity(resp_reply_t *reply, const char *name) {
  char lower[64];
  size_t i = 0;
  for (; name[i] && i < sizeof lower - 1; i++)
    lower[i] =
        name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
  lower[i] = '\0';
  return resp_reply_error(
      reply, "ERR wrong number of arguments for '%s' command", lower);
}

int resp_arg_is(const resp_arg_t *arg, const char *text) {
  size_t len = strlen(text);
  if (arg->len != len)
    return 0;
  for (size_t i = 0; i < len; i++) {
    char a = arg->bytes[i], b = text[i];
    if (a >= 'A' && a <= 'Z')
      a = (char)(a + 32);
    if (b >= 'A' && b <= 'Z')
      b = (char)(b + 32);
    if (a != b)
      return 0;
  }
  return 1;
}

int resp_arg_integer(const resp_arg_t *arg, long long *value) {
  return parse_long_long(arg->bytes, arg->len, value) == 0 ? 0 : -EINVAL;
}

/* Hands the gathered replies to net. Returns 0 or a negative code. */
static int conn_flush(net_conn_t *conn, resp_conn_t *c);

resp_reply_t *resp_reply_defer(resp_reply_t *reply) {
  resp_conn_t *c = reply->conn;
  if (c == NULL || reply != &c->out || c->deferred)
    return NULL;
  resp_reply_t *deferred = calloc(1, sizeof *deferred);
  if (deferred == NULL)
    return NULL;
  /* What was answered before this command goes first. */
  if (conn_flush(c->conn, c) < 0 ||
      (deferred->place = net_conn_defer(c->conn)) == NULL) {
    free(deferred);
    return NULL;
  }
  c->deferred = 1;
  return deferred;
}

int resp_reply_finish(resp_reply_t *deferred) {
  int failed = deferred->failed;
  if (failed || deferred->len == 0) {
    free(deferred->bytes);
    deferred->bytes = NULL;
    deferred->len = deferred->cap = 0;
    deferred->failed = 0;
    resp_reply_error(deferred, failed ? "ERR out of memory"
                                      : "ERR the server had no answer");
  }
  int err = net_reply_send(deferred->place, deferred->bytes, deferred->len);
  free(deferred->bytes);
  free(deferred);
  return err;
}

static int conn_flush(net_conn_t *conn, resp_conn_t *c) {
  if (c->out.failed)
    return UV_ENOMEM;
  int err = c->out.len ? net_conn_send(conn, c->out.bytes, c->out.len) : 0;
  c->out.len = 0;
  return err;
}

/* Parses and answers every complete request in bytes, in order, until one
 * is incomplete or the client falls behind; replies go out in one write
 * per call (or per RESP_FLUSH_BYTES), which is what makes pipelining
 * cheap. A protocol error is answered, then the connection is closed. */
static ssize_t resp_on_data(net_conn_t *conn, const char *bytes, size_t len) {
  resp_conn_t *c = net_conn_data(conn);
  const resp_config_t *config = &c->server->config;
  size_t used = 0;
  while (used < len) {
    resp_command_t command;
    ssize_t n = resp_parse(&c->parser, bytes + used, len - used, &command);
    if (n == 0)
      break;
    if (n < 0) {
      resp_reply_error(&c->out, "ERR %s", c->parser.error);
      conn_flush(conn, c);
      net_conn_close(conn);
      return (ssize_t)len;
    }
    used += (size_t)n;
    if (command.argc == 0)
      continue;
    size_t before = c->out.len;
    c->deferred = 0;
    config->handler(&command, &c->out, config->handler_data);
    if (c->deferred) {
      c->deferred = 0;
      if (net_conn_congested(conn))
        break; /* too many answers outstanding: read on when they come */
      continue;
    }
    if (c->out.len == before)
      resp_reply_error(&c->out, "ERR the server had no answer");
    if (c->out.close_after) {
      conn_flush(conn, c);
      net_conn_close(conn);
      return (ssize_t)len;
    }
    if (c->out.len >= RESP_FLUSH_BYTES) {
      if (conn_flush(conn, c) < 0)
        return -1;
      if (net_conn_congested(conn))
        break;
    }
  }
  if (conn_flush(conn, c) < 0)
    return -1;
  return (ssize_t)used;
}

static int resp_on_open(net_conn_t *conn, void *data) {
  resp_server_t *server = data;
  resp_conn_t *c = calloc(1, sizeof *c);
  if (!c)
    return UV_ENOMEM;
  c->server = server;
  c->conn = conn;
  c->out.conn = c;
  resp_parser_init(&c->parser, &server->config.limits);
  net_conn_set_data(conn, c);
  return 0;
}

static void resp_on_close(net_conn_t *conn) {
  resp_conn_t *c = net_conn_data(conn);
  if (!c)
    return;
  resp_parser_free(&c->parser);
  free(c->out.bytes);
  free(c);
}

static const net_protocol_t resp_protocol = {resp_on_open, resp_on_data,
                                             resp_on_close};

int resp_server_create(resp_server_t **out, uv_loop_t *loop,
                       const resp_config_t *config) {
  *out = NULL;
  if (!config || !config->handler)
    return UV_EINVAL;
  resp_server_t *server = calloc(1, sizeof *server);
  if (!server)
    return UV_ENOMEM;
  server->config = *config;
  resp_limits_t *limits = &server->config.limits;
  apply_default_limits(limits);
  /* net must hold one whole request, plus a read of what follows it,
   * for the parser to answer a limit in RESP rather than net closing. */
  size_t need = limits->max_request_bytes > limits->max_inline_bytes
                    ? limits->max_request_bytes
                    : limits->max_inline_bytes;
  need += NET_READ_BYTES;
  if (server->config.net.max_input_bytes < need)
    server->config.net.max_input_bytes = need;
  int err = net_server_create(&server->net, loop, &server->config.net,
                              &resp_protocol, server);
  if (err < 0) {
    free(server);
    return err;
  }
  *out = server;
  return 0;
}

net_server_t *resp_server_net(resp_server_t *server) {
  return server->net;
}

void resp_server_destroy(resp_server_t *server) {
  if (!server)
    return;
  net_server_destroy(server->net);
  free(server);
}
