/* test_keytext.c - load keys as fixed-width text: exact bytes, wrapping
 * past the digits there is room for, and refused widths. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "keytext.h"

Test(keytext, keys_are_the_prefix_and_the_zero_padded_index) {
  keytext_t keys = {0};
  cr_assert_eq(keytext_build(&keys, "client:", 15, 1001), 0);
  cr_assert_eq(keys.count, 1001);
  cr_assert(memcmp(keytext_at(&keys, 0), "client:00000000", 15) == 0,
            "key 0: got \"%.15s\"", keytext_at(&keys, 0));
  cr_assert(memcmp(keytext_at(&keys, 1000), "client:00001000", 15) == 0,
            "key 1000: got \"%.15s\"", keytext_at(&keys, 1000));
  keytext_free(&keys);
  cr_assert_null(keys.bytes);
  cr_assert_eq(keys.count, 0);
}

Test(keytext, the_index_wraps_past_the_digits_there_is_room_for) {
  keytext_t keys = {0};
  cr_assert_eq(keytext_build(&keys, "k", 3, 105), 0);
  cr_assert(memcmp(keytext_at(&keys, 99), "k99", 3) == 0);
  cr_assert(memcmp(keytext_at(&keys, 100), "k00", 3) == 0,
            "key 100 of 2 digits: expected \"k00\"; got \"%.3s\"",
            keytext_at(&keys, 100));
  cr_assert(memcmp(keytext_at(&keys, 104), "k04", 3) == 0);
  keytext_free(&keys);
}

Test(keytext, widths_without_room_for_a_digit_are_refused) {
  keytext_t keys = {0};
  cr_assert_eq(keytext_build(&keys, "client:", 7, 10), -EINVAL);
  cr_assert_eq(keytext_build(&keys, "", 20, 10), -EINVAL);
  cr_assert_null(keys.bytes);
}
