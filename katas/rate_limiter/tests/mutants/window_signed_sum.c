/* window_signed_sum.c - mutant: the sliding window counter adds its two
 * weighted counts in int64_t.
 *
 * Bug: prev * (W - e) and curr * W are each at most L * W < 2^63, but
 * their sum is not: with L * W near 2^63 it passes 2^63, wraps negative
 * and compares below L * W, so a full window lets requests in.
 *
 * Why it is classic: The README's bound is on each product, and a signed
 * 64-bit sum looks safe until the config is near the largest valid one. */
/* sdkata-expect: stage 4 */
#define MUTANT_SWC_SIGNED_SUM 1
#include "mutable.h"
