/* evicts_most_recent.c - mutant: evicts the most recently used entry.
 *
 * Bug: The victim is taken from the head of the recency list instead of the
 * tail, so the entry just used is the one thrown out.
 *
 * Why it is classic: Which end of the list is "recent" is a convention the code
 * must keep in two places; mixing them up still passes tests that only check
 * the size. */
/* sdkata-expect: stage 1 */
#define MUTANT_EVICTS_MOST_RECENT 1
#include "mutable.h"
