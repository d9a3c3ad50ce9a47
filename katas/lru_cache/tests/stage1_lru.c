/* stage1_lru.c - stage 1: exact LRU semantics. Named tests for the bugs
 * that judges have let through, then seeded random histories of 100 000
 * calls compared with the model at capacities 1, 2, 3, 64 and 10 000. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_history.h"
#include "lc_suite.h"

TestSuite(lru, .init = lcs_setup, .timeout = 30);

#define T0 1000

/* Asserts that stats hold exactly these numbers. */
static void expect_stats(lc_t *cache, uint64_t hits, uint64_t misses,
                         uint64_t evictions, uint64_t items, uint64_t bytes,
                         const char *story) {
  lc_stats_t s = lcs_stats(cache);
  cr_assert(s.hits == hits && s.misses == misses && s.evictions == evictions &&
                s.expirations == 0 && s.items == items && s.bytes == bytes,
            "%s: lc_stats gave hits %llu, misses %llu, evictions %llu, "
            "expirations %llu, items %llu, bytes %llu; expected hits %llu, "
            "misses %llu, evictions %llu, expirations 0, items %llu, bytes "
            "%llu (bytes: key_len + value_len summed over the entries "
            "stored; an overwrite or a delete is not an eviction); %s",
            story, (unsigned long long)s.hits, (unsigned long long)s.misses,
            (unsigned long long)s.evictions, (unsigned long long)s.expirations,
            (unsigned long long)s.items, (unsigned long long)s.bytes,
            (unsigned long long)hits, (unsigned long long)misses,
            (unsigned long long)evictions, (unsigned long long)items,
            (unsigned long long)bytes, lcs_replay());
}

Test(lru, capacity_one_keeps_only_the_latest_entry) {
  /* At capacity 1 every policy has one choice, so this runs on any. */
  lc_t *cache = lcs_open(lcs_any_policy(), 1, 0);
  const char *story = "max_entries 1: put a=1";
  lcs_put_text(cache, "a", "1", T0, story);
  lcs_expect_text(cache, "a", "1", T0 + 1, story);
  story = "max_entries 1: put a=1, get a, put b=2 (evicts a)";
  lcs_put_text(cache, "b", "2", T0 + 2, story);
  lcs_expect_text(cache, "b", "2", T0 + 3, story);
  lcs_expect_text(cache, "a", NULL, T0 + 4, story);
  story = "max_entries 1: put a=1, put b=2, put b=3 (an overwrite: nothing "
          "to evict)";
  lcs_put_text(cache, "b", "3", T0 + 5, story);
  lcs_expect_text(cache, "b", "3", T0 + 6, story);
  expect_stats(cache, 3, 1, 1, 1, 2, story);
  story = "max_entries 1: ..., put b=3, put a=4 (evicts b)";
  lcs_put_text(cache, "a", "4", T0 + 7, story);
  lcs_expect_text(cache, "b", NULL, T0 + 8, story);
  lcs_expect_text(cache, "a", "4", T0 + 9, story);
  expect_stats(cache, 4, 2, 2, 1, 2, story);
  lcs_api()->destroy(cache);
}

Test(lru, a_get_makes_the_entry_most_recently_used) {
  lc_t *cache = lcs_open(LC_POLICY_LRU, 3, 0);
  lcs_put_text(cache, "a", "1", T0, "max_entries 3");
  lcs_put_text(cache, "b", "2", T0 + 1, "max_entries 3");
  lcs_put_text(cache, "c", "3", T0 + 2, "max_entries 3");
  lcs_expect_text(cache, "a", "1", T0 + 3, "max_entries 3: put a, b, c");
  const char *story = "max_entries 3: put a, b, c; get a (now the most "
                      "recent: b is the least recently used); put d evicts "
                      "b";
  lcs_put_text(cache, "d", "4", T0 + 4, story);
  lcs_expect_text(cache, "a", "1", T0 + 5, story);
  lcs_expect_text(cache, "c", "3", T0 + 6, story);
  lcs_expect_text(cache, "d", "4", T0 + 7, story);
  lcs_expect_text(cache, "b", NULL, T0 + 8, story);
  story = "max_entries 3: put a, b, c; get a; put d (evicts b); get a, c, d "
          "(a is now the least recently used); put e evicts a";
  lcs_put_text(cache, "e", "5", T0 + 9, story);
  lcs_expect_text(cache, "a", NULL, T0 + 10, story);
  lcs_expect_text(cache, "c", "3", T0 + 11, story);
  lcs_expect_text(cache, "d", "4", T0 + 12, story);
  lcs_expect_text(cache, "e", "5", T0 + 13, story);
  lcs_api()->destroy(cache);
}

Test(lru, a_put_on_an_existing_key_updates_the_value_and_refreshes) {
  lc_t *cache = lcs_open(LC_POLICY_LRU, 3, 0);
  lcs_put_text(cache, "a", "1", T0, "max_entries 3");
  lcs_put_text(cache, "b", "2", T0 + 1, "max_entries 3");
  lcs_put_text(cache, "c", "3", T0 + 2, "max_entries 3");
  const char *story = "max_entries 3: put a=1, b, c; put a=one (an update: "
                      "a is now the most recent, b the least recently used)";
  lcs_put_text(cache, "a", "one", T0 + 3, story);
  lcs_expect_text(cache, "a", "one", T0 + 4, story);
  expect_stats(cache, 1, 0, 0, 3, 6 + 2, story);
  story = "max_entries 3: put a=1, b, c; put a=one; get a; put d evicts b, "
          "not a";
  lcs_put_text(cache, "d", "4", T0 + 5, story);
  lcs_expect_text(cache, "b", NULL, T0 + 6, story);
  lcs_expect_text(cache, "a", "one", T0 + 7, story);
  story = "max_entries 3: put a=1, b, c; put a=one; put d (evicts b); put "
          "c=three (refreshes c); get a; put e evicts d";
  lcs_put_text(cache, "c", "three", T0 + 8, story);
  lcs_expect_text(cache, "a", "one", T0 + 9, story);
  lcs_put_text(cache, "e", "5", T0 + 10, story);
  lcs_expect_text(cache, "d", NULL, T0 + 11, story);
  lcs_expect_text(cache, "c", "three", T0 + 12, story);
  lcs_api()->destroy(cache);
}

Test(lru, the_least_recently_used_entry_is_evicted_first) {
  /* Eight keys in a cache of four, used in an order unlike their insertion
   * order: evictions must follow recency, not insertion (FIFO) and not the
   * most recent. */
  lc_t *cache = lcs_open(LC_POLICY_LRU, 4, 0);
  const char *keys[] = {"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"};
  const char *story = "max_entries 4: put k0..k3; get k3, k1, k0, k2 "
                      "(recency, oldest first: k3 k1 k0 k2); then put k4..k7 "
                      "evicts k3, k1, k0, k2 in that order";
  for (int i = 0; i < 4; i++)
    lcs_put_text(cache, keys[i], keys[i], T0 + (uint64_t)i, story);
  const int order[] = {3, 1, 0, 2};
  for (int i = 0; i < 4; i++)
    lcs_expect_text(cache, keys[order[i]], keys[order[i]], T0 + 10, story);
  for (int i = 0; i < 4; i++) {
    lcs_put_text(cache, keys[4 + i], keys[4 + i], T0 + 20, story);
    /* Only the evicted key is asked for: a miss changes no recency. */
    lcs_expect_text(cache, keys[order[i]], NULL, T0 + 30, story);
  }
  for (int i = 4; i < 8; i++)
    lcs_expect_text(cache, keys[i], keys[i], T0 + 40, story);
  lcs_api()->destroy(cache);
}

Test(lru, a_cache_holds_exactly_max_entries) {
  lc_policy_t policy = lcs_any_policy();
  const uint64_t capacities[] = {1, 2, 3, 5, 64, 1000};
  char key[32], story[160];
  for (size_t c = 0; c < sizeof capacities / sizeof *capacities; c++) {
    uint64_t cap = capacities[c];
    lc_t *cache = lcs_open(policy, cap, 0);
    snprintf(story, sizeof story,
             "max_entries %llu: put %llu distinct keys, which all fit",
             (unsigned long long)cap, (unsigned long long)cap);
    uint64_t bytes = 0;
    for (uint64_t i = 0; i < cap; i++) {
      int len = snprintf(key, sizeof key, "key%llu", (unsigned long long)i);
      lcs_put_bytes(cache, key, (size_t)len, "v", 1, LC_NO_TTL, T0 + i, 0,
                    story);
      bytes += (uint64_t)len + 1;
    }
    expect_stats(cache, 0, 0, 0, cap, bytes, story);
    for (uint64_t i = 0; i < cap; i++) {
      int len = snprintf(key, sizeof key, "key%llu", (unsigned long long)i);
      lcs_expect(cache, key, (size_t)len, T0 + cap + i, "v", 1, story);
    }
    snprintf(story, sizeof story,
             "max_entries %llu: put %llu distinct keys, then one more, "
             "which evicts exactly one",
             (unsigned long long)cap, (unsigned long long)cap);
    lcs_put_bytes(cache, "one more", 8, "v", 1, LC_NO_TTL, T0 + 3 * cap, 0,
                  story);
    lc_stats_t s = lcs_stats(cache);
    cr_assert(s.items == cap && s.evictions == 1,
              "%s: lc_stats gave items %llu, evictions %llu; expected items "
              "%llu, evictions 1; %s",
              story, (unsigned long long)s.items,
              (unsigned long long)s.evictions, (unsigned long long)cap,
              lcs_replay());
    lcs_expect(cache, "one more", 8, T0 + 4 * cap, "v", 1, story);
    lcs_api()->destroy(cache);
  }
}

Test(lru, an_empty_value_and_the_value_0_are_real_values) {
  lc_t *cache = lcs_open(lcs_any_policy(), 16, 0);
  const char *story = "put empty = \"\" (value_len 0), zero = \"0\", nul = "
                      "\"\\0\", and an empty key = \"\"";
  lcs_put_bytes(cache, "empty", 5, "", 0, LC_NO_TTL, T0, 0, story);
  lcs_put_bytes(cache, "zero", 4, "0", 1, LC_NO_TTL, T0, 0, story);
  lcs_put_bytes(cache, "nul", 3, "\0", 1, LC_NO_TTL, T0, 0, story);
  lcs_put_bytes(cache, "", 0, "", 0, LC_NO_TTL, T0, 0, story);
  lcs_expect(cache, "empty", 5, T0 + 1, "", 0, story);
  lcs_expect(cache, "zero", 4, T0 + 1, "0", 1, story);
  lcs_expect(cache, "nul", 3, T0 + 1, "\0", 1, story);
  lcs_expect(cache, "", 0, T0 + 1, "", 0, story);
  lcs_expect(cache, "missing", 7, T0 + 1, NULL, 0, story);
  /* A NULL buffer of size 0 still learns that the empty value is there. */
  size_t value_len = 99;
  bool found = false;
  int rc =
      lcs_api()->get(cache, "empty", 5, T0 + 2, NULL, 0, &value_len, &found);
  cr_assert(rc == 0 && found && value_len == 0,
            "%s: lc_get(\"empty\", buffer NULL, buffer_size 0) returned %s, "
            "found %d, value_len %zu; expected 0, found, value_len 0; %s",
            story, lcs_rc_text(rc), found, value_len, lcs_replay());
  expect_stats(cache, 5, 1, 0, 4, 5 + 4 + 1 + 3 + 1, story);
  lcs_api()->destroy(cache);
}

Test(lru, an_overwrite_with_a_longer_or_shorter_value_is_stored_whole) {
  lc_t *cache = lcs_open(lcs_any_policy(), 4, 0);
  static unsigned char longer[3000];
  lcs_fill_value(longer, sizeof longer, 42);
  const char *story = "put k=\"short\"";
  lcs_put_text(cache, "k", "short", T0, story);
  lcs_expect_text(cache, "k", "short", T0 + 1, story);
  story = "put k=\"short\", then k = 3000 bytes";
  lcs_put_bytes(cache, "k", 1, longer, sizeof longer, LC_NO_TTL, T0 + 2, 0,
                story);
  lcs_expect(cache, "k", 1, T0 + 3, longer, sizeof longer, story);
  story = "put k=\"short\", then k = 3000 bytes, then k=\"x\"";
  lcs_put_text(cache, "k", "x", T0 + 4, story);
  lcs_expect_text(cache, "k", "x", T0 + 5, story);
  story = "put k=\"short\", k = 3000 bytes, k=\"x\", k=\"\"";
  lcs_put_text(cache, "k", "", T0 + 6, story);
  lcs_expect_text(cache, "k", "", T0 + 7, story);
  expect_stats(cache, 4, 0, 0, 1, 1, story);
  lcs_api()->destroy(cache);
}

Test(lru, deleting_a_missing_key_deletes_nothing) {
  lc_t *cache = lcs_open(lcs_any_policy(), 4, 0);
  const lc_api_t *api = lcs_api();
  lcs_put_text(cache, "a", "1", T0, "put a=1");
  const char *keys[] = {"nope", "a", "a", ""};
  const bool expected[] = {false, true, false, false};
  const char *stories[] = {
      "put a=1; delete nope (never put)", "put a=1; delete nope; delete a",
      "put a=1; delete nope; delete a; delete a again",
      "put a=1; delete nope; delete a twice; delete the empty key"};
  for (int i = 0; i < 4; i++) {
    bool deleted = !expected[i]; /* wrong unless lc_delete sets it */
    int rc = api->del(cache, keys[i], strlen(keys[i]), T0 + 1 + (uint64_t)i,
                      &deleted);
    cr_assert(rc == 0 && deleted == expected[i],
              "%s: lc_delete(%s) returned %s, deleted %s; expected 0, "
              "deleted %s; %s",
              stories[i], lcs_bytes_text(keys[i], strlen(keys[i])),
              lcs_rc_text(rc), deleted ? "true" : "false",
              expected[i] ? "true" : "false", lcs_replay());
    lcs_expect_text(cache, "a", i == 0 ? "1" : NULL, T0 + 10, stories[i]);
  }
  expect_stats(cache, 1, 3, 0, 0, 0, "put a=1; delete nope; delete a ...");
  lcs_api()->destroy(cache);
}

/* Puts count keys with distinct values and checks each finds its own. */
static void check_distinct(lc_policy_t policy, const unsigned char *const *keys,
                           const size_t *lens, int count, const char *story) {
  lc_t *cache = lcs_open(policy, (uint64_t)count, 0);
  char value[16];
  for (int i = 0; i < count; i++) {
    int n = snprintf(value, sizeof value, "v%d", i);
    lcs_put_bytes(cache, keys[i], lens[i], value, (size_t)n, LC_NO_TTL, T0, 0,
                  story);
  }
  for (int round = 0; round < 2; round++) {
    for (int i = 0; i < count; i++) {
      int n = snprintf(value, sizeof value, "v%d", i);
      lcs_expect(cache, keys[i], lens[i], T0 + 1, value, (size_t)n, story);
    }
  }
  lcs_api()->destroy(cache);
}

Test(lru, binary_keys_are_compared_in_full) {
  lc_policy_t policy = lcs_any_policy();
  static unsigned char long_keys[6][LC_KEY_MAX];
  for (int i = 0; i < 6; i++)
    memset(long_keys[i], 'L', LC_KEY_MAX);
  long_keys[1][LC_KEY_MAX - 1] = 'M'; /* differs in the last byte */
  long_keys[2][63] = 'M';             /* differs at byte 64 */
  long_keys[3][15] = 'M';             /* differs at byte 16 */
  const unsigned char *keys[] = {(const unsigned char *)"",
                                 (const unsigned char *)"\0",
                                 (const unsigned char *)"\0\0",
                                 (const unsigned char *)"a",
                                 (const unsigned char *)"a\0",
                                 (const unsigned char *)"a\0b",
                                 (const unsigned char *)"a\0c",
                                 (const unsigned char *)"ab",
                                 (const unsigned char *)"\xff",
                                 long_keys[0],
                                 long_keys[1],
                                 long_keys[2],
                                 long_keys[3],
                                 long_keys[4],
                                 long_keys[5]};
  const size_t lens[] = {0,          1,          2,          1,  2,
                         3,          3,          2,          1,  LC_KEY_MAX,
                         LC_KEY_MAX, LC_KEY_MAX, LC_KEY_MAX, 64, 1023};
  check_distinct(policy, keys, lens, 15,
                 "keys \"\", \"\\0\", \"\\0\\0\", \"a\", \"a\\0\", "
                 "\"a\\0b\", \"a\\0c\", \"ab\", \"\\xff\" and 1024-byte "
                 "keys differing only at byte 1024, 64 or 16, or in length "
                 "(64, 1023): every one a different key");
}

Test(lru, many_keys_are_told_apart) {
  /* 20 000 keys in a cache that holds them all: keys compared by a hash
   * alone, or by a prefix, find each other's values. */
  enum { COUNT = 20000 };
  lc_policy_t policy = lcs_any_policy();
  static unsigned char storage[COUNT][24];
  static const unsigned char *keys[COUNT];
  static size_t lens[COUNT];
  for (int i = 0; i < COUNT; i++) {
    lens[i] = (size_t)snprintf((char *)storage[i], sizeof storage[i],
                               "user:%08d:profile", i);
    keys[i] = storage[i];
  }
  check_distinct(policy, keys, lens, COUNT,
                 "20000 keys \"user:NNNNNNNN:profile\" in a cache of 20000");
}

Test(lru, the_caller_may_reuse_its_key_and_value_buffers) {
  lc_t *cache = lcs_open(lcs_any_policy(), 64, 0);
  const lc_api_t *api = lcs_api();
  char key[32], value[64];
  const char *story = "put k0=value-0 .. k19=value-19 from one key buffer "
                      "and one value buffer, which the caller overwrites "
                      "after each call";
  for (int i = 0; i < 20; i++) {
    int klen = snprintf(key, sizeof key, "k%d", i);
    int vlen = snprintf(value, sizeof value, "value-%d", i);
    int rc = api->put(cache, key, (size_t)klen, value, (size_t)vlen, LC_NO_TTL,
                      T0 + (uint64_t)i);
    cr_assert(rc == 0, "%s: lc_put(k%d) returned %s; %s", story, i,
              lcs_rc_text(rc), lcs_replay());
    memset(key, 'X', sizeof key);
    memset(value, 'Y', sizeof value);
  }
  for (int i = 0; i < 20; i++) {
    char want_key[32], want[64];
    int klen = snprintf(want_key, sizeof want_key, "k%d", i);
    int vlen = snprintf(want, sizeof want, "value-%d", i);
    lcs_expect(cache, want_key, (size_t)klen, T0 + 100, want, (size_t)vlen,
               "put k0..k19 from reused buffers (store copies of the key "
               "and the value, not the caller's pointers)");
  }
  lcs_api()->destroy(cache);
}

Test(lru, a_small_buffer_gets_the_first_bytes_and_the_full_length) {
  lc_t *cache = lcs_open(lcs_any_policy(), 4, 0);
  unsigned char value[100], buffer[128];
  lcs_fill_value(value, sizeof value, 7);
  lcs_put_bytes(cache, "k", 1, value, sizeof value, LC_NO_TTL, T0, 0,
                "put k = 100 bytes");
  const size_t sizes[] = {0, 1, 10, 99, 100, 128};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    size_t size = sizes[s];
    memset(buffer, 0xee, sizeof buffer);
    size_t value_len = 0;
    bool found = false;
    int rc = lcs_api()->get(cache, "k", 1, T0 + 1, size ? buffer : NULL, size,
                            &value_len, &found);
    size_t copied = size < 100 ? size : 100;
    bool untouched = true;
    for (size_t b = copied; b < sizeof buffer; b++)
      untouched &= buffer[b] == 0xee;
    cr_assert(rc == 0 && found && value_len == 100 &&
                  memcmp(buffer, value, copied) == 0 && untouched,
              "put k = 100 bytes; lc_get(k, buffer_size %zu%s) returned %s, "
              "found %d, value_len %zu, %s; expected 0, found, value_len 100 "
              "(the full length, whatever the buffer), the first %zu bytes "
              "of the value copied and nothing written past them; %s",
              size, size ? "" : ", buffer NULL", lcs_rc_text(rc), found,
              value_len,
              !untouched ? "and wrote past buffer_size"
              : memcmp(buffer, value, copied) != 0 ? "with other bytes"
                                                   : "the right bytes",
              copied, lcs_replay());
  }
  lcs_api()->destroy(cache);
}

Test(lru, keys_and_values_over_the_limits_get_einval) {
  lc_t *cache = lcs_open(lcs_any_policy(), 4, 0);
  const lc_api_t *api = lcs_api();
  static unsigned char key[LC_KEY_MAX + 1];
  static unsigned char value[LC_VALUE_MAX + 1];
  memset(key, 'k', sizeof key);
  lcs_fill_value(value, sizeof value, 3);
  const char *story = "a cache of 4 entries";
  lcs_put_bytes(cache, key, LC_KEY_MAX + 1, "v", 1, LC_NO_TTL, T0, -EINVAL,
                story);
  lcs_put_bytes(cache, "k", 1, value, LC_VALUE_MAX + 1, LC_NO_TTL, T0, -EINVAL,
                story);
  size_t value_len;
  bool flag;
  uint64_t ttl;
  int rc = api->get(cache, key, LC_KEY_MAX + 1, T0, NULL, 0, &value_len, &flag);
  cr_assert(rc == -EINVAL,
            "lc_get with a key of %d bytes returned %s; "
            "expected -EINVAL (LC_KEY_MAX is %d); %s",
            LC_KEY_MAX + 1, lcs_rc_text(rc), LC_KEY_MAX, lcs_replay());
  rc = api->del(cache, key, LC_KEY_MAX + 1, T0, &flag);
  cr_assert(rc == -EINVAL,
            "lc_delete with a key of %d bytes returned %s; "
            "expected -EINVAL; %s",
            LC_KEY_MAX + 1, lcs_rc_text(rc), lcs_replay());
  rc = api->expire(cache, key, LC_KEY_MAX + 1, 5, T0, &flag);
  cr_assert(rc == -EINVAL,
            "lc_expire with a key of %d bytes returned %s; "
            "expected -EINVAL; %s",
            LC_KEY_MAX + 1, lcs_rc_text(rc), lcs_replay());
  rc = api->ttl(cache, key, LC_KEY_MAX + 1, T0, &ttl, &flag);
  cr_assert(rc == -EINVAL,
            "lc_ttl with a key of %d bytes returned %s; "
            "expected -EINVAL; %s",
            LC_KEY_MAX + 1, lcs_rc_text(rc), lcs_replay());
  expect_stats(cache, 0, 0, 0, 0, 0,
               "after calls with a 1025-byte key and a value of "
               "LC_VALUE_MAX + 1 bytes, all rejected: nothing stored, "
               "nothing counted");
  story = "the longest key (1024 bytes) with the longest value (1 MiB)";
  lcs_put_bytes(cache, key, LC_KEY_MAX, value, LC_VALUE_MAX, LC_NO_TTL, T0, 0,
                story);
  lcs_expect(cache, key, LC_KEY_MAX, T0 + 1, value, LC_VALUE_MAX, story);
  lcs_api()->destroy(cache);
}

Test(lru, a_pair_over_max_bytes_gets_e2big_and_changes_nothing) {
  lc_t *cache = lcs_open(lcs_any_policy(), 0, 100);
  unsigned char value[100];
  lcs_fill_value(value, sizeof value, 5);
  const char *story = "max_bytes 100: put k = 50 bytes";
  lcs_put_bytes(cache, "k", 1, value, 50, LC_NO_TTL, T0, 0, story);
  story = "max_bytes 100: put k = 50 bytes; put k = 100 bytes (1 + 100 > "
          "100: -E2BIG, and k keeps its 50 bytes)";
  lcs_put_bytes(cache, "k", 1, value, 100, LC_NO_TTL, T0 + 1, -E2BIG, story);
  lcs_expect(cache, "k", 1, T0 + 2, value, 50, story);
  expect_stats(cache, 1, 0, 0, 1, 51, story);
  story = "max_bytes 100: put k = 50 bytes; put x = 99 bytes (1 + 99 = 100 "
          "fits exactly, once k is evicted)";
  lcs_put_bytes(cache, "x", 1, value, 99, LC_NO_TTL, T0 + 3, 0, story);
  lcs_expect(cache, "x", 1, T0 + 4, value, 99, story);
  lcs_expect(cache, "k", 1, T0 + 5, NULL, 0, story);
  expect_stats(cache, 2, 1, 1, 1, 100, story);
  lcs_api()->destroy(cache);
}

Test(lru, a_length_over_its_limit_gets_einval_before_e2big) {
  /* When both apply, -EINVAL wins: a key or value over its maximum is an
   * invalid argument whatever the cache's budget, and key_len + value_len
   * must not be added before the lengths are checked (it can wrap). */
  lc_t *cache = lcs_open(lcs_any_policy(), 0, 100);
  static unsigned char key[LC_KEY_MAX + 1];
  static unsigned char value[LC_VALUE_MAX + 1];
  memset(key, 'k', sizeof key);
  lcs_fill_value(value, sizeof value, 11);
  lcs_put_text(cache, "k", "v", T0, "max_bytes 100: put k=v");
  const size_t key_lens[] = {LC_KEY_MAX + 1, 1, 1, SIZE_MAX, SIZE_MAX - 1};
  const size_t value_lens[] = {1, LC_VALUE_MAX + 1, SIZE_MAX, 1, 2};
  const char *why[] = {
      "max_bytes 100, put k=v; then a key of LC_KEY_MAX + 1 bytes, over "
      "max_bytes too (when both apply, -EINVAL comes before -E2BIG)",
      "max_bytes 100, put k=v; then a value of LC_VALUE_MAX + 1 bytes, over "
      "max_bytes too (when both apply, -EINVAL comes before -E2BIG)",
      "max_bytes 100, put k=v; then value_len SIZE_MAX (key_len + value_len "
      "wraps to 0)",
      "max_bytes 100, put k=v; then key_len SIZE_MAX",
      "max_bytes 100, put k=v; then key_len SIZE_MAX - 1 and value_len 2 "
      "(the sum wraps to 0)"};
  for (int i = 0; i < 5; i++)
    lcs_put_bytes(cache, key, key_lens[i], value, value_lens[i], LC_NO_TTL,
                  T0 + 1, -EINVAL, why[i]);
  const char *story = "max_bytes 100, put k=v; then puts with a key or a "
                      "value over its maximum, all -EINVAL: k is still "
                      "there, and nothing else is stored or counted";
  lcs_expect_text(cache, "k", "v", T0 + 2, story);
  expect_stats(cache, 1, 0, 0, 1, 2, story);
  lcs_api()->destroy(cache);
}

Test(lru, lc_create_rejects_bad_configs) {
  lc_policy_t policy = lcs_any_policy();
  const lc_api_t *api = lcs_api();
  const lc_config_t bad[] = {{policy, 0, 0},
                             {(lc_policy_t)0, 10, 0},
                             {(lc_policy_t)3, 10, 0},
                             {(lc_policy_t)-1, 0, 100}};
  const char *why[] = {"both limits 0", "policy 0 (none of lc_policy_t)",
                       "policy 3 (none of lc_policy_t)",
                       "policy -1 (none of lc_policy_t)"};
  for (int i = 0; i < 4; i++) {
    lc_t *cache = NULL;
    stagekit_step("lc_create with %s", why[i]);
    int rc = api->create(&bad[i], &cache);
    if (rc == 0)
      api->destroy(cache);
    cr_assert(rc == -EINVAL,
              "lc_create({policy %d, max_entries %llu, max_bytes %llu}: %s) "
              "returned %s; expected -EINVAL; %s",
              (int)bad[i].policy, (unsigned long long)bad[i].max_entries,
              (unsigned long long)bad[i].max_bytes, why[i], lcs_rc_text(rc),
              lcs_replay());
  }
  lcs_api()->destroy(NULL);
}

Test(lru, stats_count_hits_misses_evictions_items_and_bytes) {
  lc_t *cache = lcs_open(LC_POLICY_LRU, 2, 0);
  expect_stats(cache, 0, 0, 0, 0, 0, "a fresh cache");
  lcs_put_text(cache, "a", "11", T0, "max_entries 2");
  lcs_put_text(cache, "bb", "2", T0 + 1, "max_entries 2");
  lcs_expect_text(cache, "a", "11", T0 + 2, "max_entries 2");
  lcs_expect_text(cache, "zz", NULL, T0 + 3, "max_entries 2");
  expect_stats(cache, 1, 1, 0, 2, 3 + 3,
               "max_entries 2: put a=11, bb=2; get a (hit), zz (miss)");
  lcs_put_text(cache, "ccc", "333", T0 + 4, "max_entries 2");
  expect_stats(cache, 1, 1, 1, 2, 3 + 6,
               "max_entries 2: put a=11, bb=2; get a, zz; put ccc=333 "
               "(evicts bb)");
  lcs_put_text(cache, "a", "1", T0 + 5, "max_entries 2");
  bool deleted = false;
  lcs_api()->del(cache, "ccc", 3, T0 + 6, &deleted);
  expect_stats(cache, 1, 1, 1, 1, 2,
               "max_entries 2: put a=11, bb=2; get a, zz; put ccc=333 "
               "(evicts bb); put a=1 (an overwrite); delete ccc");
  lcs_api()->destroy(cache);
}

/* Runs a seeded random history of 100 000 calls at capacity cap. */
static void matches_the_model(lc_policy_t policy, uint64_t cap,
                              uint32_t key_count) {
  enum { CALLS = 100000 };
  lc_t *probe = lcs_open(policy, cap, 0); /* skips when not implemented */
  lcs_api()->destroy(probe);
  static char title[64];
  snprintf(title, sizeof title, "capacity %llu", (unsigned long long)cap);
  lch_setup_t setup = {{policy, cap, 0}, 0, NULL, NULL, title};
  cr_assert(lch_keys_make(&setup, key_count) == 0, "out of memory");
  lch_op_t *ops = malloc(CALLS * sizeof *ops);
  cr_assert(ops != NULL, "out of memory");
  rng_t rng;
  lcs_rng(&rng, 0x1ac0 + cap);
  lch_generate(&setup, &rng, ops, CALLS);
  /* Shrinking re-runs histories: at most this many calls in all (fewer
   * under a sanitizer, which has no jemalloc and runs slower). */
  uint64_t budget = memstat_allocated() < 0 ? 3000000 : 15000000;
  lch_check(&setup, ops, CALLS, budget);
  free(ops);
  lch_keys_free(&setup);
}

Test(lru, matches_the_model_at_capacity_1) {
  /* Any policy must evict the one entry, so this holds for all. */
  matches_the_model(lcs_any_policy(), 1, 6);
}

Test(lru, matches_the_model_at_capacity_2) {
  matches_the_model(LC_POLICY_LRU, 2, 8);
}

Test(lru, matches_the_model_at_capacity_3) {
  matches_the_model(LC_POLICY_LRU, 3, 10);
}

Test(lru, matches_the_model_at_capacity_64) {
  matches_the_model(LC_POLICY_LRU, 64, 150);
}

/* A linear scan, correct but slow, takes seconds here (stage 2 is where it
 * fails), more under a sanitizer. */
Test(lru, matches_the_model_at_capacity_10000, .timeout = 120) {
  matches_the_model(LC_POLICY_LRU, 10000, 22000);
}
