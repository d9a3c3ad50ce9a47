/* ttl_deadline_wraps.c - mutant: now + ttl wraps around for a huge TTL.
 *
 * Bug: The deadline is now_ns + ttl_ns in 64 bits without a check, so a TTL
 * of UINT64_MAX (or anything past the end of time) wraps to a deadline in
 * the past: the entry is gone the instant it is put.
 *
 * Why it is classic: "Never expire" is often spelled as the largest TTL;
 * unsigned overflow is silent, and tests use TTLs of seconds. */
/* sdkata-expect: stage 4 */
#define MUTANT_DEADLINE_WRAPS 1
#include "mutable.h"
