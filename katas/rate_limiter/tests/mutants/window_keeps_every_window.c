/* window_keeps_every_window.c - mutant: the sliding window counter keeps
 * the count of every window a key ever had.
 *
 * Bug: When a key moves to a new window the old one's count is appended to
 * a per-key history that nothing trims, though the rule reads only the
 * previous window; a busy key's memory grows with every window it was
 * active in.
 *
 * Why it is classic: "Keep the history, we may want more than two windows
 * later" - and the counter that exists to take constant memory per key no
 * longer does. */
/* sdkata-expect: stage 6 */
#define MUTANT_SWC_HISTORY 1
#include "mutable.h"
