/* leak_on_overwrite.c - mutant: an overwrite leaks the old value.
 *
 * Bug: A put on an existing key installs the new value copy without freeing the
 * old one.
 *
 * Why it is classic: Freeing on delete and evict but not on replace; the
 * cache's answers stay right, only memory grows. */
/* sdkata-expect: stage 3 */
#define MUTANT_LEAK_ON_OVERWRITE 1
#include "mutable.h"
