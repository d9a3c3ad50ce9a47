/* bucket_time_backwards.c - mutant: a late now_ns refills the bucket
 * completely.
 *
 * Bug: The refill gap is now - last as unsigned, so a call slightly earlier
 * than the last one wraps to a huge gap and fills the bucket.
 *
 * Why it is classic: Unsigned subtraction of timestamps that may arrive out
 * of order is the classic time bug; the contract says to treat them as the
 * latest seen. */
/* sdkata-expect: stage 3 */
#define MUTANT_TB_BACKWARDS 1
#include "mutable.h"
