/* redis_time_as_number.c - mutant (stage 7, Redis): times as Lua numbers.
 *
 * Bug: The script reads now_ns with tonumber() and stores it as a number.
 * Lua's numbers are doubles: exact to 2^53, but wall-clock nanoseconds
 * (about 1.8e18) are 256 ns coarse, so gaps, refills and retry times come
 * out wrong by up to hundreds of ns.
 *
 * Why it is classic: tonumber(ARGV[1]) is how every Redis rate limiter
 * script starts, and tests that use small times never see the rounding. */
/* sdkata-expect: stage 7 */
#define MUTANT_TIME_AS_NUMBER 1
#include "mutable_redis.h"
