/* linear_scan_lookup.c - mutant: looks keys up by walking the recency list.
 *
 * Bug: Every lookup walks the list from the most recent entry, so a get or put
 * costs time proportional to the number of entries.
 *
 * Why it is classic: Correct at every capacity a unit test uses; only the per-
 * operation cost at a million entries shows it. */
/* sdkata-expect: stage 2 */
#define MUTANT_LINEAR_SCAN 1
#include "mutable.h"
