/* key_not_copied.c - mutant: the table keeps a pointer to the caller's key
 * bytes.
 *
 * Bug: A new entry points at the caller's buffer instead of a copy, so when the
 * caller reuses that buffer for another key, the stored key changes under the
 * table and the old key is no longer found.
 *
 * Why it is classic: Storing the pointer you were given is the classic
 * ownership slip of C APIs; it works whenever callers pass string literals. */
/* sdkata-expect: stage 1 */
#define MUTANT_KEY_NOT_COPIED 1
#include "mutable.h"
