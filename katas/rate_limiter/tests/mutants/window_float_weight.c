/* window_float_weight.c - mutant: the sliding window counter weighs the
 * previous window in floating point.
 *
 * Bug: The estimate is prev * ((double)(W - e) / W) + curr < L, which rounds at
 * exact boundaries where the integer rule says deny (or allow).
 *
 * Why it is classic: Cloudflare's write-up shows the formula with a
 * fraction, and doubles look exact enough until the product sits exactly on
 * L. */
/* sdkata-expect: stage 4 */
#define MUTANT_SWC_FLOAT 1
#include "mutable.h"
