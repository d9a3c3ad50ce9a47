/* key_max_off_by_one.c - mutant: a key of exactly RL_KEY_MAX bytes is rejected.
 *
 * Bug: The length check is key_len >= RL_KEY_MAX, so a legal 1024-byte key gets
 * -EINVAL.
 *
 * Why it is classic: Reserving a byte for a terminating NUL that binary keys
 * do not have is the usual fencepost at a size limit. */
/* sdkata-expect: stage 1 */
#define MUTANT_KEY_MAX_OFF_BY_ONE 1
#include "mutable.h"
