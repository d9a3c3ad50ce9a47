/* redis_key_as_c_string.c - mutant (stage 7, Redis): the key is sent as a C
 * string.
 *
 * Bug: The key goes to Redis cut at its first NUL byte (as %s would send it),
 * so binary keys that differ only after a NUL share one bucket.
 *
 * Why it is classic: redisCommand(c, "... %s", key) is the obvious call; only
 * %b with a length is binary-safe. */
/* sdkata-expect: stage 7 */
#define MUTANT_KEY_AS_C_STRING 1
#include "mutable_redis.h"
