/* delete_missing_breaks.c - mutant: deleting a missing key still shrinks the
 * count.
 *
 * Bug: The size is decremented whether or not the key was found, so after
 * deleting a missing key the cache holds one entry more than its capacity (and
 * items is wrong).
 *
 * Why it is classic: Bookkeeping written after the lookup instead of inside its
 * success branch; delete of a missing key is one of the known escapes. */
/* sdkata-expect: stage 1 */
#define MUTANT_DELETE_MISSING 1
#include "mutable.h"
