/* ttl_boundary_off_by_one.c - mutant: an entry is still live at its deadline.
 *
 * Bug: An entry counts as expired only when now > deadline, so at now ==
 * deadline it is still returned; the contract says it is gone from that
 * instant.
 *
 * Why it is classic: < against <= at a boundary; tests at round times well past
 * a TTL never probe the exact instant. */
/* sdkata-expect: stage 4 */
#define MUTANT_TTL_BOUNDARY 1
#include "mutable.h"
