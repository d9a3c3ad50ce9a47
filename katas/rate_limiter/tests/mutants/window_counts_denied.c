/* window_counts_denied.c - mutant: the sliding window counter counts denied
 * requests.
 *
 * Bug: curr is incremented on every request, so retries while denied inflate
 * the estimate for this window and, weighted, for the next.
 *
 * Why it is classic: Counting the request before deciding is the natural
 * code order; the rule counts only allowed requests. */
/* sdkata-expect: stage 4 */
#define MUTANT_SWC_COUNTS_DENIED 1
#include "mutable.h"
