/* resp.h - RESP2 over net: requests parsed with hard limits, replies built. */
#ifndef SDKATA_RESP_H
#define SDKATA_RESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "net.h"

/* Defaults used where a resp_limits_t field is 0. */
/* The longest bulk string (an argument): the largest value a kata stores. */
#define RESP_DEFAULT_MAX_BULK_BYTES (1024 * 1024)
/* The most arguments in one request. */
#define RESP_DEFAULT_MAX_ARGS (64 * 1024)
/* The longest inline command line: Redis's PROTO_INLINE_MAX_SIZE. */
#define RESP_DEFAULT_MAX_INLINE_BYTES (64 * 1024)
/* The most bytes one request may take on the wire, all arguments counted. */
#define RESP_DEFAULT_MAX_REQUEST_BYTES (4 * 1024 * 1024)

/* What a request may hold; past any of them the request is a protocol
 * error. 0 means the default. */
typedef struct resp_limits {
  size_t max_bulk_bytes;
  size_t max_args;
  size_t max_inline_bytes;
  size_t max_request_bytes;
} resp_limits_t;

/* One argument of a command: binary-safe, not NUL-terminated. */
typedef struct resp_arg {
  const char *bytes;
  size_t len;
} resp_arg_t;

/* A complete command: argv[0] is its name as sent (any case). Everything it
 * points to lives until the next resp_parse or resp_parser_reset call on
 * the parser that made it (or until the handler returns, for a server). */
typedef struct resp_command {
  const resp_arg_t *argv;
  size_t argc; /* 0 only for an empty request, which a server skips */
} resp_command_t;

/* Where one multibulk argument sits in the request being parsed. */
typedef struct resp_span {
  size_t off, len;
} resp_span_t;

/* A request parser for one connection. Its fields are private. */
typedef struct resp_parser {
  resp_limits_t limits;
  const char *error; /* the last protocol error, without "ERR " */
  char error_buf[48];
  /* Progress through the request that starts at the first byte passed:
   * resp_parse resumes here when called again with more bytes. */
  size_t pos;      /* bytes of the request already parsed */
  size_t expected; /* multibulk: the element count; 0 before it is known */
  size_t argc;     /* arguments parsed so far */
  resp_span_t *spans;
  resp_arg_t *argv;
  size_t arg_cap;
  char *inline_buf; /* an inline line's arguments, unquoted */
} resp_parser_t;

/* Prepares a parser with limits (NULL: every default). Returns 0. */
int resp_parser_init(resp_parser_t *parser, const resp_limits_t *limits);

/* Frees what the parser allocated. */
void resp_parser_free(resp_parser_t *parser);

/* Forgets a partly parsed request. */
void resp_parser_reset(resp_parser_t *parser);

/* Parses one request from the len bytes at bytes: a multibulk array of bulk
 * strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") when the first byte is '*',
 * otherwise an inline line as typed into telnet ("GET k\r\n", words split
 * on blanks, "double" and 'single' quotes as Redis reads them).
 * Returns:
 *  > 0: that many bytes were one request; *command holds it, or has argc 0
 *       for an empty one (a blank line, "*0\r\n") to skip;
 *    0: the request is not complete: call again with the same bytes
 *       followed by more (the parser resumes where it stopped);
 *  < 0: a protocol error (UV_EPROTO), worded as Redis words it in
 *       parser->error ("Protocol error: invalid bulk length"). The
 *       connection cannot be resynchronised: answer and close it. */
ssize_t resp_parse(resp_parser_t *parser, const char *bytes, size_t len,
                   resp_command_t *command);

/* The replies to requests, appended to one buffer in order. Each function
 * adds one reply (resp_reply_array a header that the next count replies
 * complete) and returns 0 or UV_ENOMEM. */
typedef struct resp_reply {
  char *bytes;
  size_t len, cap;
  int failed;      /* an append ran out of memory */
  int close_after; /* resp_reply_close was called */
  /* The layer's own: the connection a handler's reply belongs to, and a
   * deferred reply's place in its order. */
  void *conn;
  struct net_reply *place;
} resp_reply_t;

/* "+text\r\n"; text must hold no CR or LF. */
int resp_reply_simple(resp_reply_t *reply, const char *text);

/* "-text\r\n", text formatted as printf does; it starts with the error's
 * code ("ERR ...", "WRONGTYPE ..."). CR and LF in it become spaces, as
 * Redis does, so an argument quoted in an error cannot break the reply. */
int resp_reply_error(resp_reply_t *reply, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* ":value\r\n". */
int resp_reply_integer(resp_reply_t *reply, long long value);

/* "$len\r\n" bytes "\r\n": a bulk string, copied. */
int resp_reply_bulk(resp_reply_t *reply, const void *bytes, size_t len);

/* A bulk string of NUL-terminated text. */
int resp_reply_bulk_text(resp_reply_t *reply, const char *text);

/* "$-1\r\n": the null bulk string (a miss). */
int resp_reply_null(resp_reply_t *reply);

/* "*count\r\n": an array whose count elements are the next replies. */
int resp_reply_array(resp_reply_t *reply, size_t count);

/* Closes the connection once this reply is written (QUIT). Not for a
 * deferred reply. */
void resp_reply_close(resp_reply_t *reply);

/* Defers the answer to the command being handled: returns a reply that the
 * handler, or a callback later on the loop's thread, fills with exactly
 * one reply and hands to resp_reply_finish; nothing more goes into reply
 * for this command. Replies to commands pipelined after it wait behind it
 * while other connections are served. Returns NULL when it cannot (out of
 * memory, a closing connection): then answer in reply at once. */
resp_reply_t *resp_reply_defer(resp_reply_t *reply);

/* Sends a deferred reply in its place and frees it. Returns 0, UV_EPIPE
 * when its client went away meanwhile (nothing is sent), or UV_ENOMEM. */
int resp_reply_finish(resp_reply_t *deferred);

/* "-ERR unknown command 'NAME', with args beginning with: 'a' 'b' ", as
 * Redis 7 words it. */
int resp_reply_unknown_command(resp_reply_t *reply,
                               const resp_command_t *command);

/* "-ERR wrong number of arguments for 'name' command", the name in lower
 * case (Redis's wording); for a subcommand name is "config|get". */
int resp_reply_wrong_arity(resp_reply_t *reply, const char *name);

/* True when arg is text, compared without regard to ASCII case. */
int resp_arg_is(const resp_arg_t *arg, const char *text);

/* Parses arg as a signed decimal integer as Redis does (no blanks, no '+',
 * no leading zeros). Returns 0, or -EINVAL when it is not one. */
int resp_arg_integer(const resp_arg_t *arg, long long *value);

/* Answers one command by appending exactly one reply. Runs on the loop's
 * thread, one command at a time; must not block. */
typedef void (*resp_handler_fn)(const resp_command_t *command,
                                resp_reply_t *reply, void *data);

/* A RESP server: where it listens, its limits, its handler. A request over
 * the limits, or malformed, is answered with "-ERR Protocol error: ..." and
 * the connection closed; other connections go on. net.max_input_bytes is
 * raised to hold a request of limits.max_request_bytes. */
typedef struct resp_config {
  net_config_t net;
  resp_limits_t limits;
  resp_handler_fn handler;
  void *handler_data;
} resp_config_t;

typedef struct resp_server resp_server_t;

/* Creates a RESP server on loop (which the caller owns and runs), listening
 * as config->net says. On success stores it in *out and returns 0; otherwise
 * a negative libuv code (UV_EINVAL without a handler). */
int resp_server_create(resp_server_t **out, uv_loop_t *loop,
                       const resp_config_t *config);

/* The server's network layer: for net_server_port, net_server_stop and
 * net_server_stats. Owned by the RESP server. */
net_server_t *resp_server_net(resp_server_t *server);

/* Frees the server, as net_server_destroy says (on the loop's thread). */
void resp_server_destroy(resp_server_t *server);

#endif /* SDKATA_RESP_H */
