/* bucket_signed_level.c - mutant: the token bucket's refilled level is an
 * int64_t, and wraps when L * W is near 2^63.
 *
 * Bug: The gap is checked against W first, so gap * L never overflows; but
 * level + gap * L is kept in an int64_t before the cap, and with L * W
 * near 2^63 a bucket with tokens left plus almost a window's refill passes
 * 2^63, wraps negative and escapes the cap as an enormous level.
 *
 * Why it is classic: Each term was proved below 2^63 and the sum was not;
 * signed 64-bit levels are the default in most code, and only the largest
 * configs reach the edge. */
/* sdkata-expect: stage 3 */
#define MUTANT_TB_SIGNED_LEVEL 1
#include "mutable.h"
