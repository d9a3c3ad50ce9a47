/* fixed_window_retry_last_ns.c - mutant: retry_after_ns points at the last
 * nanosecond of the window.
 *
 * Bug: When the window is full, retry_after_ns is start + W - 1 - now, the last
 * nanosecond of the current window, one short of the next one.
 *
 * Why it is classic: Thinking of a window as [start, start + W - 1] and
 * waiting until its "end" is the natural inclusive-range slip. */
/* sdkata-expect: stage 1 */
#define MUTANT_FW_RETRY_LAST_NS 1
#include "mutable.h"
