/* log_inclusive_window.c - mutant: the sliding log window is [t - W, t] instead
 * of (t - W, t].
 *
 * Bug: An entry at exactly t - W is still counted, so a request exactly W after
 * the oldest one is denied.
 *
 * Why it is classic: Whether the far end of a window is open or closed is
 * the off-by-one of sliding windows, and only tests at exact times see it. */
/* sdkata-expect: stage 2 */
#define MUTANT_LOG_INCLUSIVE 1
#include "mutable.h"
