/* lc_suite.c - the LRU cache stages' fixture: the plug-in's functions,
 * caches that skip when their policy is not written, and words for
 * failure messages (return codes, byte strings, policies). */
#include "lc_suite.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const lc_api_t *lcs_api(void) {
  static lc_api_t api;
  if (api.create == NULL) {
    const char *missing = NULL;
    stagekit_bound(lc_api_bind(stagekit_plugin(), &api, &missing), missing);
  }
  return &api;
}

void lcs_setup(void) {
  stagekit_guard();
}

void lcs_rng(rng_t *rng, uint64_t salt) {
  rng_seed(rng, stagekit_seed() ^ (salt * 0x9e3779b97f4a7c15ULL));
}

const char *lcs_policy_title(lc_policy_t policy) {
  switch (policy) {
  case LC_POLICY_LRU: return "LRU";
  case LC_POLICY_OWN: return "your own policy";
  }
  return "an unknown policy";
}

bool lcs_implements(lc_policy_t policy) {
  lc_config_t config = {policy, 16, 0};
  lc_t *cache = NULL;
  stagekit_step("lc_create(%s, max_entries 16) to see whether it is "
                "implemented",
                lcs_policy_title(policy));
  int rc = lcs_api()->create(&config, &cache);
  if (rc == LC_ENOTIMPL)
    return false;
  cr_assert(rc == 0 && cache != NULL,
            "lc_create({%s, max_entries 16, max_bytes 0}) returned %s%s; "
            "expected 0 and a cache, or LC_ENOTIMPL; seed=%llu",
            lcs_policy_title(policy), lcs_rc_text(rc),
            rc == 0 ? " but left *out NULL" : "",
            (unsigned long long)stagekit_seed());
  lcs_api()->destroy(cache);
  return true;
}

lc_policy_t lcs_any_policy(void) {
  if (lcs_implements(LC_POLICY_LRU))
    return LC_POLICY_LRU;
  if (lcs_implements(LC_POLICY_OWN))
    return LC_POLICY_OWN;
  cr_skip_test("lc_create says not implemented for LC_POLICY_LRU and for "
               "LC_POLICY_OWN");
  return LC_POLICY_LRU;
}

lc_t *lcs_open(lc_policy_t policy, uint64_t max_entries, uint64_t max_bytes) {
  lc_config_t config = {policy, max_entries, max_bytes};
  lc_t *cache = NULL;
  stagekit_step("lc_create(%s, max_entries %llu, max_bytes %llu)",
                lcs_policy_title(policy), (unsigned long long)max_entries,
                (unsigned long long)max_bytes);
  int rc = lcs_api()->create(&config, &cache);
  if (rc == LC_ENOTIMPL)
    cr_skip_test("lc_create says not implemented for %s",
                 lcs_policy_title(policy));
  cr_assert(rc == 0 && cache != NULL,
            "lc_create({%s, max_entries %llu, max_bytes %llu}) returned "
            "%s%s; expected 0 and a cache in *out; seed=%llu",
            lcs_policy_title(policy), (unsigned long long)max_entries,
            (unsigned long long)max_bytes, lcs_rc_text(rc),
            rc == 0 ? " but left *out NULL" : "",
            (unsigned long long)stagekit_seed());
  return cache;
}

const char *lcs_rc_text(int rc) {
  return stagekit_rc_text(rc, "LC_ENOTIMPL");
}

const char *lcs_bytes_text(const void *bytes, size_t len) {
  return stagekit_bytes_text(bytes, len);
}

lc_stats_t lcs_stats(lc_t *cache) {
  lc_stats_t stats;
  memset(&stats, 0xa5, sizeof stats);
  int rc = lcs_api()->stats(cache, &stats);
  cr_assert(rc == 0, "lc_stats returned %s; expected 0; seed=%llu",
            lcs_rc_text(rc), (unsigned long long)stagekit_seed());
  return stats;
}

const char *lcs_replay(void) {
  static char text[1100];
  snprintf(text, sizeof text, "seed=%llu; replay with %s",
           (unsigned long long)stagekit_seed(), stagekit_replay());
  return text;
}

void lcs_fill_value(unsigned char *out, size_t len, uint64_t seed) {
  uint64_t state = seed;
  for (size_t i = 0; i < len; i += 8) {
    uint64_t word = rng_splitmix64(&state);
    size_t n = len - i < 8 ? len - i : 8;
    memcpy(out + i, &word, n);
  }
}

/* Every call of a short test is noted, then every 256th: the note costs a
 * file write. */
static bool worth_noting(void) {
  static uint64_t calls;
  return calls++ < 64 || calls % 256 == 0;
}

void lcs_put_bytes(lc_t *cache, const void *key, size_t key_len,
                   const void *value, size_t value_len, uint64_t ttl,
                   uint64_t now, int expected_rc, const char *story) {
  if (worth_noting())
    stagekit_step("%s; lc_put(%s, %zu bytes, ttl %llu ns, now %llu)", story,
                  lcs_bytes_text(key, key_len), value_len,
                  (unsigned long long)ttl, (unsigned long long)now);
  int rc = lcs_api()->put(cache, key, key_len, value, value_len, ttl, now);
  cr_assert(rc == expected_rc,
            "%s: lc_put(key %s, value %s (%zu bytes), ttl_ns %llu, now_ns "
            "%llu) returned %s; expected %s; %s",
            story, lcs_bytes_text(key, key_len),
            lcs_bytes_text(value, value_len), value_len,
            (unsigned long long)ttl, (unsigned long long)now, lcs_rc_text(rc),
            lcs_rc_text(expected_rc), lcs_replay());
}

void lcs_put_text(lc_t *cache, const char *key, const char *value, uint64_t now,
                  const char *story) {
  lcs_put_bytes(cache, key, strlen(key), value, strlen(value), LC_NO_TTL, now,
                0, story);
}

void lcs_expect(lc_t *cache, const void *key, size_t key_len, uint64_t now,
                const void *value, size_t value_len, const char *story) {
  size_t room = value != NULL && value_len > 4096 ? value_len : 4096;
  unsigned char *buffer = malloc(room);
  cr_assert(buffer != NULL, "out of memory in the test");
  memset(buffer, 0xee, room);
  size_t got_len = 0xdeadbeef;
  bool found = value == NULL; /* wrong unless lc_get sets it */
  if (worth_noting())
    stagekit_step("%s; lc_get(%s, now %llu)", story,
                  lcs_bytes_text(key, key_len), (unsigned long long)now);
  int rc =
      lcs_api()->get(cache, key, key_len, now, buffer, room, &got_len, &found);
  char got[400];
  if (rc != 0)
    snprintf(got, sizeof got, "returned %s", lcs_rc_text(rc));
  else if (!found && got_len != 0)
    snprintf(got, sizeof got,
             "returned not found but left value_len %zu (a miss stores 0 in "
             "*value_len)",
             got_len);
  else if (!found)
    snprintf(got, sizeof got, "returned not found");
  else
    snprintf(got, sizeof got, "returned found, value %s (value_len %zu)",
             lcs_bytes_text(buffer, got_len < room ? got_len : room), got_len);
  char want[400];
  if (value == NULL)
    snprintf(want, sizeof want, "not found, value_len 0");
  else
    snprintf(want, sizeof want, "found, value %s (value_len %zu)",
             lcs_bytes_text(value, value_len), value_len);
  bool right = rc == 0 && found == (value != NULL);
  if (right && value == NULL)
    right = got_len == 0;
  if (right && value != NULL)
    right = got_len == value_len &&
            (value_len == 0 || memcmp(buffer, value, value_len) == 0);
  free(buffer);
  cr_assert(right, "%s: lc_get(key %s, now_ns %llu) %s; expected %s; %s", story,
            lcs_bytes_text(key, key_len), (unsigned long long)now, got, want,
            lcs_replay());
}

void lcs_expect_text(lc_t *cache, const char *key, const char *value,
                     uint64_t now, const char *story) {
  lcs_expect(cache, key, strlen(key), now, value,
             value != NULL ? strlen(value) : 0, story);
}
