/* redis_naive.c - stage 7's naive baseline: GET the key's state, decide in
 * C, SET it back (two round trips, nothing atomic). Exact with one process;
 * processes that share a key both spend the same token, and stage 7 must
 * catch it over-admitting, so it doubles as that stage's mutant: `make
 * test` proves the catch (rate_limiter_naive_is_caught_by_its_stage).
 * The code is mutable_redis.h's bug point MUTANT_GET_THEN_SET. */
/* sdkata-expect: stage 7 */
#define MUTANT_GET_THEN_SET 1
#include "tests/mutants/mutable_redis.h"
