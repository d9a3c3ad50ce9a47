/* get_does_not_refresh.c - mutant: a get hit does not make the entry most
 * recent.
 *
 * Bug: A hit copies the value out but leaves the entry where it stands in the
 * list, so eviction follows insertion order: a FIFO, not an LRU.
 *
 * Why it is classic: FIFO passes every test that never reads an entry before
 * the cache fills; forgetting the move-to-front on get is the most common LRU
 * escape. */
/* sdkata-expect: stage 1 */
#define MUTANT_GET_NO_REFRESH 1
#include "mutable.h"
