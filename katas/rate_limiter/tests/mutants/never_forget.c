/* never_forget.c - mutant: idle keys are never forgotten.
 *
 * Bug: Entries live as long as the limiter, so memory grows with every key ever
 * seen instead of with the active ones.
 *
 * Why it is classic: Eviction is the part of a rate limiter that no
 * functional test needs, so it is the part that is missing. */
/* sdkata-expect: stage 6 */
#define MUTANT_NEVER_FORGET 1
#include "mutable.h"
