/* lock_covers_map_not_list.c - mutant: the hash table is locked, the recency
 * list is not.
 *
 * Bug: lc_get looks the key up and copies the value under the lock, then moves
 * the entry to the head of the list after unlocking, racing with other gets and
 * with puts that evict (and free) entries.
 *
 * Why it is classic: The list move looks like bookkeeping after the real work;
 * but every get writes the list, so an LRU cache has no read-only path. */
/* sdkata-expect: stage 5 */
#define MUTANT_LIST_UNLOCKED 1
#include "mutable.h"
