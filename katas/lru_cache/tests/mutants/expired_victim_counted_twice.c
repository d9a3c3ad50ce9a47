/* expired_victim_counted_twice.c - mutant: an expired victim is counted as
 * two expirations.
 *
 * Bug: The eviction loop counts an expired victim as an expiration, then
 * calls the removal that counts it again.
 *
 * Why it is classic: A counter bumped both by a caller and by the helper it
 * calls; tests that expire entries only by asking for them never take that
 * path. */
/* sdkata-expect: stage 4 */
#define MUTANT_EXPIRED_VICTIM_TWICE 1
#include "mutable.h"
