/* verdict.h - the load table's verdict: a throughput ratio with its spread
 * over the interleaved rounds, words that call a tie when the rounds
 * disagree, and advice only from what was measured. */
#ifndef SDKATA_VERDICT_H
#define SDKATA_VERDICT_H

#include <stddef.h>

#include "report.h"

/* One implementation's throughput over another's, round by round: the
 * rounds ran interleaved, so each pair saw the same machine. */
typedef struct verdict_ratio {
  double median, low, high; /* of the per-round ratios */
  unsigned rounds;          /* rounds both were measured in */
} verdict_ratio_t;

/* Fills *out with mine's throughput over base's. Returns 0, or -EINVAL
 * when no round measured both. */
int verdict_ratio(const report_load_row_t *mine, const report_load_row_t *base,
                  verdict_ratio_t *out);

/* Writes the verdict about mine against the reference ref, measured on
 * threads threads, into buf ("mine runs at 0.52x the reference's
 * throughput (0.47x–0.55x over 3 rounds) - within 2x of the reference"),
 * with advice when a measured figure points at a cause. The same figures
 * always give the same words. */
void verdict_write(const report_load_row_t *mine, const report_load_row_t *ref,
                   unsigned threads, char *buf, size_t size);

#endif /* SDKATA_VERDICT_H */
