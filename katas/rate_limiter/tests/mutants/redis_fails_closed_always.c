/* redis_fails_closed_always.c - mutant (stage 7, Redis): fail_open is ignored.
 *
 * Bug: When Redis cannot answer, the request is always refused, whatever the
 * config says.
 *
 * Why it is classic: Failing closed is the safe-looking default, and the
 * fail-open branch is never exercised unless a test takes Redis away. */
/* sdkata-expect: stage 7 */
#define MUTANT_FAILS_CLOSED_ALWAYS 1
#include "mutable_redis.h"
