/* resp_fuzz.c - libFuzzer target for the RESP request parser: any bytes,
 * under the default limits and under tiny ones, parse without a crash, a
 * leak or undefined behaviour; fed in pieces as net feeds them they parse
 * as they do whole; and every multibulk request it accepts reads the same
 * in hiredis's reader. A broken promise aborts, which libFuzzer reports
 * with the input that did it. */
#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

/* Inputs fed byte by byte are at most this long (the cost is quadratic in
 * the worst case); longer ones are fed in three pieces. */
#define BYTE_BY_BYTE_MAX 512

/* What a parse produced, written out so two parses can be compared: each
 * command as its argument count and each argument's length and bytes, and
 * the protocol error that ended it. */
typedef struct transcript {
  char *bytes;
  size_t len, cap;
} transcript_t;

static void add(transcript_t *t, const void *bytes, size_t len) {
  if (t->len + len > t->cap) {
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < t->len + len)
      cap *= 2;
    t->bytes = realloc(t->bytes, cap);
    if (!t->bytes)
      abort();
    t->cap = cap;
  }
  if (len)
    memcpy(t->bytes + t->len, bytes, len);
  t->len += len;
}

static void add_size(transcript_t *t, size_t value) {
  add(t, &value, sizeof value);
}

/* True when two transcripts hold the same bytes. */
static int same(const transcript_t *a, const transcript_t *b) {
  return a->len == b->len &&
         (a->len == 0 || memcmp(a->bytes, b->bytes, a->len) == 0);
}

static void check(int ok, const char *promise) {
  if (!ok) {
    fprintf(stderr, "resp_fuzz: broken promise: %s\n", promise);
    abort();
  }
}

/* Whatever hiredis's reader makes of the request's bytes is an array of
 * the same bulk strings. */
static void check_with_hiredis(const char *bytes, size_t len,
                               const resp_command_t *command) {
  redisReader *reader = redisReaderCreate();
  check(reader != NULL, "hiredis reader created");
  redisReaderFeed(reader, bytes, len);
  void *object = NULL;
  int rc = redisReaderGetReply(reader, &object);
  redisReply *reply = object;
  check(rc == REDIS_OK && reply != NULL, "hiredis reads an accepted request");
  check(reply->type == REDIS_REPLY_ARRAY && reply->elements == command->argc,
        "hiredis reads an array of as many elements");
  for (size_t i = 0; i < command->argc; i++) {
    const redisReply *e = reply->element[i];
    check(e->type == REDIS_REPLY_STRING &&
              (size_t)e->len == command->argv[i].len &&
              memcmp(e->str, command->argv[i].bytes, e->len) == 0,
          "hiredis reads the same bulk strings");
  }
  freeReplyObject(reply);
  redisReaderFree(reader);
}

/* Parses data as net would feed it: the bytes up to each of cuts in turn
 * (then all of them), handing back what was not consumed followed by the
 * next piece. Writes what it parsed into t. */
static void parse_in_pieces(const resp_limits_t *limits, const char *data,
                            size_t size, const size_t *cuts, size_t cut_count,
                            int use_oracle, transcript_t *t) {
  resp_parser_t parser;
  resp_parser_init(&parser, limits);
  size_t start = 0, have = 0;
  for (size_t piece = 0; piece <= cut_count && have < size; piece++) {
    size_t until = piece < cut_count ? cuts[piece] : size;
    if (until <= have)
      continue;
    have = until;
    for (;;) {
      resp_command_t command;
      ssize_t n = resp_parse(&parser, data + start, have - start, &command);
      if (n == 0)
        break;
      if (n < 0) {
        check(parser.error != NULL, "a protocol error has a message");
        add(t, "E", 1);
        add(t, parser.error, strlen(parser.error));
        resp_parser_free(&parser);
        return;
      }
      check((size_t)n <= have - start, "consumed bytes were given");
      add(t, "C", 1);
      add_size(t, command.argc);
      for (size_t i = 0; i < command.argc; i++) {
        add_size(t, command.argv[i].len);
        add(t, command.argv[i].bytes, command.argv[i].len);
      }
      if (use_oracle && command.argc > 0 && data[start] == '*')
        check_with_hiredis(data + start, (size_t)n, &command);
      start += (size_t)n;
    }
  }
  resp_parser_free(&parser);
}

/* Parses data whole, in three pieces, and byte by byte when short, under
 * limits; every way must give the same transcript. */
static void parse_every_way(const resp_limits_t *limits, const char *data,
                            size_t size) {
  transcript_t whole = {0}, split = {0};
  parse_in_pieces(limits, data, size, NULL, 0, 1, &whole);
  size_t thirds[2] = {size / 3, size * 2 / 3};
  parse_in_pieces(limits, data, size, thirds, 2, 0, &split);
  check(same(&split, &whole), "three pieces parse as the whole");
  if (size <= BYTE_BY_BYTE_MAX) {
    size_t cuts[BYTE_BY_BYTE_MAX];
    for (size_t i = 0; i < size; i++)
      cuts[i] = i + 1;
    split.len = 0;
    parse_in_pieces(limits, data, size, cuts, size, 0, &split);
    check(same(&split, &whole), "byte by byte parses as the whole");
  }
  free(whole.bytes);
  free(split.bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *bytes = (const char *)data;
  parse_every_way(NULL, bytes, size);
  resp_limits_t tiny = {.max_bulk_bytes = 16,
                        .max_args = 4,
                        .max_inline_bytes = 32,
                        .max_request_bytes = 64};
  parse_every_way(&tiny, bytes, size);
  return 0;
}
