/* capacity_one_broken.c - mutant: with capacity 1 the cache keeps two entries.
 *
 * Bug: The eviction loop refuses to unlink the list's only node ("the list
 * would break"), so with max_entries 1 a put of a second key evicts nothing and
 * the cache holds two.
 *
 * Why it is classic: Capacity 1 is where head == tail, the one case a doubly
 * linked list without a sentinel handles apart; public judges have accepted LRU
 * solutions that break exactly there. */
/* sdkata-expect: stage 1 */
#define MUTANT_CAPACITY_ONE 1
#include "mutable.h"
