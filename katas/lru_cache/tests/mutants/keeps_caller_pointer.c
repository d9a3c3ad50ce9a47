/* keeps_caller_pointer.c - mutant: stores the caller's value pointer instead of
 * a copy.
 *
 * Bug: A put keeps the pointer it was given, so when the caller reuses its
 * buffer for the next value, the stored value changes under the cache.
 *
 * Why it is classic: Storing the pointer you were given is the classic
 * ownership slip of C APIs; it works whenever callers pass string literals. The
 * contract says the caller may reuse both buffers at once. */
/* sdkata-expect: stage 1 */
#define MUTANT_KEEPS_CALLER_POINTER 1
#include "mutable.h"
