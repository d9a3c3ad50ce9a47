/* key_prefix_16.c - mutant: only the first 16 bytes of a key count.
 *
 * Bug: Keys are kept in a fixed char key[16], so longer keys that share their
 * first 16 bytes ("user:1234567890:a", "...:b") share one state.
 *
 * Why it is classic: A fixed inline buffer is the fast, allocation-free
 * choice, and short test keys hide the truncation. */
/* sdkata-expect: stage 1 */
#define MUTANT_KEY_PREFIX 1
#include "mutable.h"
