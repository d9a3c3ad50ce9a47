/* test_options.c - options are parsed strictly: whole numbers without
 * signs or garbage and within range, exact seconds, known choices, and an
 * unknown name gets the closest one. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "options.h"

static const char *const colours[] = {"red", "green", NULL};
static const option_spec_t specs[] = {
    {"threads", OPTION_COUNT, "2", "threads", NULL, 1, 256},
    {"window", OPTION_SECONDS, "1", "the window", NULL, 1, 0},
    {"colour", OPTION_CHOICE, NULL, "a colour", colours},
    {"fail_open", OPTION_FLAG, "0", "fail open"},
    {"redis", OPTION_ADDRESS, NULL, "HOST:PORT"},
    {"max_entries", OPTION_COUNT, "0", "entries", NULL, 0, 0},
};
#define SPEC_COUNT (sizeof specs / sizeof specs[0])

static const option_spec_t *spec(const char *name) {
  const option_spec_t *found =
      options_find(specs, SPEC_COUNT, name, strlen(name));
  cr_assert_not_null(found, "no spec %s", name);
  return found;
}

static void assert_refused(const char *name, const char *text,
                           const char *words) {
  option_value_t value = {0};
  char why[256] = "";
  int rc = options_parse(spec(name), text, &value, why, sizeof why);
  cr_assert(rc == -EINVAL && strstr(why, words) != NULL && !value.set,
            "--%s %s: expected -EINVAL saying \"%s\" and nothing set; got "
            "%d, \"%s\"",
            name, text, words, rc, why);
}

static uint64_t parsed(const char *name, const char *text) {
  option_value_t value = {0};
  char why[256] = "";
  int rc = options_parse(spec(name), text, &value, why, sizeof why);
  cr_assert(rc == 0 && value.set && value.given,
            "--%s %s: expected it to parse; got %d, \"%s\"", name, text, rc,
            why);
  return value.number;
}

Test(options, counts_are_whole_decimal_numbers_within_their_range) {
  cr_assert_eq(parsed("threads", "1"), 1);
  cr_assert_eq(parsed("threads", "256"), 256);
  const char *bad[] = {"-1", "0", "257", "abc", "2x", " 2", "+2", "1e3", ""};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_refused("threads", bad[i],
                   "--threads wants a whole number from 1 to 256");
  cr_assert_eq(parsed("max_entries", "18446744073709551615"), UINT64_MAX);
  assert_refused("max_entries", "18446744073709551616", "whole number");
}

Test(options, seconds_are_exact_to_the_nanosecond) {
  cr_assert_eq(parsed("window", "2"), 2000000000ULL);
  cr_assert_eq(parsed("window", "0.5"), 500000000ULL);
  cr_assert_eq(parsed("window", "0.000000001"), 1);
  cr_assert_eq(parsed("window", ".25"), 250000000ULL);
  const char *bad[] = {"0", "0.0000000001", "1.", ".", "-1", "1e9", "1,5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_refused("window", bad[i], "--window wants seconds above 0");
}

Test(options, choices_flags_and_addresses) {
  cr_assert_eq(parsed("colour", "green"), 1);
  assert_refused("colour", "blue", "one of red|green");
  cr_assert_eq(parsed("fail_open", "1"), 1);
  cr_assert_eq(parsed("fail_open", "0"), 0);
  assert_refused("fail_open", "yes", "0 or 1");
  option_value_t value = {0};
  char why[256];
  cr_assert_eq(
      options_parse(spec("redis"), "127.0.0.1:6379", &value, why, sizeof why),
      0);
  cr_assert(strcmp(value.host, "127.0.0.1") == 0 && value.port == 6379,
            "127.0.0.1:6379: got host \"%s\" port %d", value.host, value.port);
  const char *bad[] = {"localhost", ":6379", "h:0", "h:65536", "h:port"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_refused("redis", bad[i], "HOST:PORT");
}

Test(options,
     names_take_dashes_or_underscores_and_unknown_ones_get_the_closest) {
  cr_assert_not_null(options_find(specs, SPEC_COUNT, "fail-open", 9));
  cr_assert_not_null(options_find(specs, SPEC_COUNT, "max-entries", 11));
  cr_assert_null(options_find(specs, SPEC_COUNT, "max", 3),
                 "a prefix is not a name");
  const option_spec_t *closest =
      options_closest(specs, SPEC_COUNT, "max_entires", 11);
  cr_assert(closest != NULL && strcmp(closest->name, "max_entries") == 0,
            "max_entires: expected max_entries as the closest; got %s",
            closest ? closest->name : "(none)");
  closest = options_closest(specs, SPEC_COUNT, "thread", 6);
  cr_assert(closest != NULL && strcmp(closest->name, "threads") == 0,
            "thread: expected threads");
  cr_assert_null(options_closest(specs, SPEC_COUNT, "zzzz", 4),
                 "zzzz is near nothing");
}

Test(options, fallbacks_fill_what_was_not_given) {
  option_value_t values[SPEC_COUNT];
  memset(values, 0, sizeof values);
  char why[256];
  cr_assert_eq(options_parse(&specs[0], "8", &values[0], why, sizeof why), 0);
  cr_assert_eq(
      options_apply_fallbacks(specs, SPEC_COUNT, values, why, sizeof why), 0,
      "%s", why);
  cr_assert(values[0].number == 8 && values[0].given,
            "a given value stays, marked given");
  cr_assert(values[1].number == 1000000000ULL && values[1].set &&
                !values[1].given,
            "window falls back to 1 s, set but not given");
  cr_assert(!values[2].set, "colour has no fallback: unset");
}
