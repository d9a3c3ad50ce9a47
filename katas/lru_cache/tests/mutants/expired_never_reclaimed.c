/* expired_never_reclaimed.c - mutant: expired entries nobody asks for are never
 * freed.
 *
 * Bug: Expired entries are dropped only when a call finds them; there is no
 * bounded sweep, so keys never asked for again stay in memory and in items
 * until evicted.
 *
 * Why it is classic: Lazy expiry alone is half of Redis's design; without the
 * active part a cache of short-lived keys fills with dead ones. */
/* sdkata-expect: stage 4 */
#define MUTANT_NEVER_RECLAIMED 1
#include "mutable.h"
