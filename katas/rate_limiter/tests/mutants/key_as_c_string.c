/* key_as_c_string.c - mutant: keys are read up to their first NUL byte.
 *
 * Bug: The key is cut at its first NUL byte, the length strlen(key) would give,
 * so binary keys that differ only after a NUL byte share one state.
 *
 * Why it is classic: Treating a key as a C string (strlen, strcmp, strdup)
 * is the reflex of C code, and text-only tests never notice. */
/* sdkata-expect: stage 1 */
#define MUTANT_KEY_STRLEN 1
#include "mutable.h"
