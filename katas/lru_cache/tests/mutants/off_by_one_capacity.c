/* off_by_one_capacity.c - mutant: the cache holds max_entries + 1 entries.
 *
 * Bug: Eviction starts only when the count before the put is already over the
 * limit (count > max instead of count + 1 > max), so one entry too many stays.
 *
 * Why it is classic: Checking the size before the insert against the size after
 * it is the textbook fencepost error of bounded containers. */
/* sdkata-expect: stage 1 */
#define MUTANT_OFF_BY_ONE_CAPACITY 1
#include "mutable.h"
