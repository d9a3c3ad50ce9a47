/* bucket_retry_rounds_down.c - mutant: token bucket retry_after_ns rounds down.
 *
 * Bug: The wait for the next token is (W - level) / L with integer division,
 * one nanosecond too short whenever it does not divide evenly.
 *
 * Why it is classic: Integer division rounds toward zero; a wait must round
 * up. */
/* sdkata-expect: stage 3 */
#define MUTANT_TB_RETRY_FLOOR 1
#include "mutable.h"
