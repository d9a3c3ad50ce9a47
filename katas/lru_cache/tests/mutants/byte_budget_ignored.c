/* byte_budget_ignored.c - mutant: evicts on the entry count only, past
 * max_bytes.
 *
 * Bug: Room is made for max_entries only; with a byte budget the sum of keys
 * and values grows past max_bytes (a put too large on its own still gets
 * -E2BIG).
 *
 * Why it is classic: Capacity is usually taught as a number of entries; a cache
 * of values of different sizes must bound bytes. Stage 1 already catches it:
 * its -E2BIG test expects a put that fits only once the older entry goes to
 * evict it (overwrite_grows_past_budget is the subtler stage 3 version). */
/* sdkata-expect: stage 1 */
#define MUTANT_BYTE_BUDGET_IGNORED 1
#include "mutable.h"
