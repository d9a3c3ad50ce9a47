/* redis_no_reconnect.c - mutant (stage 7, Redis): a dead connection is never
 * replaced.
 *
 * Bug: After the first I/O error the hiredis context is kept and reused;
 * hiredis never reconnects by itself, so every later call fails even once Redis
 * is back.
 *
 * Why it is classic: A connection made at start-up feels permanent; hiredis
 * leaves reconnecting to the caller, and nothing shows it until Redis restarts.
 */
/* sdkata-expect: stage 7 */
#define MUTANT_NO_RECONNECT 1
#include "mutable_redis.h"
