/* get_extends_ttl.c - mutant: a get hit restarts the TTL.
 *
 * Bug: Each hit moves the deadline to now + ttl (a sliding expiry), so an entry
 * read often never expires; the contract says a get does not extend a TTL.
 *
 * Why it is classic: Session caches slide their expiry, and "touch on read" is
 * easily extended from recency to the deadline. */
/* sdkata-expect: stage 4 */
#define MUTANT_GET_EXTENDS_TTL 1
#include "mutable.h"
