/* rl_common.c - the requirements every algorithm shares (keys, edge times,
 * bad configs, a random run against the model, leaks), as test bodies that
 * each stage file calls with its own algorithm. */
#include "rl_common.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "rl_suite.h"

#define SECOND RLS_NS_PER_S

/* A century of nanoseconds: 3.15e18, below 2^62. */
#define CENTURY_NS (100ULL * 365 * 24 * 3600 * SECOND)

void rlc_allows_exactly_the_limit_at_one_instant(rl_algorithm_t algorithm) {
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 5, SECOND);
  rls_key_t key;
  rls_key_text_set(&key, "k1");
  rls_check_times(&limiter, &key, SECOND + SECOND / 2, 8);
  rls_key_release(&key);
  rls_close(&limiter);
}

void rlc_keys_are_independent(rl_algorithm_t algorithm) {
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 3, SECOND);
  limiter.note = "each key has its own count; using up one key must not "
                 "touch another";
  static rls_key_t keys[100];
  rls_key_text_set(&keys[0], "alice");
  rls_key_text_set(&keys[1], "bob");
  uint64_t t = 7 * SECOND + 123;
  rls_check_times(&limiter, &keys[0], t, 4);
  rls_check_times(&limiter, &keys[1], t, 4);
  rls_check(&limiter, &keys[0], t + 1);
  for (int i = 2; i < 100; i++) {
    char name[32];
    snprintf(name, sizeof name, "user:%d", i);
    rls_key_text_set(&keys[i], name);
  }
  /* Interleaved: every key once per turn, four turns. */
  for (int turn = 0; turn < 4; turn++)
    for (int i = 0; i < 100; i++)
      rls_check(&limiter, &keys[i], t + 2 + (uint64_t)turn);
  for (int i = 0; i < 100; i++)
    rls_key_release(&keys[i]);
  rls_close(&limiter);
}

void rlc_keys_are_kept_while_their_state_matters(rl_algorithm_t algorithm) {
  enum { KEYS = 1000, HOT_KEYS = 4, HOT_CALLS = 20000 };
  static rls_key_t keys[KEYS], hot[HOT_KEYS];
  static char note[256];
  const uint64_t w = SECOND, t0 = 5 * SECOND;
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 3, w);
  for (int k = 0; k < KEYS; k++) {
    char name[32];
    snprintf(name, sizeof name, "kept:%d", k);
    rls_key_text_set(&keys[k], name);
    rls_check(&limiter, &keys[k], t0);
    rls_check(&limiter, &keys[k], t0 + w / 2);
  }
  /* The last ns at which the keys' state still matters (the same for
   * all): each algorithm's key turns idle at its own time. */
  uint64_t low = t0 + w / 2, high = t0 + 3 * w;
  while (high - low > 1) {
    uint64_t middle = low + (high - low) / 2;
    if (rlm_state_matters(&limiter.config, &keys[0].model, middle))
      low = middle;
    else
      high = middle;
  }
  uint64_t last = low;
  snprintf(note, sizeof note,
           "%d keys had two requests each, at %s and %s, then %d calls on "
           "%d other keys at t=%s, the last ns before those keys turn idle",
           KEYS, rlm_seconds(t0), rlm_seconds(t0 + w / 2), HOT_CALLS, HOT_KEYS,
           rlm_seconds(last));
  limiter.context = note;
  /* Calls on other keys at that time, enough for any sweep to pass over
   * the whole table many times. */
  for (int k = 0; k < HOT_KEYS; k++) {
    char name[32];
    snprintf(name, sizeof name, "busy:%d", k);
    rls_key_text_set(&hot[k], name);
  }
  for (int i = 0; i < HOT_CALLS; i++)
    rls_check(&limiter, &hot[i % HOT_KEYS], last);
  limiter.note = "a key may be forgotten only once it is idle, its state "
                 "equal to a new key's at the latest time the limiter has "
                 "seen";
  for (int k = 0; k < KEYS; k++)
    rls_check_times(&limiter, &keys[k], last, 2);
  for (int k = 0; k < KEYS; k++)
    rls_key_release(&keys[k]);
  for (int k = 0; k < HOT_KEYS; k++)
    rls_key_release(&hot[k]);
  rls_close(&limiter);
}

void rlc_limit_one_allows_one_request(rl_algorithm_t algorithm) {
  const uint64_t w = SECOND;
  const uint64_t times[] = {0,         0,         1,         w / 2,
                            w - 1,     w,         w,         w + 1,
                            w + w / 2, 2 * w - 1, 2 * w,     2 * w + 1,
                            5 * w,     5 * w + 7, 6 * w + 7, 6 * w + 8};
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 1, w);
  rls_key_t key;
  rls_key_text_set(&key, "solo");
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    rls_check(&limiter, &key, times[i]);
  rls_key_release(&key);
  rls_close(&limiter);
}

void rlc_limit_zero_denies_everything(rl_algorithm_t algorithm) {
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 0, SECOND);
  rls_key_t keys[3];
  rls_key_text_set(&keys[0], "k1");
  rls_key_text_set(&keys[1], "k2");
  rls_key_set(&keys[2], NULL, 0);
  const uint64_t times[] = {0, 0, 1, SECOND, 3 * SECOND / 2, CENTURY_NS};
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    for (int k = 0; k < 3; k++)
      rls_check(&limiter, &keys[k], times[i]);
  for (int k = 0; k < 3; k++)
    rls_key_release(&keys[k]);
  rls_close(&limiter);
}

void rlc_empty_key_is_a_key(rl_algorithm_t algorithm) {
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 2, SECOND);
  limiter.note = "the empty key (key_len 0) is one key, whether key is NULL "
                 "or points anywhere; \"\\x00\" (1 byte) is another";
  rls_key_t empty, nul;
  rls_key_set(&empty, NULL, 0);
  const unsigned char zero = 0;
  rls_key_set(&nul, &zero, 1);
  uint64_t t = 3 * SECOND;
  rls_check(&limiter, &empty, t);
  rls_check_bytes(&limiter, &empty, "xyz", t);
  rls_check_bytes(&limiter, &empty, "", t);
  rls_check(&limiter, &empty, t);
  rls_check_times(&limiter, &nul, t, 3);
  rls_check(&limiter, &empty, 5 * SECOND);
  rls_check_bytes(&limiter, &empty, "abc", 5 * SECOND);
  rls_check(&limiter, &empty, 5 * SECOND);
  rls_key_release(&empty);
  rls_key_release(&nul);
  rls_close(&limiter);
}

/* Checks each of keys three times in turn at t, under a limit of 2 per
 * second, then releases them: any two keys mixed up show as a third request
 * allowed, or a first one denied. note says what the keys have in common. */
static void check_distinct_keys(rl_algorithm_t algorithm, rls_key_t *keys,
                                int count, uint64_t t, const char *note) {
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 2, SECOND);
  limiter.note = note;
  for (int turn = 0; turn < 3; turn++)
    for (int i = 0; i < count; i++)
      rls_check(&limiter, &keys[i], t);
  for (int i = 0; i < count; i++)
    rls_key_release(&keys[i]);
  rls_close(&limiter);
}

void rlc_binary_keys_differ_after_a_nul(rl_algorithm_t algorithm) {
  static const struct {
    const char *bytes;
    size_t len;
  } names[] = {{"a", 1},        {"a\0", 2},    {"a\0x", 3},
               {"a\0y", 3},     {"\0\0\0", 3}, {"\0\0\0\0", 4},
               {"\xff\xfe", 2}, {"\0a\0b", 4}, {"\0a\0c", 4}};
  enum { COUNT = sizeof names / sizeof *names };
  rls_key_t keys[COUNT];
  for (int i = 0; i < COUNT; i++)
    rls_key_set(&keys[i], names[i].bytes, names[i].len);
  check_distinct_keys(algorithm, keys, COUNT, 11 * SECOND,
                      "keys are binary: compare key_len bytes (memcmp), "
                      "never stop at a NUL byte (strlen, strcmp, strdup)");
}

void rlc_keys_sharing_a_prefix_are_distinct(rl_algorithm_t algorithm) {
  enum { COUNT = 8 };
  static rls_key_t keys[COUNT];
  unsigned char bytes[200];
  memset(bytes, 'p', sizeof bytes);
  /* Same 16 first bytes, differing at byte 16; same 64 first bytes,
   * differing at byte 64; the same bytes in different lengths; and two
   * 200-byte keys differing only in the last byte. */
  rls_key_set(&keys[0], bytes, 17);
  bytes[16] = 'q';
  rls_key_set(&keys[1], bytes, 17);
  rls_key_set(&keys[2], bytes, 16);
  bytes[16] = 'p';
  rls_key_set(&keys[3], bytes, 65);
  bytes[64] = 'q';
  rls_key_set(&keys[4], bytes, 65);
  rls_key_set(&keys[5], bytes, 64);
  rls_key_set(&keys[6], bytes, 200);
  bytes[199] = 'q';
  rls_key_set(&keys[7], bytes, 200);
  check_distinct_keys(algorithm, keys, COUNT, 13 * SECOND,
                      "keys that share their first 16 or 64 bytes, or are a "
                      "prefix of each other, are different keys: compare the "
                      "length and every byte");
}

void rlc_keys_of_1024_bytes_are_accepted(rl_algorithm_t algorithm) {
  enum { COUNT = 4 };
  static rls_key_t keys[COUNT];
  unsigned char bytes[RL_KEY_MAX];
  memset(bytes, 'x', sizeof bytes);
  rls_key_set(&keys[0], bytes, RL_KEY_MAX);
  bytes[RL_KEY_MAX - 1] = 'y';
  rls_key_set(&keys[1], bytes, RL_KEY_MAX);
  bytes[0] = 'y';
  rls_key_set(&keys[2], bytes, RL_KEY_MAX);
  rls_key_set(&keys[3], bytes, RL_KEY_MAX - 1);
  check_distinct_keys(algorithm, keys, COUNT, 17 * SECOND,
                      "keys of up to RL_KEY_MAX (1024) bytes are valid, and "
                      "these four differ in their last or first byte, or "
                      "length");
}

void rlc_keys_longer_than_1024_bytes_are_rejected(rl_algorithm_t algorithm) {
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 2, SECOND);
  static unsigned char bytes[RL_KEY_MAX * 4];
  memset(bytes, 'z', sizeof bytes);
  const size_t lengths[] = {RL_KEY_MAX + 1, RL_KEY_MAX + 2, RL_KEY_MAX * 4};
  for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
    rl_decision_t decision;
    stagekit_step("rl_check with a %zu-byte key", lengths[i]);
    int rc = rls_api()->check(limiter.rl, bytes, lengths[i], SECOND, &decision);
    cr_assert(rc == -EINVAL,
              "rl_check with a %zu-byte key returned %s; expected -EINVAL "
              "(%d): keys longer than RL_KEY_MAX (%d bytes) are rejected; "
              "seed=%llu",
              lengths[i], rls_rc_text(rc), -EINVAL, RL_KEY_MAX,
              (unsigned long long)stagekit_seed());
  }
  /* Limit 0 answers every valid key without looking at it, but a key too
   * long is still an error. */
  rls_limiter_t zero;
  rls_open(&zero, algorithm, 0, SECOND);
  rl_decision_t decision;
  stagekit_step("rl_check with a %d-byte key, limit 0", RL_KEY_MAX + 1);
  int rc = rls_api()->check(zero.rl, bytes, RL_KEY_MAX + 1, SECOND, &decision);
  cr_assert(rc == -EINVAL,
            "rl_check with a %d-byte key on a limiter with limit 0 returned "
            "%s; expected -EINVAL (%d): a key longer than RL_KEY_MAX is "
            "rejected whatever the limit, before a limit of 0 denies it; "
            "seed=%llu",
            RL_KEY_MAX + 1, rls_rc_text(rc), -EINVAL,
            (unsigned long long)stagekit_seed());
  rls_close(&zero);
  /* The 1024-byte prefix of those keys is a valid key, untouched by them. */
  rls_key_t key;
  rls_key_set(&key, bytes, RL_KEY_MAX);
  limiter.note = "the same bytes with one more were rejected with -EINVAL "
                 "just before, which must not have counted for this key";
  rls_check_times(&limiter, &key, SECOND, 3);
  rls_key_release(&key);
  rls_close(&limiter);
}

void rlc_caller_may_reuse_the_key_buffer(rl_algorithm_t algorithm) {
  enum { COUNT = 6, SLOT = 64, SLOTS = 7 };
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 2, SECOND);
  limiter.note = "the caller overwrites its key buffer right after each "
                 "call, and passes the same key from another buffer next "
                 "time: copy the key's bytes, never keep the pointer";
  static rls_key_t keys[COUNT];
  char names[COUNT][48];
  for (int i = 0; i < COUNT; i++) {
    snprintf(names[i], sizeof names[i], "reused-buffer-key-%d", i);
    rls_key_text_set(&keys[i], names[i]);
  }
  /* Each call takes its key from the next of SLOTS places in one buffer,
   * which is scribbled over as soon as the call returns. */
  char buffer[SLOT * SLOTS];
  unsigned slot = 0;
  uint64_t t = 19 * SECOND;
  for (int turn = 0; turn < 3; turn++) {
    for (int i = 0; i < COUNT; i++) {
      char *place = buffer + SLOT * (slot++ % SLOTS);
      memcpy(place, names[i], strlen(names[i]));
      rls_check_bytes(&limiter, &keys[i], place, t);
      memset(place, '#', SLOT);
    }
  }
  for (int i = 0; i < COUNT; i++)
    rls_key_release(&keys[i]);
  rls_close(&limiter);
}

void rlc_time_zero_is_a_valid_time(rl_algorithm_t algorithm) {
  const uint64_t times[] = {
      0, 0, 0, 0, 1, SECOND - 1, SECOND, SECOND, SECOND, SECOND, 2 * SECOND};
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 3, SECOND);
  limiter.note = "now_ns = 0 is a time like any other, not \"never seen\"";
  rls_key_t key;
  rls_key_text_set(&key, "zero");
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    rls_check(&limiter, &key, times[i]);
  rls_key_release(&key);
  rls_close(&limiter);
}

void rlc_times_near_2_to_the_62_work(rl_algorithm_t algorithm) {
  const uint64_t w = SECOND;
  /* The last window that starts below 2^62, then across it. */
  const uint64_t base = ((1ULL << 62) / w - 1) * w;
  const uint64_t offsets[] = {
      0,         0,         0,     1,     w - 1,     w,         w,     w + 1,
      w + w / 3, 2 * w - 1, 2 * w, 2 * w, 2 * w + 1, 3 * w + 5, 9 * w, 9 * w};
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 3, w);
  limiter.note = "times near 2^62 (146 years in ns) must neither overflow "
                 "nor lose precision: a sum or product of times can pass "
                 "2^64, and a double holds every integer only up to 2^53";
  rls_key_t key;
  rls_key_text_set(&key, "late");
  for (size_t i = 0; i < sizeof offsets / sizeof *offsets; i++)
    rls_check(&limiter, &key, base + offsets[i]);
  rls_key_release(&key);
  rls_close(&limiter);
}

void rlc_sums_of_large_products_do_not_overflow(rl_algorithm_t algorithm) {
  /* L * W = 2^63 - 2, near the largest valid product: a token bucket with
   * two tokens left gains almost a window's refill (level + gap * L is
   * about 5 * W), and a full previous window weighs 3 * (W - 1) beside a
   * current count of W, each term below 2^63 and their sum past it. */
  const uint64_t w = ((1ULL << 63) - 1) / 3;
  const struct {
    uint64_t at, count;
  } calls[] = {{0, 1},         {w - 1, 3},     {w + 1, 3},
               {2 * w - 1, 2}, {2 * w + 1, 3}, {3 * w + 1, 3}};
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 3, w);
  limiter.note = "limit 3, window_ns (2^63 - 1) / 3: each product of a count "
                 "and a time is below L * W < 2^63, but a sum of two can pass "
                 "2^63 (fine in uint64_t or 128 bits, not in int64_t)";
  rls_key_t key;
  rls_key_text_set(&key, "large");
  for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
    rls_check_times(&limiter, &key, calls[i].at, calls[i].count);
  rls_key_release(&key);
  rls_close(&limiter);
}

void rlc_keys_are_fresh_after_a_gap_of_years(rl_algorithm_t algorithm) {
  /* A century with a one-second window; a century with a 10^15 ns (11.6
   * day) window and limit 1000; and gaps of 2^62 and 2^60 ns (146 and 36
   * years) where gap * limit is exactly 2^64, which wraps to 0. Many keys,
   * so that some are still in the table when the gap ends, not yet swept
   * away as idle. */
  enum { KEYS = 64 };
  static const struct {
    uint64_t limit, window_ns, gap;
    const char *years;
  } cases[] = {{5, SECOND, CENTURY_NS, "a century"},
               {1000, 1000000ULL * SECOND, CENTURY_NS, "a century"},
               {4, SECOND, 1ULL << 62, "2^62 ns (146 years)"},
               {16, SECOND, 1ULL << 60, "2^60 ns (36 years)"}};
  static rls_key_t keys[KEYS];
  static char note[512];
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    rls_limiter_t limiter;
    rls_open(&limiter, algorithm, cases[c].limit, cases[c].window_ns);
    int count = c == 1 ? 2 : KEYS;
    for (int k = 0; k < count; k++) {
      char name[32];
      snprintf(name, sizeof name, "sleeper:%d", k);
      rls_key_text_set(&keys[k], name);
    }
    /* Before the gap: each key used up at one instant. The note is about
     * gaps, so it joins only the calls made after one. */
    uint64_t t = cases[c].window_ns + 12345;
    for (int k = 0; k < count; k++)
      rls_check_times(&limiter, &keys[k], t, cases[c].limit + 1);
    snprintf(note, sizeof note,
             "after a gap of %s without a call, a key is as fresh as a new "
             "one: exactly the limit, %llu, is allowed at one instant (a "
             "token bucket is full, not more); gap * limit is 2^63 or more "
             "here, past what 64-bit arithmetic holds, so compare the gap "
             "with W before multiplying",
             cases[c].years, (unsigned long long)cases[c].limit);
    limiter.note = note;
    for (int k = 0; k < count; k++)
      rls_check_times(&limiter, &keys[k], t + cases[c].gap, cases[c].limit + 1);
    limiter.note = NULL;
    rls_check(&limiter, &keys[0], t + cases[c].gap + 1);
    for (int k = 0; k < count; k++)
      rls_key_release(&keys[k]);
    rls_close(&limiter);
  }
}

void rlc_earlier_time_is_treated_as_the_latest_seen(rl_algorithm_t algorithm) {
  const uint64_t s = SECOND;
  /* Backwards within a window, into the previous window and to 0. */
  const uint64_t times[] = {
      s + s / 2, s + s / 2,     s + s / 5,     s - s / 10, s + s / 2,
      s + s / 2, 2 * s + s / 2, 2 * s - 1,     2 * s,      0,
      3 * s + 1, 3 * s,         3 * s + s / 2, s,          3 * s + s / 2,
      4 * s,     4 * s + 1,     4 * s - 1,     4 * s,      4 * s + s / 2};
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 3, s);
  limiter.note = "calls can arrive slightly out of order: a now_ns earlier "
                 "than the latest seen for the key is treated as that latest "
                 "time, and retry_after_ns counts from it";
  rls_key_t key;
  rls_key_text_set(&key, "clock");
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    rls_check(&limiter, &key, times[i]);
  rls_key_release(&key);
  rls_close(&limiter);
}

/* Asserts that rl_create answers want for limit and window_ns; destroys
 * the limiter if one was made. */
static void expect_create(rl_algorithm_t algorithm, uint64_t limit,
                          uint64_t window_ns, int want, const char *why) {
  rl_config_t config = {algorithm, limit, window_ns};
  rl_t *rl = NULL;
  stagekit_step("rl_create(%s, limit %llu, window_ns %llu)",
                rlm_algorithm_title(algorithm), (unsigned long long)limit,
                (unsigned long long)window_ns);
  int rc = rls_api()->create(&config, &rl);
  if (rc == 0 && rl != NULL)
    rls_api()->destroy(rl);
  cr_assert(rc == want,
            "rl_create({%s, limit %llu, window_ns %llu}) returned %s; "
            "expected %s: %s; seed=%llu",
            rlm_algorithm_title(algorithm), (unsigned long long)limit,
            (unsigned long long)window_ns, rls_rc_text(rc), rls_rc_text(want),
            why, (unsigned long long)stagekit_seed());
}

void rlc_create_rejects_invalid_configs(rl_algorithm_t algorithm) {
  if (!rls_implements(algorithm))
    cr_skip_test("rl_create says not implemented for %s",
                 rlm_algorithm_title(algorithm));
  const uint64_t top = 1ULL << 63;
  expect_create(algorithm, 10, 0, -EINVAL, "window_ns 0 is invalid");
  expect_create(algorithm, 0, 0, -EINVAL,
                "window_ns 0 is invalid, whatever the limit");
  expect_create(algorithm, 2, top / 2, -EINVAL,
                "limit * window_ns = 2^63 does not fit in 63 bits");
  expect_create(algorithm, 1, top, -EINVAL,
                "limit * window_ns = 2^63 does not fit in 63 bits");
  expect_create(algorithm, 3, top / 3 + 1, -EINVAL,
                "limit * window_ns = 2^63 + 2 does not fit in 63 bits");
  expect_create(algorithm, 1ULL << 32, 1ULL << 31, -EINVAL,
                "limit * window_ns = 2^63 does not fit in 63 bits");
  expect_create(algorithm, UINT64_MAX, 2, -EINVAL,
                "limit * window_ns is about 2^65 (it wraps to 2^64 - 2 in "
                "64-bit arithmetic: test the product without overflowing, "
                "e.g. limit > (2^63 - 1) / window_ns)");
  expect_create(algorithm, (1ULL << 32) + 1, 1ULL << 32, -EINVAL,
                "limit * window_ns is about 2^64 (it wraps to 2^32 in "
                "64-bit arithmetic)");
  expect_create(algorithm, 1, top - 1, 0,
                "limit * window_ns = 2^63 - 1 fits in 63 bits");
  expect_create(algorithm, 3, (top - 1) / 3, 0,
                "limit * window_ns = 2^63 - 2 fits in 63 bits");
  expect_create(algorithm, 0, UINT64_MAX, 0,
                "limit 0 makes limit * window_ns = 0, which fits");
}

void rlc_the_largest_valid_product_decides_exactly(rl_algorithm_t algorithm) {
  const uint64_t top = 1ULL << 63;
  rls_limiter_t limiter;
  rls_open(&limiter, algorithm, 1, top - 1);
  limiter.note = "limit 1, window_ns 2^63 - 1: the largest valid product";
  rls_key_t key;
  rls_key_text_set(&key, "huge");
  const uint64_t times[] = {0, 1, top / 2, top - 2, top - 1};
  for (size_t i = 0; i < sizeof times / sizeof *times; i++)
    rls_check(&limiter, &key, times[i]);
  rls_key_release(&key);
  rls_close(&limiter);
}

void rlc_destroy_accepts_null(rl_algorithm_t algorithm) {
  if (!rls_implements(algorithm))
    cr_skip_test("rl_create says not implemented for %s",
                 rlm_algorithm_title(algorithm));
  stagekit_step("rl_destroy(NULL)");
  rls_api()->destroy(NULL);
}

/* The window lengths the random run picks from (or a random one). */
static const uint64_t random_windows[] = {
    1, 2, 3, 7, 10, 1000, 999983, SECOND, 60 * SECOND, 86400 * SECOND};

/* The keys of the random run: the empty key, binary keys, a long key and
 * plain ones. */
static void random_keys(rls_key_t *keys, int count) {
  rls_key_set(&keys[0], NULL, 0);
  for (int i = 1; i < count; i++) {
    if (i < 8) {
      /* "k\0" and one more byte, some with a trailing NUL. */
      unsigned char binary[4] = {'k', 0, (unsigned char)(i * 37), 0};
      rls_key_set(&keys[i], binary, i % 2 ? 3 : 4);
    } else if (i == 8) {
      unsigned char bytes[300];
      memset(bytes, 'L', sizeof bytes);
      rls_key_set(&keys[i], bytes, sizeof bytes);
    } else {
      char name[32];
      snprintf(name, sizeof name, "user:%d", i);
      rls_key_text_set(&keys[i], name);
    }
  }
}

/* Moves the clock for the next operation: mostly the same instant or a
 * few ns on, sometimes to or around a window boundary, a window or more
 * on, or far ahead. */
static uint64_t random_step(rng_t *rng, uint64_t t, uint64_t limit,
                            uint64_t w) {
  uint64_t roll = rng_below(rng, 100);
  if (roll < 35)
    return t;
  if (roll < 55)
    return t + 1 + rng_below(rng, 3);
  if (roll < 67)
    return t + rng_below(rng, w / limit + 1);
  if (roll < 77)
    return (t / w + 1) * w - 1 + rng_below(rng, 3);
  if (roll < 84)
    return t + w - 1 + rng_below(rng, 3);
  if (roll < 91)
    return t + rng_below(rng, 3 * w);
  return t + w * (2 + rng_below(rng, 50));
}

void rlc_matches_the_model_on_random_operations(rl_algorithm_t algorithm) {
  enum { ROUNDS = 10, OPERATIONS = 2000, KEYS = 48 };
  static rls_key_t keys[KEYS];
  static char note[256];
  rng_t rng;
  rls_rng(&rng, 0x5eed00 + (uint64_t)algorithm);
  for (int round = 0; round < ROUNDS; round++) {
    uint64_t limit = 1 + rng_below(&rng, 20);
    uint64_t w =
        rng_below(&rng, 3) == 0
            ? 1 + rng_below(&rng, SECOND)
            : random_windows[rng_below(&rng, sizeof random_windows /
                                                 sizeof *random_windows)];
    uint64_t t = rng_below(&rng, 2) ? 0 : rng_below(&rng, 1ULL << 50);
    rls_limiter_t limiter;
    rls_open(&limiter, algorithm, limit, w);
    snprintf(note, sizeof note,
             "random operations on %d keys, round %d of %d: limit %llu, "
             "window_ns %llu",
             KEYS, round + 1, ROUNDS, (unsigned long long)limit,
             (unsigned long long)w);
    limiter.context = note;
    random_keys(keys, KEYS);
    for (int op = 0; op < OPERATIONS; op++) {
      if (op % 500 == 0)
        stagekit_step("random operations, round %d, operation %d (seed %llu)",
                      round + 1, op + 1, (unsigned long long)stagekit_seed());
      /* A few hot keys take half of the traffic, so limits are reached. */
      rls_key_t *key = &keys[rng_below(&rng, 2) ? rng_below(&rng, 6)
                                                : rng_below(&rng, KEYS)];
      if (rng_below(&rng, 100) < 6 && key->model.latest > 0 &&
          rlm_state_matters(&limiter.config, &key->model, t)) {
        /* Out of order: up to a window before the key's latest time. Only
         * for a key whose state still matters, which no implementation
         * may have reclaimed. */
        uint64_t back = key->model.latest < w ? key->model.latest : w;
        rls_check(&limiter, key, key->model.latest - 1 - rng_below(&rng, back));
        continue;
      }
      t = random_step(&rng, t, limit, w);
      rls_check(&limiter, key, t);
    }
    for (int i = 0; i < KEYS; i++)
      rls_key_release(&keys[i]);
    rls_close(&limiter);
  }
}

/* Makes the idx-th key of the leak test in buffer; some are long, so that
 * a key stored apart from its entry is also freed. Returns its length. */
static size_t leak_key(unsigned char *buffer, unsigned idx) {
  int n = snprintf((char *)buffer, 32, "leak:%u:", idx);
  size_t len = (size_t)n;
  if (idx % 10 == 0) {
    memset(buffer + len, 'l', 900);
    len += 900;
  }
  return len;
}

void rlc_destroy_frees_every_byte(rl_algorithm_t algorithm) {
  enum { KEYS = 1000 };
  static unsigned char key[RL_KEY_MAX];
  const rl_api_t *api = rls_api();
  rl_config_t config = {algorithm, 5, SECOND};
  /* Warm up: the first limiter may set up process-wide things once (a
   * random hash seed, a thread key), which are not a leak. */
  rls_limiter_t warm;
  rls_open(&warm, algorithm, 5, SECOND);
  rl_decision_t decision;
  for (unsigned i = 0; i < 100; i++)
    api->check(warm.rl, key, leak_key(key, i), SECOND, &decision);
  rls_close(&warm);

  stagekit_step("rl_create, calls on %d keys, rl_destroy", 2 * KEYS);
  /* From here to the last memstat_allocated() no assertion runs, since
   * Criterion may allocate for one. */
  int64_t before = memstat_allocated();
  rl_t *rl = NULL;
  int create_rc = api->create(&config, &rl);
  int first_error = 0;
  unsigned failed_key = 0;
  if (create_rc == 0 && rl != NULL) {
    /* KEYS keys at one time, three calls each; then KEYS more keys five
     * windows later, while time passes over the first ones; then a mix. */
    for (unsigned phase = 0; phase < 3 && first_error == 0; phase++) {
      uint64_t t = SECOND + phase * 5 * SECOND;
      for (unsigned i = 0; i < KEYS * 3 && first_error == 0; i++) {
        unsigned idx =
            phase == 2 ? (i * 7919) % (2 * KEYS) : phase * KEYS + i % KEYS;
        int rc =
            api->check(rl, key, leak_key(key, idx), t + i * 1000, &decision);
        if (rc != 0) {
          first_error = rc;
          failed_key = idx;
        }
      }
    }
    api->destroy(rl);
  }
  int64_t after = memstat_allocated();

  cr_assert(create_rc == 0 && rl != NULL,
            "rl_create({%s, limit 5, window_ns 1000000000}) returned %s; "
            "expected 0 and a limiter; seed=%llu",
            rlm_algorithm_title(algorithm), rls_rc_text(create_rc),
            (unsigned long long)stagekit_seed());
  cr_assert(first_error == 0,
            "rl_check for key %s returned %s; expected 0; seed=%llu",
            rls_key_text(key, leak_key(key, failed_key)),
            rls_rc_text(first_error), (unsigned long long)stagekit_seed());
  if (before < 0)
    return; /* A sanitizer build: LeakSanitizer's job, not ours. */
  cr_assert(after == before,
            "after rl_destroy, %lld bytes allocated during the test were not "
            "freed (%d keys created, some of them 900 bytes long, with "
            "%d calls): rl_destroy must free every key's state, the keys' "
            "bytes, the table and the limiter itself; seed=%llu",
            (long long)(after - before), 2 * KEYS, 9 * KEYS,
            (unsigned long long)stagekit_seed());
}
