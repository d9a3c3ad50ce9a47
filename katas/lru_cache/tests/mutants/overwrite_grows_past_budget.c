/* overwrite_grows_past_budget.c - mutant: an overwrite with a longer value
 * evicts nothing, past max_bytes.
 *
 * Bug: Room is made only when a new key is inserted; a put that replaces a
 * key's value with a longer one updates the byte count but never evicts, so
 * the cache's keys and values grow past max_bytes.
 *
 * Why it is classic: The insert path checks the limits and the update path,
 * written apart, assumes "same key, same size"; entry-count limits never see
 * the difference. */
/* sdkata-expect: stage 3 */
#define MUTANT_OVERWRITE_NO_ROOM 1
#include "mutable.h"
