/* redis_rounded_interval.c - mutant (stage 7, Redis): a token every floor(W/L)
 * ns.
 *
 * Bug: The refill counts whole emission intervals of floor(W/L) ns in unscaled
 * time, so when L does not divide W tokens come back slightly early and the
 * bucket admits more than L per W.
 *
 * Why it is classic: GCRA is usually written with an emission interval T = W/L,
 * computed once and rounded; the lost fraction adds up. */
/* sdkata-expect: stage 7 */
#define MUTANT_ROUNDED_INTERVAL 1
#include "mutable_redis.h"
