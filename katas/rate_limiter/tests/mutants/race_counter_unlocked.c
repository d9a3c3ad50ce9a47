/* race_counter_unlocked.c - mutant: the per-key update happens after the table
 * lock is released.
 *
 * Bug: The table lookup is locked, but the check-then-increment of the key's
 * state runs unlocked, so two threads can both see room for one.
 *
 * Why it is classic: Locking the shared table and treating the per-key
 * update as "just one line" is the classic check-then-act race. */
/* sdkata-expect: stage 5 */
#define MUTANT_RACE_COUNTER 1
#include "mutable.h"
