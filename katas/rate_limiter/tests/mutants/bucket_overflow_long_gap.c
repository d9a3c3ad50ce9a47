/* bucket_overflow_long_gap.c - mutant: level + gap * L overflows after a very
 * long idle time.
 *
 * Bug: The refill is level + gap * L in int64_t, capped at L * W, with no
 * shortcut for gaps of a window or more; after a gap with gap * L past 2^63 (a
 * decade of silence at L = 30 per second) the sum goes negative, escapes the
 * cap and becomes a near-endless bucket.
 *
 * Why it is classic: Signed 64-bit nanoseconds feel limitless, and
 * multiplying a time by a rate is fine until someone tests a gap of years at
 * ns resolution. */
/* sdkata-expect: stage 3 */
#define MUTANT_TB_OVERFLOW 1
#include "mutable.h"
