/* compares_hash_only.c - mutant: two keys are taken as equal when their hashes
 * are.
 *
 * Bug: Keys are matched on their hash alone, never on their bytes, and the hash
 * is a byte sum, so "key38" and "key83" are the same entry.
 *
 * Why it is classic: With a good 64-bit hash collisions are rare enough that no
 * small test finds this; the weak hash here makes them as common as a real
 * table's bucket collisions. */
/* sdkata-expect: stage 1 */
#define MUTANT_HASH_ONLY 1
#include "mutable.h"
