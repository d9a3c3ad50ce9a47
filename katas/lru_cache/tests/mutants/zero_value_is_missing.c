/* zero_value_is_missing.c - mutant: a stored value of "0" reads as a miss.
 *
 * Bug: The lookup treats the value "0" as absent, as code does that keeps
 * numbers and tests "if (!atoi(value))" or a falsy value for a miss.
 *
 * Why it is classic: Truthiness of 0 for "not found" is how many accepted
 * solutions skip a value of 0; the contract says values are bytes and "0" is a
 * real value. */
/* sdkata-expect: stage 1 */
#define MUTANT_ZERO_IS_MISSING 1
#include "mutable.h"
