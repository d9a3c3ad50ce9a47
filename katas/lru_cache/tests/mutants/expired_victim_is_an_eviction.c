/* expired_victim_is_an_eviction.c - mutant: an expired entry removed to make
 * room is counted as an eviction.
 *
 * Bug: When a put needs room and the least recently used entry has already
 * expired, it is removed and counted in evictions; it was no longer live, so
 * it is an expiration.
 *
 * Why it is classic: The eviction loop is written before TTLs and counts
 * whatever it removes; in a full cache of equal TTLs, the steady state of a
 * session cache, every victim has just expired and evictions look alarming. */
/* sdkata-expect: stage 4 */
#define MUTANT_EXPIRED_VICTIM_EVICTED 1
#include "mutable.h"
