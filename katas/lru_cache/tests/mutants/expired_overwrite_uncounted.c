/* expired_overwrite_uncounted.c - mutant: a put over an expired entry
 * replaces it as if it were live.
 *
 * Bug: A put finds the key's entry without asking whether it expired and
 * swaps in the new value, so the expired entry it reclaims is never counted
 * in expirations.
 *
 * Why it is classic: The answers are right (the new value is stored either
 * way); only the stats tell, and the update path is the one written first,
 * before TTLs. */
/* sdkata-expect: stage 4 */
#define MUTANT_EXPIRED_OVERWRITE_UNCOUNTED 1
#include "mutable.h"
