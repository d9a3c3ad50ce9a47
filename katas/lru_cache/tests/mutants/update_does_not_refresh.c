/* update_does_not_refresh.c - mutant: a put on an existing key does not make it
 * most recent.
 *
 * Bug: A put on a key already present swaps in the new value where the entry
 * stands instead of moving it to the head, so a freshly written key can be the
 * next victim.
 *
 * Why it is classic: The update path is written apart from the insert path, and
 * only the insert path pushes to the head. */
/* sdkata-expect: stage 1 */
#define MUTANT_UPDATE_NO_REFRESH 1
#include "mutable.h"
