/* verdict.c - the load table's verdict: a throughput ratio with its spread
 * over the interleaved rounds, words that call a tie when the rounds
 * disagree, and advice only from what was measured. */
#include "verdict.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The verdict's bands, fastest first: a ratio at or above floor earns
 * words. */
static const struct band {
  double floor;
  const char *words;
} bands[] = {
    {0.9, "on par with the reference"},
    {0.5, "within 2x of the reference"},
    {0.1, "well behind the reference"},
    {0.0, "an order of magnitude behind the reference"},
};
#define BAND_COUNT (sizeof bands / sizeof bands[0])

/* Advice needs a difference no noise makes: the tail's spread (p99 over
 * p50) this many times the reference's, bytes per key this many times. */
#define CONTENTION_FACTOR 4.0
#define MEMORY_FACTOR 2.0
#define MEMORY_MIN_EXTRA_BYTES 32
#define CALL_COST_FACTOR 2.0

static size_t band_of(double ratio) {
  size_t i = 0;
  while (i + 1 < BAND_COUNT && ratio < bands[i].floor)
    i++;
  return i;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int verdict_ratio(const report_load_row_t *mine, const report_load_row_t *base,
                  verdict_ratio_t *out) {
  double ratios[REPORT_MAX_ROUNDS];
  unsigned count = 0;
  unsigned rounds = mine->rounds < base->rounds ? mine->rounds : base->rounds;
  for (unsigned r = 0; r < rounds && r < REPORT_MAX_ROUNDS; r++)
    if (mine->round_ops[r] > 0 && base->round_ops[r] > 0)
      ratios[count++] = mine->round_ops[r] / base->round_ops[r];
  memset(out, 0, sizeof *out);
  if (count == 0)
    return -EINVAL;
  qsort(ratios, count, sizeof *ratios, compare_doubles);
  out->rounds = count;
  out->low = ratios[0];
  out->high = ratios[count - 1];
  out->median = count % 2 ? ratios[count / 2]
                          : (ratios[count / 2 - 1] + ratios[count / 2]) / 2;
  return 0;
}

/* Appends printf-style text at buf's end, as far as it fits. */
static void say(char *buf, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t size, const char *format, ...) {
  size_t length = strlen(buf);
  if (length + 1 >= size)
    return;
  va_list args;
  va_start(args, format);
  vsnprintf(buf + length, size - length, format, args);
  va_end(args);
}

/* What the measured figures point at, if anything. */
static void say_advice(const report_load_row_t *mine,
                       const report_load_row_t *ref, unsigned threads,
                       const verdict_ratio_t *ratio, char *buf, size_t size) {
  char mine_p50[16], ref_p50[16];
  if (threads > 1 && mine->p50 > 0 && ref->p50 > 0 && ref->p99 > 0) {
    double mine_tail = (double)mine->p99 / (double)mine->p50;
    double ref_tail = (double)ref->p99 / (double)ref->p50;
    if (mine_tail >= CONTENTION_FACTOR * ref_tail && mine->p99 > ref->p99)
      say(buf, size,
          "; its p99 is %.0fx its p50 on %u threads where the reference's "
          "is %.0fx: calls wait for each other (a lock held across the "
          "whole call, or one lock for every key)",
          mine_tail, threads, ref_tail);
  }
  if (mine->bytes_per_key > 0 && ref->bytes_per_key > 0 &&
      (double)mine->bytes_per_key >=
          MEMORY_FACTOR * (double)ref->bytes_per_key &&
      mine->bytes_per_key - ref->bytes_per_key >= MEMORY_MIN_EXTRA_BYTES)
    say(buf, size,
        "; it keeps %lld bytes per key where the reference keeps %lld: look "
        "at the memory layout (an allocation per key, padding, capacity "
        "left unused)",
        (long long)mine->bytes_per_key, (long long)ref->bytes_per_key);
  if (ratio->high < bands[1].floor && mine->p50 > 0 && ref->p50 > 0 &&
      (double)mine->p50 >= CALL_COST_FACTOR * (double)ref->p50)
    say(buf, size,
        "; a call takes %s at p50 where the reference's takes %s: the work "
        "of each call itself (a scan, an allocation, hashing)",
        report_format_ns(mine->p50, mine_p50, sizeof mine_p50),
        report_format_ns(ref->p50, ref_p50, sizeof ref_p50));
}

void verdict_write(const report_load_row_t *mine, const report_load_row_t *ref,
                   unsigned threads, char *buf, size_t size) {
  buf[0] = '\0';
  verdict_ratio_t ratio;
  if (verdict_ratio(mine, ref, &ratio) != 0) {
    say(buf, size,
        "%s and the reference were not measured in the same "
        "rounds: no ratio",
        mine->label);
    return;
  }
  double tail = ref->p99 > 0 ? (double)mine->p99 / (double)ref->p99 : 0;
  say(buf, size,
      "%s runs at %.2fx the reference's throughput (%.2fx–%.2fx over %u "
      "rounds), p99 %.1fx the reference's - ",
      mine->label, ratio.median, ratio.low, ratio.high, ratio.rounds, tail);
  size_t fast = band_of(ratio.high), slow = band_of(ratio.low);
  if (fast == slow)
    say(buf, size, "%s", bands[fast].words);
  else
    say(buf, size,
        "a tie within noise between \"%s\" and \"%s\" (more rounds= "
        "narrow it)",
        bands[slow].words, bands[fast].words);
  say_advice(mine, ref, threads, &ratio, buf, size);
}
