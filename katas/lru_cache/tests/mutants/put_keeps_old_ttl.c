/* put_keeps_old_ttl.c - mutant: a put on an existing key keeps its old
 * deadline.
 *
 * Bug: Overwriting a key stores the new value but leaves the old deadline, so
 * the new value expires on the old value's schedule (or never, when the old had
 * no TTL).
 *
 * Why it is classic: Redis's SET replaces the TTL unless KEEPTTL is given; an
 * update path that only swaps the value gets this wrong. */
/* sdkata-expect: stage 4 */
#define MUTANT_PUT_KEEPS_TTL 1
#include "mutable.h"
