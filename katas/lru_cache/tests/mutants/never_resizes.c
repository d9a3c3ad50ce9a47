/* never_resizes.c - mutant: a hash table that never grows.
 *
 * Bug: The bucket array has a fixed 1024 buckets, "plenty for any test"; at a
 * million entries each chain is a thousand long.
 *
 * Why it is classic: A fixed-size table is O(1) only up to its size; growing it
 * is the half of a hash table candidates skip. */
/* sdkata-expect: stage 2 */
#define MUTANT_NEVER_RESIZES 1
#include "mutable.h"
