/* destroy_leaks.c - mutant: lc_destroy frees the table but not the entries.
 *
 * Bug: lc_destroy frees the bucket array and the cache itself, but not the
 * entries (and values) still stored.
 *
 * Why it is classic: free(table) feels like it frees what the table holds; a
 * chained table needs a walk. */
/* sdkata-expect: stage 3 */
#define MUTANT_DESTROY_LEAKS 1
#include "mutable.h"
