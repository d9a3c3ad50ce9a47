/* test_resp.c - the RESP2 layer: the request parser (multibulk and inline,
 * split at every byte, its limits, bad input, hiredis's reader as the
 * oracle), the reply builders' exact bytes and Redis's wording, and a
 * server over real loopback sockets driven by hiredis and raw clients. */
#include <criterion/criterion.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "loop_thread.h"
#include "loopback_client.h"
#include "resp.h"
#include "rng.h"

/* Commands written out as text a test can compare: "[GET][k]" per command,
 * "<empty>" for an empty one, "<ERR message>" for a protocol error. */
typedef struct transcript {
  char text[64 * 1024];
  size_t len;
} transcript_t;

static void transcript_add(transcript_t *t, const char *bytes, size_t len) {
  cr_assert_lt(t->len + len, sizeof t->text, "transcript overflow");
  memcpy(t->text + t->len, bytes, len);
  t->len += len;
  t->text[t->len] = '\0';
}

static void transcript_command(transcript_t *t, const resp_command_t *c) {
  if (c->argc == 0)
    transcript_add(t, "<empty>", 7);
  for (size_t i = 0; i < c->argc; i++) {
    transcript_add(t, "[", 1);
    transcript_add(t, c->argv[i].bytes, c->argv[i].len);
    transcript_add(t, "]", 1);
  }
}

/* Feeds stream to a fresh parser as net does: chunk by chunk (each chunk
 * ends at the next of cuts, then at len), keeping what was not consumed
 * and handing it back followed by the next chunk. Writes what was parsed
 * into t. */
static void feed_like_net(const resp_limits_t *limits, const char *stream,
                          size_t len, const size_t *cuts, size_t cut_count,
                          transcript_t *t) {
  resp_parser_t parser;
  resp_parser_init(&parser, limits);
  static char held[256 * 1024];
  cr_assert_leq(len, sizeof held, "stream too long for the test");
  size_t have = 0, start = 0, next_cut = 0;
  t->len = 0;
  t->text[0] = '\0';
  while (have < len) {
    size_t until = next_cut < cut_count ? cuts[next_cut++] : len;
    if (until <= have)
      continue;
    memcpy(held + have, stream + have, until - have);
    have = until;
    for (;;) {
      resp_command_t command;
      ssize_t n = resp_parse(&parser, held + start, have - start, &command);
      if (n == 0)
        break;
      if (n < 0) {
        char error[128];
        int m = snprintf(error, sizeof error, "<ERR %s>", parser.error);
        transcript_add(t, error, (size_t)m);
        resp_parser_free(&parser);
        return;
      }
      transcript_command(t, &command);
      start += (size_t)n;
    }
  }
  resp_parser_free(&parser);
}

/* Parses stream in one piece and returns the transcript. */
static const char *parse_whole(const char *stream, size_t len,
                               const resp_limits_t *limits) {
  static transcript_t t;
  feed_like_net(limits, stream, len, NULL, 0, &t);
  return t.text;
}

#define PARSES_TO(stream, expected)                                            \
  do {                                                                         \
    const char *got_ = parse_whole(stream, sizeof stream - 1, NULL);           \
    cr_assert_str_eq(got_, expected, "parsing \"%s\"", stream);                \
  } while (0)

Test(resp_parser, multibulk_command_is_split_into_its_arguments) {
  PARSES_TO("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", "[SET][k][hello]");
  PARSES_TO("*1\r\n$4\r\nPING\r\n", "[PING]");
  PARSES_TO("*2\r\n$3\r\nGET\r\n$0\r\n\r\n", "[GET][]");
}

Test(resp_parser, bulk_strings_are_binary_safe) {
  static const char stream[] = "*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\0b\n\r\n";
  resp_parser_t parser;
  resp_parser_init(&parser, NULL);
  resp_command_t command;
  ssize_t n = resp_parse(&parser, stream, sizeof stream - 1, &command);
  cr_assert_eq(n, (ssize_t)sizeof stream - 1, "consumed %zd of %zu", n,
               sizeof stream - 1);
  cr_assert_eq(command.argc, 2);
  cr_assert(command.argv[1].len == 6 &&
                memcmp(command.argv[1].bytes, "a\r\n\0b\n", 6) == 0,
            "the value with CR, LF and NUL in it came back as %zu bytes",
            command.argv[1].len);
  resp_parser_free(&parser);
}

Test(resp_parser, inline_commands_are_read_as_redis_reads_them) {
  PARSES_TO("SET k v\r\n", "[SET][k][v]");
  PARSES_TO("  get   k  \n", "[get][k]");
  PARSES_TO("SET k \"two words\"\r\n", "[SET][k][two words]");
  PARSES_TO("SET k \"\\x41\\tb\\\"\"\r\n", "[SET][k][A\tb\"]");
  PARSES_TO("SET k 'it\\'s'\r\n", "[SET][k][it's]");
  PARSES_TO("SET k \"\"\r\n", "[SET][k][]");
  PARSES_TO("\r\n\nPING\r\n", "<empty><empty>[PING]");
}

Test(resp_parser, empty_multibulk_is_skipped_as_redis_does) {
  PARSES_TO("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", "<empty><empty>[PING]");
}

Test(resp_parser, malformed_requests_are_protocol_errors_worded_as_redis) {
  PARSES_TO("*x\r\n", "<ERR Protocol error: invalid multibulk length>");
  PARSES_TO("*01\r\n", "<ERR Protocol error: invalid multibulk length>");
  PARSES_TO("*1\r\n+PING\r\n", "<ERR Protocol error: expected '$', got '+'>");
  PARSES_TO("*1\r\n$x\r\n", "<ERR Protocol error: invalid bulk length>");
  PARSES_TO("*1\r\n$-1\r\n", "<ERR Protocol error: invalid bulk length>");
  PARSES_TO("*1\r\n$4\r\nPINGxx", "<ERR Protocol error: bulk string not "
                                  "followed by CRLF>");
  PARSES_TO("*1\r\n$4\rxPING\r\n", "<ERR Protocol error: invalid bulk length>");
  PARSES_TO("*11111111111111111111111111111111111",
            "<ERR Protocol error: too big mbulk count string>");
  PARSES_TO("*1\r\n$1111111111111111111111111111111111111",
            "<ERR Protocol error: too big bulk count string>");
  PARSES_TO("*99999999999999999999\r\n",
            "<ERR Protocol error: invalid multibulk length>");
  PARSES_TO("SET k \"open\r\n",
            "<ERR Protocol error: unbalanced quotes in request>");
  PARSES_TO("SET k \"a\"b\r\n",
            "<ERR Protocol error: unbalanced quotes in request>");
  PARSES_TO("SET k 'open\r\n",
            "<ERR Protocol error: unbalanced quotes in request>");
}

Test(resp_parser, limits_are_protocol_errors_before_the_bytes_arrive) {
  resp_limits_t limits = {.max_bulk_bytes = 8,
                          .max_args = 3,
                          .max_inline_bytes = 16,
                          .max_request_bytes = 40};
  struct {
    const char *stream, *expected;
  } cases[] = {
      /* Only the header arrived: the limit is seen before the value. */
      {"*2\r\n$3\r\nSET\r\n$9\r\n",
       "<ERR Protocol error: invalid bulk length>"},
      {"*2\r\n$3\r\nSET\r\n$8\r\n12345678\r\n", "[SET][12345678]"},
      {"*4\r\n", "<ERR Protocol error: invalid multibulk length>"},
      {"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "[a][b][c]"},
      {"*3\r\n$8\r\n12345678\r\n$8\r\n12345678\r\n$8\r\n",
       "<ERR Protocol error: request too large>"},
      {"PING 123456789012", "<ERR Protocol error: too big inline request>"},
      {"PING 1234567890123\r\n",
       "<ERR Protocol error: too big inline request>"},
      {"PING 123456789\r\n", "[PING][123456789]"},
      {"a b c d\r\n", "<ERR Protocol error: invalid multibulk length>"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got =
        parse_whole(cases[i].stream, strlen(cases[i].stream), &limits);
    cr_assert_str_eq(got, cases[i].expected,
                     "limits bulk 8, args 3, inline 16, request 40: "
                     "parsing \"%s\"",
                     cases[i].stream);
  }
}

Test(resp_parser, defaults_take_a_value_of_one_mebibyte_and_no_more) {
  static char stream[1024 * 1024 + 64];
  resp_parser_t parser;
  resp_parser_init(&parser, NULL);
  resp_command_t command;
  int head = snprintf(stream, sizeof stream, "*1\r\n$%d\r\n", 1024 * 1024);
  memset(stream + head, 'v', 1024 * 1024);
  memcpy(stream + head + 1024 * 1024, "\r\n", 2);
  size_t len = (size_t)head + 1024 * 1024 + 2;
  ssize_t n = resp_parse(&parser, stream, len, &command);
  cr_assert(n == (ssize_t)len && command.argc == 1 &&
                command.argv[0].len == 1024 * 1024,
            "a bulk of exactly 1 MiB: got %zd (%s)", n,
            n < 0 ? parser.error : "ok");
  head = snprintf(stream, sizeof stream, "*1\r\n$%d\r\n", 1024 * 1024 + 1);
  n = resp_parse(&parser, stream, (size_t)head, &command);
  cr_assert(
      n < 0 && strcmp(parser.error, "Protocol error: invalid bulk length") == 0,
      "a bulk of 1 MiB + 1: expected invalid bulk length, got %zd", n);
  resp_parser_free(&parser);
}

/* A pipeline mixing every form, fed split at every byte, and byte by byte,
 * must parse as it does whole. */
Test(resp_parser, pipelined_input_split_at_every_byte_parses_the_same) {
  static const char stream[] =
      "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\nab\r\ncd\0efg\r\n"
      "PING\r\n"
      "*0\r\n"
      "ECHO \"quoted \\x41\" 'single'\n"
      "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"
      "\r\n"
      "*1\r\n$4\r\nQUIT\r\n";
  size_t len = sizeof stream - 1;
  static transcript_t whole, split;
  feed_like_net(NULL, stream, len, NULL, 0, &whole);
  static const char expected[] =
      "[SET][key][ab\r\ncd\0efg][PING]<empty>[ECHO][quoted A][single]"
      "[GET][key]<empty>[QUIT]";
  cr_assert(whole.len == sizeof expected - 1 &&
                memcmp(whole.text, expected, whole.len) == 0,
            "whole pipeline parsed as \"%s\"", whole.text);
  for (size_t cut = 1; cut < len; cut++) {
    feed_like_net(NULL, stream, len, &cut, 1, &split);
    cr_assert(split.len == whole.len &&
                  memcmp(split.text, whole.text, whole.len) == 0,
              "split after byte %zu: got \"%s\", expected \"%s\"", cut,
              split.text, whole.text);
  }
  static size_t every[sizeof stream];
  for (size_t i = 0; i < len; i++)
    every[i] = i + 1;
  feed_like_net(NULL, stream, len, every, len, &split);
  cr_assert(
      split.len == whole.len && memcmp(split.text, whole.text, whole.len) == 0,
      "byte by byte: got \"%s\", expected \"%s\"", split.text, whole.text);
}

/* Whatever the parser accepts as a multibulk request, hiredis's reader
 * reads as the same array of bulk strings (seeded random requests). */
Test(resp_parser, multibulk_requests_read_the_same_in_hiredis) {
  const uint64_t seed = 7;
  rng_t rng;
  rng_seed(&rng, seed);
  static char stream[8192];
  for (int round = 0; round < 2000; round++) {
    size_t argc = 1 + rng_below(&rng, 6), len = 0;
    len += (size_t)snprintf(stream, sizeof stream, "*%zu\r\n", argc);
    for (size_t i = 0; i < argc; i++) {
      size_t arg_len = rng_below(&rng, 40);
      len += (size_t)snprintf(stream + len, sizeof stream - len, "$%zu\r\n",
                              arg_len);
      for (size_t b = 0; b < arg_len; b++)
        stream[len++] = (char)rng_below(&rng, 256);
      stream[len++] = '\r';
      stream[len++] = '\n';
    }
    resp_parser_t parser;
    resp_parser_init(&parser, NULL);
    resp_command_t command;
    ssize_t n = resp_parse(&parser, stream, len, &command);
    cr_assert_eq(n, (ssize_t)len, "round %d (seed %llu): parsed %zd of %zu",
                 round, (unsigned long long)seed, n, len);
    redisReader *reader = redisReaderCreate();
    redisReaderFeed(reader, stream, len);
    void *object = NULL;
    cr_assert_eq(redisReaderGetReply(reader, &object), REDIS_OK);
    redisReply *reply = object;
    cr_assert(reply && reply->type == REDIS_REPLY_ARRAY &&
                  reply->elements == command.argc,
              "round %d (seed %llu): hiredis read another shape", round,
              (unsigned long long)seed);
    for (size_t i = 0; i < command.argc; i++)
      cr_assert(reply->element[i]->type == REDIS_REPLY_STRING &&
                    (size_t)reply->element[i]->len == command.argv[i].len &&
                    memcmp(reply->element[i]->str, command.argv[i].bytes,
                           command.argv[i].len) == 0,
                "round %d (seed %llu): argument %zu differs from hiredis's",
                round, (unsigned long long)seed, i);
    freeReplyObject(reply);
    redisReaderFree(reader);
    resp_parser_free(&parser);
  }
}

/* The bytes a reply builder made, as a C string. */
static const char *reply_text(resp_reply_t *reply) {
  static char text[1024];
  size_t len = reply->len < sizeof text - 1 ? reply->len : sizeof text - 1;
  memcpy(text, reply->bytes, len);
  text[len] = '\0';
  reply->len = 0;
  return text;
}

Test(resp_reply, each_type_is_written_as_resp2) {
  resp_reply_t reply = {0};
  resp_reply_simple(&reply, "OK");
  cr_assert_str_eq(reply_text(&reply), "+OK\r\n");
  resp_reply_error(&reply, "ERR %s", "bad\r\nthing");
  cr_assert_str_eq(reply_text(&reply), "-ERR bad  thing\r\n",
                   "CR and LF inside an error must become spaces");
  resp_reply_integer(&reply, -42);
  cr_assert_str_eq(reply_text(&reply), ":-42\r\n");
  resp_reply_bulk(&reply, "a\r\nb", 4);
  cr_assert_str_eq(reply_text(&reply), "$4\r\na\r\nb\r\n");
  resp_reply_bulk(&reply, "", 0);
  cr_assert_str_eq(reply_text(&reply), "$0\r\n\r\n");
  resp_reply_null(&reply);
  cr_assert_str_eq(reply_text(&reply), "$-1\r\n");
  resp_reply_array(&reply, 2);
  resp_reply_bulk_text(&reply, "x");
  resp_reply_integer(&reply, 1);
  cr_assert_str_eq(reply_text(&reply), "*2\r\n$1\r\nx\r\n:1\r\n");
  free(reply.bytes);
}

Test(resp_reply, command_errors_are_worded_as_redis_7) {
  resp_reply_t reply = {0};
  resp_arg_t args[] = {{"FOO", 3}, {"a", 1}, {"b c", 3}};
  resp_reply_unknown_command(&reply, &(resp_command_t){args, 3});
  cr_assert_str_eq(reply_text(&reply),
                   "-ERR unknown command 'FOO', with args beginning with: "
                   "'a' 'b c' \r\n");
  resp_reply_unknown_command(&reply, &(resp_command_t){args, 1});
  cr_assert_str_eq(reply_text(&reply),
                   "-ERR unknown command 'FOO', with args beginning with: "
                   "\r\n");
  resp_reply_wrong_arity(&reply, "GET");
  cr_assert_str_eq(reply_text(&reply),
                   "-ERR wrong number of arguments for 'get' command\r\n");
  free(reply.bytes);
}

Test(resp_reply, integers_are_read_as_redis_reads_them) {
  struct {
    const char *text;
    int ok;
    long long value;
  } cases[] = {{"0", 1, 0},
               {"10", 1, 10},
               {"-7", 1, -7},
               {"9223372036854775807", 1, INT64_MAX},
               {"-9223372036854775808", 1, INT64_MIN},
               {"9223372036854775808", 0, 0},
               {"", 0, 0},
               {"+1", 0, 0},
               {"01", 0, 0},
               {"1 ", 0, 0},
               {"-", 0, 0},
               {"-0", 0, 0},
               {"1.5", 0, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    resp_arg_t arg = {cases[i].text, strlen(cases[i].text)};
    long long value = 0;
    int rc = resp_arg_integer(&arg, &value);
    cr_assert(cases[i].ok ? rc == 0 && value == cases[i].value : rc == -EINVAL,
              "resp_arg_integer(\"%s\") returned %d (%lld)", cases[i].text, rc,
              value);
  }
  cr_assert(resp_arg_is(&(resp_arg_t){"GeT", 3}, "get"));
  cr_assert(!resp_arg_is(&(resp_arg_t){"GETX", 4}, "get"));
}

/* The server's handler: PING, ECHO x, BIG (256 KiB), QUIT; SLOW, whose
 * reply waits (deferred) until RELEASE, which answers how many it
 * released; SEEN, how many ECHOs were handled; anything else is an unknown
 * command. Everything runs on the server's loop thread. */
#define BIG_REPLY (256 * 1024)
#define MAX_HELD 16

static resp_reply_t *held[MAX_HELD];
static int held_count, slow_count, echo_count;

static void release_held(resp_reply_t *reply) {
  int released = 0;
  for (int i = 0; i < held_count; i++) {
    resp_reply_simple(held[i], i == 0 ? "SLOW 1" : "SLOW 2");
    released += resp_reply_finish(held[i]) == 0;
  }
  held_count = 0;
  resp_reply_integer(reply, released);
}

static void test_handler(const resp_command_t *command, resp_reply_t *reply,
                         void *data) {
  (void)data;
  const resp_arg_t *name = &command->argv[0];
  if (resp_arg_is(name, "slow") && held_count < MAX_HELD) {
    slow_count++;
    resp_reply_t *later = resp_reply_defer(reply);
    if (later == NULL)
      resp_reply_error(reply, "ERR could not defer");
    else
      held[held_count++] = later;
  } else if (resp_arg_is(name, "release")) {
    release_held(reply);
  } else if (resp_arg_is(name, "seen")) {
    resp_reply_integer(reply, echo_count);
  } else if (resp_arg_is(name, "ping")) {
    resp_reply_simple(reply, "PONG");
  } else if (resp_arg_is(name, "echo")) {
    echo_count++;
    if (command->argc != 2)
      resp_reply_wrong_arity(reply, "echo");
    else
      resp_reply_bulk(reply, command->argv[1].bytes, command->argv[1].len);
  } else if (resp_arg_is(name, "big")) {
    static char big[BIG_REPLY];
    memset(big, 'b', sizeof big);
    resp_reply_bulk(reply, big, sizeof big);
  } else if (resp_arg_is(name, "quit")) {
    resp_reply_simple(reply, "OK");
    resp_reply_close(reply);
  } else {
    resp_reply_unknown_command(reply, command);
  }
}

/* A server running its own loop in a thread (loop_thread.h). */
typedef struct server {
  loop_thread_t thread;
  resp_server_t *resp;
} server_t;

static int server_start(server_t *s, resp_config_t config) {
  config.handler = test_handler;
  loop_thread_init(&s->thread);
  int err = resp_server_create(&s->resp, &s->thread.loop, &config);
  cr_assert_eq(err, 0, "resp_server_create returned %s; expected 0",
               uv_strerror(err));
  loop_thread_start(&s->thread);
  return net_server_port(resp_server_net(s->resp));
}

static void server_stop(server_t *s) {
  net_server_stop(resp_server_net(s->resp));
  loop_thread_join(&s->thread);
  resp_server_destroy(s->resp);
  loop_thread_close(&s->thread);
}

static redisContext *hiredis_connect(int port) {
  struct timeval timeout = {5, 0};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  cr_assert(c && !c->err, "hiredis could not connect to port %d: %s", port,
            c ? c->errstr : "no context");
  redisSetTimeout(c, timeout);
  return c;
}

Test(resp_server, hiredis_pipeline_is_answered_in_order, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (resp_config_t){0});
  redisContext *c = hiredis_connect(port);
  enum { COUNT = 200 };
  for (int i = 0; i < COUNT; i++)
    redisAppendCommand(c, "ECHO %d", i);
  for (int i = 0; i < COUNT; i++) {
    redisReply *reply = NULL;
    cr_assert_eq(redisGetReply(c, (void **)&reply), REDIS_OK,
                 "reply %d of %d pipelined: %s", i, COUNT, c->errstr);
    char want[16];
    snprintf(want, sizeof want, "%d", i);
    cr_assert(reply->type == REDIS_REPLY_STRING &&
                  strcmp(reply->str, want) == 0,
              "pipelined ECHO %d answered \"%s\"", i,
              reply->str ? reply->str : "(not a string)");
    freeReplyObject(reply);
  }
  redisFree(c);
  server_stop(&s);
}

Test(resp_server, unknown_command_and_wrong_arity_keep_the_connection,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (resp_config_t){0});
  redisContext *c = hiredis_connect(port);
  redisReply *reply = redisCommand(c, "NOPE a b");
  cr_assert(reply && reply->type == REDIS_REPLY_ERROR &&
                strcmp(reply->str, "ERR unknown command 'NOPE', with args "
                                   "beginning with: 'a' 'b' ") == 0,
            "NOPE a b answered \"%s\"", reply ? reply->str : c->errstr);
  freeReplyObject(reply);
  reply = redisCommand(c, "ECHO");
  cr_assert(reply && reply->type == REDIS_REPLY_ERROR &&
                strcmp(reply->str,
                       "ERR wrong number of arguments for 'echo' command") == 0,
            "ECHO without argument answered \"%s\"",
            reply ? reply->str : c->errstr);
  freeReplyObject(reply);
  reply = redisCommand(c, "PING");
  cr_assert(reply && reply->type == REDIS_REPLY_STATUS &&
                strcmp(reply->str, "PONG") == 0,
            "PING after two errors: \"%s\"", reply ? reply->str : c->errstr);
  freeReplyObject(reply);
  redisFree(c);
  server_stop(&s);
}

Test(resp_server, protocol_error_is_answered_then_closed_and_others_go_on,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (resp_config_t){0});
  redisContext *other = hiredis_connect(port);
  int fd = client_connect(port, 0);
  static const char bad[] = "PING\r\n*1\r\n$99999999\r\nnever read";
  client_send(fd, bad, sizeof bad - 1);
  static const char want[] =
      "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n";
  char got[256];
  size_t n = client_recv(fd, got, sizeof want - 1, 5000);
  cr_assert(n == sizeof want - 1 && memcmp(got, want, n) == 0,
            "sent PING then a bulk of 99999999 bytes: expected \"+PONG\", "
            "the error, then a close; got \"%.*s\"",
            (int)n, got);
  cr_assert(client_sees_close(fd, 5000),
            "the connection stayed open after a protocol error");
  close(fd);
  redisReply *reply = redisCommand(other, "ECHO %s", "still here");
  cr_assert(reply && reply->type == REDIS_REPLY_STRING &&
                strcmp(reply->str, "still here") == 0,
            "another client after the protocol error: \"%s\"",
            reply ? reply->str : other->errstr);
  freeReplyObject(reply);
  redisFree(other);
  server_stop(&s);
}

Test(resp_server, half_a_command_blocks_no_one_and_times_out, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (resp_config_t){.net = {.idle_timeout_ms = 300}});
  int silent = client_connect(port, 0);
  static const char half[] = "*2\r\n$4\r\nECHO\r\n$10\r\nhal";
  client_send(silent, half, sizeof half - 1);
  redisContext *c = hiredis_connect(port);
  redisReply *reply = redisCommand(c, "PING");
  cr_assert(reply && reply->type == REDIS_REPLY_STATUS,
            "PING while another client sent half a command: \"%s\"",
            reply ? reply->str : c->errstr);
  freeReplyObject(reply);
  redisFree(c);
  cr_assert(client_sees_close(silent, 5000),
            "a client silent after half a command was not closed by the "
            "300 ms idle timeout");
  close(silent);
  server_stop(&s);
}

Test(resp_server, inline_commands_and_quit_work_over_a_socket, .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (resp_config_t){0});
  int fd = client_connect(port, 0);
  static const char typed[] = "ping\r\necho \"hi there\"\r\nquit\r\nping\r\n";
  client_send(fd, typed, sizeof typed - 1);
  static const char want[] = "+PONG\r\n$8\r\nhi there\r\n+OK\r\n";
  char got[256];
  size_t n = client_recv(fd, got, sizeof got, 5000);
  cr_assert(n == sizeof want - 1 && memcmp(got, want, n) == 0,
            "typed ping, echo, quit, ping: expected \"%s\" then a close; "
            "got \"%.*s\"",
            want, (int)n, got);
  close(fd);
  server_stop(&s);
}

Test(resp_server, slow_reader_gets_every_big_reply, .timeout = 30) {
  static server_t s;
  int port = server_start(
      &s, (resp_config_t){.net = {.max_pending_bytes = 64 * 1024}});
  int fd = client_connect(port, 16 * 1024);
  enum { COUNT = 20 };
  for (int i = 0; i < COUNT; i++)
    client_send(fd, "BIG\r\n", 5);
  sleep_ms(200);
  size_t per = BIG_REPLY + 11; /* "$262144\r\n", the bytes, "\r\n" */
  static char got[COUNT * (BIG_REPLY + 11)];
  size_t n = client_recv(fd, got, sizeof got, 10000);
  cr_assert_eq(n, COUNT * per,
               "20 pipelined BIG read slowly: expected %zu bytes, got %zu",
               (size_t)COUNT * per, n);
  net_stats_t stats;
  net_server_stats(resp_server_net(s.resp), &stats);
  cr_assert_gt(stats.read_pauses, 0,
               "a client that did not read never paused the server");
  close(fd);
  server_stop(&s);
}

/* Asks b, until it says want (or 5 s pass), how many ECHOs the server has
 * handled; returns the last answer. */
static long long wait_for_echoes(redisContext *b, long long want) {
  long long seen = -1;
  uint64_t deadline = clock_monotonic_ns() + 5000000000ULL;
  while (seen != want && clock_monotonic_ns() < deadline) {
    redisReply *reply = redisCommand(b, "SEEN");
    cr_assert(reply != NULL && reply->type == REDIS_REPLY_INTEGER,
              "SEEN on a second connection got no integer: %s", b->errstr);
    seen = reply->integer;
    freeReplyObject(reply);
    if (seen != want)
      sleep_ms(5);
  }
  return seen;
}

Test(resp_server, a_deferred_reply_keeps_its_place_while_others_are_served,
     .timeout = 20) {
  static server_t s;
  int port = server_start(&s, (resp_config_t){0});
  int a = client_connect(port, 0);
  const char pipeline[] = "SLOW\r\nECHO a\r\nSLOW\r\nECHO b\r\n";
  cr_assert_eq(send(a, pipeline, sizeof pipeline - 1, 0),
               (ssize_t)(sizeof pipeline - 1));
  redisContext *b = hiredis_connect(port);
  long long seen = wait_for_echoes(b, 2);
  cr_assert_eq(seen, 2,
               "connection A pipelined SLOW, ECHO a, SLOW, ECHO b; a second "
               "connection asking SEEN should be served meanwhile and hear "
               "that both ECHOs were handled; it heard %lld",
               seen);
  char early[64];
  cr_assert_eq(recv(a, early, sizeof early, MSG_DONTWAIT), -1,
               "A's first command is a SLOW not yet answered: nothing may "
               "reach A before it (its ECHO replies wait behind it)");
  redisReply *released = redisCommand(b, "RELEASE");
  cr_assert(released != NULL && released->type == REDIS_REPLY_INTEGER &&
                released->integer == 2,
            "RELEASE should answer the 2 deferred SLOWs");
  freeReplyObject(released);
  const char want[] = "+SLOW 1\r\n$1\r\na\r\n+SLOW 2\r\n$1\r\nb\r\n";
  char got[128] = "";
  size_t n = client_recv(a, got, sizeof want - 1, 5000);
  cr_assert(n == sizeof want - 1 && memcmp(got, want, n) == 0,
            "A's replies, once the SLOWs were answered, should come in the "
            "order asked: expected \"%s\", got %zu bytes \"%.*s\"",
            want, n, (int)n, got);
  close(a);
  redisFree(b);
  server_stop(&s);
}

Test(resp_server, a_deferred_reply_whose_client_left_is_dropped,
     .timeout = 20) {
  static server_t s;
  /* Writing to a client that left raises SIGPIPE; servers ignore it. */
  signal(SIGPIPE, SIG_IGN);
  int port = server_start(&s, (resp_config_t){0});
  int a = client_connect(port, 0);
  const char pipeline[] = "SLOW\r\nECHO a\r\n";
  cr_assert_eq(send(a, pipeline, sizeof pipeline - 1, 0),
               (ssize_t)(sizeof pipeline - 1));
  redisContext *b = hiredis_connect(port);
  cr_assert_eq(wait_for_echoes(b, 1), 1, "A's ECHO should be handled");
  close(a);
  /* A is gone; the server may not have noticed yet: either way RELEASE
   * must not crash, and answers how many still had a client. */
  redisReply *released = redisCommand(b, "RELEASE");
  cr_assert(released != NULL && released->type == REDIS_REPLY_INTEGER &&
                released->integer <= 1,
            "RELEASE after A left should answer 0 or 1, and the server "
            "stay up");
  freeReplyObject(released);
  redisReply *pong = redisCommand(b, "PING");
  cr_assert(pong != NULL && pong->type == REDIS_REPLY_STATUS &&
                strcmp(pong->str, "PONG") == 0,
            "the server should go on serving after a deferred reply's "
            "client left");
  freeReplyObject(pong);
  redisFree(b);
  server_stop(&s);
}
