/* no_lock.c - mutant: no lock at all.
 *
 * Bug: Nothing is locked: concurrent calls race on the table, the list and
 * every counter, corrupting chains and freeing entries still in use.
 *
 * Why it is classic: Code written and tested single-threaded first, with thread
 * safety left for "later". */
/* sdkata-expect: stage 5 */
#define MUTANT_NO_LOCK 1
#include "mutable.h"
