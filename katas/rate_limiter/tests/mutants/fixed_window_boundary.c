/* fixed_window_boundary.c - mutant: a request at exactly t = start + W still
 * counts in the old window.
 *
 * Bug: The window is reset only when now - start > W instead of >= W, so the
 * first nanosecond of the next window is judged against the old count.
 *
 * Why it is classic: Strict versus non-strict comparison at a boundary is
 * the off-by-one every half-open interval invites; tests at round times
 * rarely land on it. */
/* sdkata-expect: stage 1 */
#define MUTANT_FW_BOUNDARY 1
#include "mutable.h"
