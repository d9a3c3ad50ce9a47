/* leak_on_evict.c - mutant: an eviction leaks the victim.
 *
 * Bug: An evicted entry is unlinked from the table and the list but never
 * freed.
 *
 * Why it is classic: The eviction path is the one written last, and leaks do
 * not change a single answer. */
/* sdkata-expect: stage 3 */
#define MUTANT_LEAK_ON_EVICT 1
#include "mutable.h"
