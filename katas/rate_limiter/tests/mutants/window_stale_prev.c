/* window_stale_prev.c - mutant: an old window's count is used as the previous
 * window after a gap.
 *
 * Bug: On entering a new window, prev takes the last window's count even when
 * that window was not the immediately preceding one.
 *
 * Why it is classic: Rolling curr into prev on any window change is right
 * for steady traffic; only a key that pauses for two windows exposes it. */
/* sdkata-expect: stage 4 */
#define MUTANT_SWC_STALE_PREV 1
#include "mutable.h"
