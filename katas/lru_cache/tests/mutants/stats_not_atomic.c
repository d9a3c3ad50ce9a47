/* stats_not_atomic.c - mutant: hit and miss counters updated outside the
 * lock.
 *
 * Bug: lc_get reads the hit and miss counters into locals before taking the
 * lock ("to keep the locked part short") and stores them plus one after
 * releasing it: a ++ split into its load and its store, with other threads'
 * gets in between, so their counts are lost and hits + misses falls short of
 * the gets made.
 *
 * Why it is classic: "A counter bump needs no lock" - but ++ on a shared
 * uint64_t is a read-modify-write, not an atomic. A bare ++ after the unlock
 * loses only a few counts in a million on two cores, too few for a test to
 * see every time; the wide window here makes the loss certain. */
/* sdkata-expect: stage 5 */
#define MUTANT_STATS_UNLOCKED 1
#include "mutable.h"
