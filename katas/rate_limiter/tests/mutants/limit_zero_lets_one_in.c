/* limit_zero_lets_one_in.c - mutant: with limit 0, the first request of each
 * window is allowed.
 *
 * Bug: A new window starts with count = 1 and lets its first request in without
 * comparing against the limit, which is right for every limit but 0.
 *
 * Why it is classic: "The first request of a window is always fine" is a
 * tempting shortcut, and limit 0 is the edge case nobody tries. */
/* sdkata-expect: stage 1 */
#define MUTANT_LIMIT_ZERO 1
#include "mutable.h"
