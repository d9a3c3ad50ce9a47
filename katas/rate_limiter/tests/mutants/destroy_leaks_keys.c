/* destroy_leaks_keys.c - mutant: rl_destroy frees the table but not the keys in
 * it.
 *
 * Bug: rl_destroy frees the bucket array and the limiter but never walks the
 * chains, so every key's entry leaks.
 *
 * Why it is classic: Freeing the container and forgetting what it points to
 * is the most common leak in hand-written hash tables. */
/* sdkata-expect: stage 1 */
#define MUTANT_DESTROY_LEAK 1
#include "mutable.h"
