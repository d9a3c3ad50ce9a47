/* bucket_truncating_refill.c - mutant: the token bucket refills whole tokens
 * only and drops the fraction.
 *
 * Bug: Each call adds elapsed * L / W tokens with integer division and then
 * moves the refill time to now, so the fractional token of every call is lost
 * and frequent callers are refilled far too slowly.
 *
 * Why it is classic: Integer token counts with a per-call refill is the
 * first thing everyone writes; the fix is to keep the level scaled by W (or
 * move last only by the time actually converted). */
/* sdkata-expect: stage 3 */
#define MUTANT_TB_TRUNCATE 1
#include "mutable.h"
