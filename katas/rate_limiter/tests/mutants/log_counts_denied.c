/* log_counts_denied.c - mutant: the sliding log records denied requests too.
 *
 * Bug: Every request is appended to the log, allowed or not, so a client that
 * keeps retrying while denied stays locked out.
 *
 * Why it is classic: Logging each request first and deciding afterwards is
 * the obvious code order; the rule counts only allowed requests. */
/* sdkata-expect: stage 2 */
#define MUTANT_LOG_COUNTS_DENIED 1
#include "mutable.h"
