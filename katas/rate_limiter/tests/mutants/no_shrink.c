/* no_shrink.c - mutant: idle keys are forgotten but the table never shrinks.
 *
 * Bug: Entries are reclaimed, but the bucket array keeps its high-water size,
 * so a million keys once leave megabytes of empty buckets behind.
 *
 * Why it is classic: Hash tables that grow but never shrink are the default
 * almost everywhere, and the leftover array looks like a leak. */
/* sdkata-expect: stage 6 */
#define MUTANT_NO_SHRINK 1
#include "mutable.h"
