/* redis_no_script_reload.c - mutant (stage 7, Redis): EVALSHA without a way
 * back.
 *
 * Bug: The script is loaded once, by the first connection. After Redis restarts
 * it has forgotten the script, every EVALSHA answers NOSCRIPT, and the handle
 * never loads it again: every call fails from then on.
 *
 * Why it is classic: SCRIPT LOAD at start-up looks like all there is to it; the
 * NOSCRIPT reply only shows after a restart or a failover, in production. */
/* sdkata-expect: stage 7 */
#define MUTANT_NO_SCRIPT_RELOAD 1
#include "mutable_redis.h"
