/* bucket_no_cap.c - mutant: tokens pile up past capacity.
 *
 * Bug: The refill adds elapsed * L without capping at the bucket size, so a
 * half-window pause after a full bucket allows 1.5 L at once.
 *
 * Why it is classic: Forgetting the min(capacity, ...) is the classic token
 * bucket slip; tests that start from a drained bucket never see it. */
/* sdkata-expect: stage 3 */
#define MUTANT_TB_NO_CAP 1
#include "mutable.h"
