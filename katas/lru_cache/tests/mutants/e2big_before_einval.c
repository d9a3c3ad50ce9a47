/* e2big_before_einval.c - mutant: a put over the length limits gets -E2BIG
 * when it is also over max_bytes.
 *
 * Bug: lc_put compares key_len + value_len with max_bytes before it checks
 * the lengths against LC_KEY_MAX and LC_VALUE_MAX, so an invalid argument is
 * answered as a pair too large for this cache.
 *
 * Why it is classic: Two checks in the wrong order give the same answer
 * until both apply; the contract says -EINVAL comes first. */
/* sdkata-expect: stage 1 */
#define MUTANT_E2BIG_BEFORE_EINVAL 1
#include "mutable.h"
