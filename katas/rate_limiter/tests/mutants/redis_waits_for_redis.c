/* redis_waits_for_redis.c - mutant (stage 7, Redis): retries until Redis
 * answers.
 *
 * Bug: A failed call sleeps and retries for up to 5 s instead of answering
 * -EIO: while Redis is down every request to the API stalls, and the fail_open
 * policy never applies.
 *
 * Why it is classic: Retrying looks like robustness; in front of an API it
 * turns a Redis outage into an outage of every server. */
/* sdkata-expect: stage 7 */
#define MUTANT_WAIT_FOR_REDIS 1
#include "mutable_redis.h"
