/* update_keeps_old_value.c - mutant: a put on an existing key keeps the old
 * value.
 *
 * Bug: A put finds the key present, marks it most recently used and returns,
 * never storing the new value (or its TTL).
 *
 * Why it is classic: "if (key in cache) { move_to_front(key); return; }" is
 * copied from get into put; tests that never overwrite a key do not see it. */
/* sdkata-expect: stage 1 */
#define MUTANT_UPDATE_KEEPS_VALUE 1
#include "mutable.h"
