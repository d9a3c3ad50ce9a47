/* overwrite_keeps_old_length.c - mutant: an overwrite with a shorter value
 * keeps the old length.
 *
 * Bug: When the new value fits in the old buffer, the put copies it in place
 * but never updates the length, so a get returns the new bytes followed by the
 * stale tail of the old value.
 *
 * Why it is classic: Reusing a buffer "because it fits" is a common
 * optimisation, and the length is the field it forgets. */
/* sdkata-expect: stage 1 */
#define MUTANT_OVERWRITE_OLD_LENGTH 1
#include "mutable.h"
