/* one_counter_for_all_keys.c - mutant: every key shares one counter.
 *
 * Bug: The key is never looked at, so all callers share a single state and one
 * busy key starves every other.
 *
 * Why it is classic: The first version of a limiter is often written for one
 * client and the key parameter is wired in later, or never. */
/* sdkata-expect: stage 1 */
#define MUTANT_ONE_COUNTER 1
#include "mutable.h"
