/* log_keeps_expired_times.c - mutant: the sliding log never gives back the
 * times that left the window.
 *
 * Bug: Allowed times are appended at the end of an array that only grows;
 * expired ones are skipped by moving a start index, never freed or reused,
 * so a busy key's memory grows with every request it was allowed, not up
 * to L times.
 *
 * Why it is classic: Every answer is right, and a test with a few requests
 * per key never sees the array grow: only a key that stays busy for many
 * windows shows that the log is a leak with an index. */
/* sdkata-expect: stage 6 */
#define MUTANT_LOG_NO_TRIM 1
#include "mutable.h"
