/* create_overflow_unchecked.c - mutant: rl_create checks limit * window_ns
 * after it has already wrapped.
 *
 * Bug: The config check is limit * window_ns > INT64_MAX computed in 64 bits,
 * so products of 2^64 or more wrap to small values and are accepted.
 *
 * Why it is classic: Checking an overflow with the overflowing expression
 * itself is the textbook way to miss it; it must be a division. */
/* sdkata-expect: stage 1 */
#define MUTANT_CREATE_OVERFLOW 1
#include "mutable.h"
