/* expire_deadline_wraps.c - mutant: lc_expire's now + ttl wraps around.
 *
 * Bug: lc_put saturates its deadline, but lc_expire computes its own now_ns
 * + ttl_ns, which wraps for a huge TTL: the entry it meant to keep expires at
 * once.
 *
 * Why it is classic: The same arithmetic written twice, guarded once. */
/* sdkata-expect: stage 4 */
#define MUTANT_EXPIRE_DEADLINE_WRAPS 1
#include "mutable.h"
