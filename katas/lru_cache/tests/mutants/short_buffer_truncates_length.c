/* short_buffer_truncates_length.c - mutant: a get into a short buffer reports
 * the copied length.
 *
 * Bug: When the buffer is smaller than the value, *value_len is the number of
 * bytes copied instead of the value's full length, so the caller never learns
 * it must retry with a larger buffer.
 *
 * Why it is classic: snprintf-style "full length" reporting is easy to turn
 * into "bytes written"; tests with buffers large enough for every value miss
 * it. */
/* sdkata-expect: stage 1 */
#define MUTANT_SHORT_BUFFER_LENGTH 1
#include "mutable.h"
