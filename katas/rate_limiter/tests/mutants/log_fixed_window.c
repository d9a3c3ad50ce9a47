/* log_fixed_window.c - mutant: the sliding log forgets everything when an
 * aligned window starts.
 *
 * Bug: Entries are pruned when older than the start of the aligned window, not
 * when older than t - W, so the log counts like a fixed window and allows 2L
 * requests across a boundary.
 *
 * Why it is classic: Clearing the log at the window boundary is how a fixed-
 * window counter gets renamed "sliding log" without sliding. */
/* sdkata-expect: stage 2 */
#define MUTANT_LOG_FIXED_WINDOW 1
#include "mutable.h"
