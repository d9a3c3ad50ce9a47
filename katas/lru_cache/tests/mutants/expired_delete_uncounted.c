/* expired_delete_uncounted.c - mutant: a delete of an expired entry removes
 * it as a delete.
 *
 * Bug: lc_delete answers "not deleted" for an expired entry, as it must, but
 * removes it without counting the expiration.
 *
 * Why it is classic: The delete path looks the key up by itself and handles
 * the expired case in place, apart from the helper that counts. */
/* sdkata-expect: stage 4 */
#define MUTANT_EXPIRED_DELETE_UNCOUNTED 1
#include "mutable.h"
