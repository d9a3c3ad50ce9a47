/* empty_value_is_missing.c - mutant: an empty value reads as a miss.
 *
 * Bug: An empty value is stored with a NULL buffer (no malloc(0)), and the
 * lookup takes a NULL value pointer for "no such key".
 *
 * Why it is classic: NULL doubling as "absent" and "empty" is the classic C
 * sentinel clash; the contract allows empty values. */
/* sdkata-expect: stage 1 */
#define MUTANT_EMPTY_IS_MISSING 1
#include "mutable.h"
