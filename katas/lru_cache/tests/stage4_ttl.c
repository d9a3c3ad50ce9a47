/* stage4_ttl.c - stage 4: TTLs. An entry is gone from the instant now >=
 * its deadline; gets do not extend it, puts replace it; lc_expire and
 * lc_ttl; expired entries are reclaimed by the calls themselves and stop
 * counting toward capacity. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lc_model.h"
#include "lc_suite.h"

TestSuite(ttl, .init = lcs_setup, .timeout = 30);

#define T0 1000000

static void expect_ttl(lc_t *cache, const char *key, uint64_t now, bool found,
                       uint64_t ttl, const char *story) {
  uint64_t got = 0xa5a5;
  bool got_found = !found;
  int rc = lcs_api()->ttl(cache, key, strlen(key), now, &got, &got_found);
  char want[96];
  if (!found)
    snprintf(want, sizeof want, "not found");
  else if (ttl == LC_PERSISTENT)
    snprintf(want, sizeof want, "found, LC_PERSISTENT (no TTL)");
  else
    snprintf(want, sizeof want, "found, %llu ns left", (unsigned long long)ttl);
  cr_assert(rc == 0 && got_found == found && (!found || got == ttl),
            "%s: lc_ttl(%s, now_ns %llu) returned %s, %s, ttl_ns %llu; "
            "expected 0, %s; %s",
            story, lcs_bytes_text(key, strlen(key)), (unsigned long long)now,
            lcs_rc_text(rc), got_found ? "found" : "not found",
            (unsigned long long)got, want, lcs_replay());
}

static void expire(lc_t *cache, const char *key, uint64_t ttl, uint64_t now,
                   bool expected, const char *story) {
  bool found = !expected;
  int rc = lcs_api()->expire(cache, key, strlen(key), ttl, now, &found);
  cr_assert(rc == 0 && found == expected,
            "%s: lc_expire(%s, ttl_ns %llu, now_ns %llu) returned %s, %s; "
            "expected 0, %s; %s",
            story, lcs_bytes_text(key, strlen(key)), (unsigned long long)ttl,
            (unsigned long long)now, lcs_rc_text(rc),
            found ? "found" : "not found",
            expected ? "found (a live entry)" : "not found", lcs_replay());
}

static void put_ttl(lc_t *cache, const char *key, const char *value,
                    uint64_t ttl, uint64_t now, const char *story) {
  lcs_put_bytes(cache, key, strlen(key), value, strlen(value), ttl, now, 0,
                story);
}

Test(ttl, an_entry_is_gone_from_its_deadline_on) {
  lc_t *cache = lcs_open(lcs_any_policy(), 16, 0);
  const char *story = "put k ttl 100 ns at t=1000000 (deadline 1000100)";
  put_ttl(cache, "k", "v", 100, T0, story);
  expect_ttl(cache, "k", T0, true, 100, story);
  lcs_expect_text(cache, "k", "v", T0 + 99, story);
  expect_ttl(cache, "k", T0 + 99, true, 1, story);
  story = "put k ttl 100 ns at t=1000000: at t=1000100 = its deadline it is "
          "gone (deadline <= now)";
  lcs_expect_text(cache, "k", NULL, T0 + 100, story);
  lcs_expect_text(cache, "k", NULL, T0 + 101, story);
  lcs_expect_text(cache, "k", NULL, T0 + 1000000, story);
  expect_ttl(cache, "k", T0 + 101, false, 0, story);
  lc_stats_t s = lcs_stats(cache);
  cr_assert(s.items == 0 && s.bytes == 0 && s.expirations == 1 &&
                s.evictions == 0 && s.hits == 1 && s.misses == 3,
            "%s; then 3 gets that missed: lc_stats gave items %llu, bytes "
            "%llu, expirations %llu, evictions %llu, hits %llu, misses %llu; "
            "expected items 0, bytes 0, expirations 1 (the get that found "
            "it expired reclaims it), evictions 0, hits 1, misses 3; %s",
            story, (unsigned long long)s.items, (unsigned long long)s.bytes,
            (unsigned long long)s.expirations, (unsigned long long)s.evictions,
            (unsigned long long)s.hits, (unsigned long long)s.misses,
            lcs_replay());
  /* A TTL of 1 ns: alive only at the instant it was put. */
  story = "put one ttl 1 ns at t=2000000";
  put_ttl(cache, "one", "1", 1, 2 * T0, story);
  lcs_expect_text(cache, "one", "1", 2 * T0, story);
  lcs_expect_text(cache, "one", NULL, 2 * T0 + 1, story);
  lcs_api()->destroy(cache);
}

Test(ttl, a_get_does_not_extend_a_ttl) {
  lc_t *cache = lcs_open(lcs_any_policy(), 16, 0);
  const char *story = "put k ttl 100 at t=1000000, then gets at +50, +99 "
                      "(which must not push the deadline back)";
  put_ttl(cache, "k", "v", 100, T0, story);
  lcs_expect_text(cache, "k", "v", T0 + 50, story);
  lcs_expect_text(cache, "k", "v", T0 + 99, story);
  expect_ttl(cache, "k", T0 + 99, true, 1, story);
  lcs_expect_text(cache, "k", NULL, T0 + 100, story);
  lcs_api()->destroy(cache);
}

Test(ttl, a_put_replaces_the_value_and_the_ttl) {
  lc_t *cache = lcs_open(lcs_any_policy(), 16, 0);
  const char *story = "put k=1 ttl 100 at t=1000000; put k=2 ttl 500 at "
                      "+50 (deadline +550)";
  put_ttl(cache, "k", "1", 100, T0, story);
  put_ttl(cache, "k", "2", 500, T0 + 50, story);
  lcs_expect_text(cache, "k", "2", T0 + 100, story);
  expect_ttl(cache, "k", T0 + 100, true, 450, story);
  lcs_expect_text(cache, "k", "2", T0 + 549, story);
  lcs_expect_text(cache, "k", NULL, T0 + 550, story);
  story = "put p=1 ttl 100 at t=2000000; put p=2 with LC_NO_TTL at +10: "
          "never expires";
  put_ttl(cache, "p", "1", 100, 2 * T0, story);
  put_ttl(cache, "p", "2", LC_NO_TTL, 2 * T0 + 10, story);
  expect_ttl(cache, "p", 2 * T0 + 200, true, LC_PERSISTENT, story);
  lcs_expect_text(cache, "p", "2", 900 * T0, story);
  story = "put q=1 (no TTL) at t=3000000; put q=2 ttl 10 at +5: now it "
          "expires at +15";
  put_ttl(cache, "q", "1", LC_NO_TTL, 3 * T0, story);
  put_ttl(cache, "q", "2", 10, 3 * T0 + 5, story);
  lcs_expect_text(cache, "q", "2", 3 * T0 + 14, story);
  lcs_expect_text(cache, "q", NULL, 3 * T0 + 15, story);
  story = "put r=1 ttl 10 at t=4000000; at +10 it has expired; put r=2 ttl "
          "10 at +20: a new entry, alive until +30";
  put_ttl(cache, "r", "1", 10, 4 * T0, story);
  put_ttl(cache, "r", "2", 10, 4 * T0 + 20, story);
  lcs_expect_text(cache, "r", "2", 4 * T0 + 29, story);
  lcs_expect_text(cache, "r", NULL, 4 * T0 + 30, story);
  lcs_api()->destroy(cache);
}

Test(ttl, lc_expire_and_lc_ttl_follow_the_header) {
  lc_t *cache = lcs_open(lcs_any_policy(), 16, 0);
  const char *story = "put k (no TTL) at t=1000000";
  put_ttl(cache, "k", "v", LC_NO_TTL, T0, story);
  expect_ttl(cache, "k", T0 + 1, true, LC_PERSISTENT, story);
  story = "put k (no TTL) at t=1000000; lc_expire(k, 100) at +10: deadline "
          "+110";
  expire(cache, "k", 100, T0 + 10, true, story);
  expect_ttl(cache, "k", T0 + 60, true, 50, story);
  lcs_expect_text(cache, "k", "v", T0 + 109, story);
  story = "...; lc_expire(k, 100) at +10; lc_expire(k, LC_NO_TTL) at +109 "
          "removes the TTL";
  expire(cache, "k", LC_NO_TTL, T0 + 109, true, story);
  lcs_expect_text(cache, "k", "v", T0 + 5000, story);
  expect_ttl(cache, "k", T0 + 5000, true, LC_PERSISTENT, story);
  story = "lc_expire and lc_ttl of a key never put";
  expire(cache, "nope", 100, T0, false, story);
  expect_ttl(cache, "nope", T0, false, 0, story);
  lcs_expect_text(cache, "nope", NULL, T0 + 1, story);
  story = "put e ttl 10 at t=2000000; at +10 it has expired: lc_expire "
          "finds nothing and must not bring it back";
  put_ttl(cache, "e", "v", 10, 2 * T0, story);
  expire(cache, "e", 1000, 2 * T0 + 10, false, story);
  lcs_expect_text(cache, "e", NULL, 2 * T0 + 11, story);
  story = "put d ttl 10 at t=3000000; lc_delete(d) at +10, after its "
          "deadline, deletes no live entry";
  put_ttl(cache, "d", "v", 10, 3 * T0, story);
  bool deleted = true;
  int rc = lcs_api()->del(cache, "d", 1, 3 * T0 + 10, &deleted);
  cr_assert(rc == 0 && !deleted,
            "%s: lc_delete returned %s, %s; expected 0, not deleted; %s", story,
            lcs_rc_text(rc), deleted ? "deleted" : "not deleted", lcs_replay());
  put_ttl(cache, "z", "v", 5, 3 * T0 + 20, "put z ttl 5 at t=3000020");
  lc_stats_t before = lcs_stats(cache);
  expect_ttl(cache, "k", 3 * T0 + 30, true, LC_PERSISTENT, "lc_ttl of k");
  expect_ttl(cache, "nope", 3 * T0 + 30, false, 0, "lc_ttl of nope");
  expect_ttl(cache, "z", 3 * T0 + 30, false, 0,
             "put z ttl 5 at t=3000020; lc_ttl of z at +10, expired");
  lc_stats_t after = lcs_stats(cache);
  cr_assert(
      memcmp(&after, &before, sizeof after) == 0,
      "three lc_ttl calls (k found, nope never put, z expired and not "
      "yet reclaimed) changed the stats from hits %llu, misses %llu, "
      "evictions %llu, expirations %llu, items %llu, bytes %llu to "
      "hits %llu, misses %llu, evictions %llu, expirations %llu, items "
      "%llu, bytes %llu; lc_ttl changes nothing, no stat and no "
      "recency: it answers an expired entry not found and leaves it "
      "for the other calls to reclaim (only lc_get counts hits and "
      "misses); %s",
      (unsigned long long)before.hits, (unsigned long long)before.misses,
      (unsigned long long)before.evictions,
      (unsigned long long)before.expirations, (unsigned long long)before.items,
      (unsigned long long)before.bytes, (unsigned long long)after.hits,
      (unsigned long long)after.misses, (unsigned long long)after.evictions,
      (unsigned long long)after.expirations, (unsigned long long)after.items,
      (unsigned long long)after.bytes, lcs_replay());
  lcs_api()->destroy(cache);
}

Test(ttl, lc_expire_and_lc_ttl_do_not_touch_recency) {
  lc_t *cache = lcs_open(LC_POLICY_LRU, 2, 0);
  const char *story = "LRU, max_entries 2: put a, put b, lc_ttl(a), "
                      "lc_expire(a, 1 s), put c: a is still the least "
                      "recently used, so c evicts a";
  put_ttl(cache, "a", "1", LC_NO_TTL, T0, story);
  put_ttl(cache, "b", "2", LC_NO_TTL, T0 + 1, story);
  expect_ttl(cache, "a", T0 + 2, true, LC_PERSISTENT, story);
  expire(cache, "a", 1000000000, T0 + 3, true, story);
  put_ttl(cache, "c", "3", LC_NO_TTL, T0 + 4, story);
  lcs_expect_text(cache, "a", NULL, T0 + 5, story);
  lcs_expect_text(cache, "b", "2", T0 + 6, story);
  lcs_expect_text(cache, "c", "3", T0 + 7, story);
  lcs_api()->destroy(cache);
}

Test(ttl, expired_entries_are_reclaimed_without_being_asked_for) {
  /* N entries expire together; 10 * N later calls on other keys must
   * reclaim them all (a sweep of a few slots per call does), after which
   * they no longer take room: N new entries fit without an eviction. */
  enum { N = 1000, HOT = 4, CALLS = 10 * N };
  lc_t *cache = lcs_open(lcs_any_policy(), N + HOT, 0);
  const lc_api_t *api = lcs_api();
  char key[32];
  const char *story = "max_entries 1004: put 1000 keys \"old:<i>\" with ttl "
                      "1000 at t=1000000 and 4 keys \"hot:<i>\" with no TTL";
  for (int i = 0; i < N; i++) {
    int len = snprintf(key, sizeof key, "old:%d", i);
    lcs_put_bytes(cache, key, (size_t)len, "value", 5, 1000, T0, 0, story);
  }
  for (int i = 0; i < HOT; i++) {
    int len = snprintf(key, sizeof key, "hot:%d", i);
    lcs_put_bytes(cache, key, (size_t)len, "value", 5, LC_NO_TTL, T0, 0, story);
  }
  stagekit_step("%d calls on other keys after 1000 entries expired", CALLS);
  uint64_t t = 2 * T0;
  int rc = 0;
  for (int i = 0; i < CALLS && rc == 0; i++, t++) {
    char buffer[16];
    size_t value_len;
    bool found;
    if (i % 2 == 0) {
      int len = snprintf(key, sizeof key, "never:%d", i);
      rc = api->get(cache, key, (size_t)len, t, buffer, sizeof buffer,
                    &value_len, &found);
    } else {
      int len = snprintf(key, sizeof key, "hot:%d", i % HOT);
      rc = api->put(cache, key, (size_t)len, "value", 5, LC_NO_TTL, t);
    }
  }
  cr_assert(rc == 0,
            "%s; then gets and puts of other keys: a call returned "
            "%s; %s",
            story, lcs_rc_text(rc), lcs_replay());
  lc_stats_t s = lcs_stats(cache);
  cr_assert(s.items == HOT && s.expirations == N && s.evictions == 0,
            "%s; at t=2000000 all 1000 have expired; after %d calls on "
            "other keys (gets of keys never put, puts of the hot keys), "
            "lc_stats gave items %llu, expirations %llu, evictions %llu; "
            "expected items 4, expirations 1000, evictions 0: expired "
            "entries must be reclaimed as calls go on, even when no one "
            "asks for them again - by a bounded sweep inside each call "
            "(no thread of your own); %s",
            story, CALLS, (unsigned long long)s.items,
            (unsigned long long)s.expirations, (unsigned long long)s.evictions,
            lcs_replay());
  story = "...; after the expired entries were reclaimed, put 1000 new keys "
          "\"new:<i>\": they fit beside the 4 hot keys without an eviction";
  for (int i = 0; i < N; i++) {
    int len = snprintf(key, sizeof key, "new:%d", i);
    lcs_put_bytes(cache, key, (size_t)len, "value", 5, LC_NO_TTL, t, 0, story);
  }
  s = lcs_stats(cache);
  cr_assert(s.items == N + HOT && s.evictions == 0,
            "%s: lc_stats gave items %llu, evictions %llu; expected items "
            "1004, evictions 0; %s",
            story, (unsigned long long)s.items, (unsigned long long)s.evictions,
            lcs_replay());
  lcs_api()->destroy(cache);
}

Test(ttl, an_expired_victim_is_an_expiration_not_an_eviction) {
  /* A full LRU cache of entries with one TTL, one put per ns: every put
   * needs room, and the least recently used entry, put ROOM ns before, has
   * expired that very instant. Whether a sweep reached it first or the put
   * takes it as its victim, it was no longer live: an expiration. This is
   * the steady state of a cache of sessions. */
  enum { ROOM = 256, PUTS = 20000 };
  lc_t *cache = lcs_open(LC_POLICY_LRU, ROOM, 0);
  char key[32];
  const char *story =
      "LRU, max_entries 256: put \"s:<i>\" with ttl 256 ns at t=1000000+i "
      "for i = 0, 1, ... (from the 257th on, each put finds the cache full "
      "and its least recently used entry, put 256 ns before, expiring that "
      "instant)";
  for (int i = 0; i < PUTS; i++) {
    int len = snprintf(key, sizeof key, "s:%d", i);
    lcs_put_bytes(cache, key, (size_t)len, "value", 5, ROOM, T0 + (uint64_t)i,
                  0, story);
  }
  lc_stats_t s = lcs_stats(cache);
  cr_assert(s.evictions == 0 && s.expirations + s.items == PUTS &&
                s.items <= ROOM,
            "%s; after %d puts lc_stats gave evictions %llu, expirations "
            "%llu, items %llu; expected evictions 0, expirations + items = "
            "%d (each entry put is stored, or was reclaimed once) and items "
            "at most 256: evictions count live entries removed to make "
            "room, and an entry at its deadline is not live - whichever "
            "call removes it, a put making room included, it is one "
            "expiration; %s",
            story, PUTS, (unsigned long long)s.evictions,
            (unsigned long long)s.expirations, (unsigned long long)s.items,
            PUTS, lcs_replay());
  lcs_api()->destroy(cache);
}

Test(ttl, a_put_may_evict_a_live_entry_while_an_expired_one_holds_room) {
  /* Expired entries not yet reclaimed still count toward the limits, and
   * the policy picks the victim: a put may evict the live least recently
   * used entry, or reclaim an expired one first. Either is right; the
   * stats must say which happened. */
  lc_t *cache = lcs_open(LC_POLICY_LRU, 2, 0);
  const lc_api_t *api = lcs_api();
  const char *story = "LRU, max_entries 2: put a (no TTL) at t=1000000, put "
                      "b ttl 10 at +1 (deadline +11); at +11 put c, which "
                      "needs room: it may evict a (the least recently used) "
                      "or first reclaim b (expired, not yet reclaimed)";
  put_ttl(cache, "a", "1", LC_NO_TTL, T0, story);
  put_ttl(cache, "b", "2", 10, T0 + 1, story);
  put_ttl(cache, "c", "3", LC_NO_TTL, T0 + 11, story);
  lcs_expect_text(cache, "c", "3", T0 + 12, story);
  lcs_expect_text(cache, "b", NULL, T0 + 13, story);
  char buffer[8];
  size_t value_len = 0;
  bool kept = false;
  int rc = api->get(cache, "a", 1, T0 + 14, buffer, sizeof buffer, &value_len,
                    &kept);
  cr_assert(rc == 0 && (!kept || (value_len == 1 && buffer[0] == '1')),
            "%s: lc_get(\"a\") returned %s, %s, value_len %zu; expected 0, "
            "and \"1\" if found; %s",
            story, lcs_rc_text(rc), kept ? "found" : "not found", value_len,
            lcs_replay());
  lc_stats_t s = lcs_stats(cache);
  cr_assert(s.evictions == (uint64_t)!kept && s.expirations == 1 &&
                s.items == 1 + (uint64_t)kept,
            "%s; then gets of c (hit), b (miss: expired) and a (%s): "
            "lc_stats gave evictions %llu, expirations %llu, items %llu; "
            "expected evictions %d, expirations 1 (b, reclaimed by c's put "
            "or by the get of b), items %d; %s",
            story, kept ? "found: c's put reclaimed b instead" : "not found",
            (unsigned long long)s.evictions, (unsigned long long)s.expirations,
            (unsigned long long)s.items, !kept, 1 + kept, lcs_replay());
  lcs_api()->destroy(cache);
}

Test(ttl, an_expired_entry_is_one_expiration_whichever_call_removes_it) {
  /* Flash entries live 1 ns (ttl 1, and every call at an instant of its
   * own), so that whichever later call removes one - a put over its key, a
   * delete, a get, the sweep, a put that needs room - removes an expired
   * entry: one expiration. Persistent entries (no TTL, each key put once,
   * never deleted) leave only to make room: evictions. So, for any policy,
   * once gets of every persistent key found F of them,
   *   evictions   = persistent keys put - F,
   *   expirations = flash entries put - (items - F). */
  enum { ROOM = 64, STEPS = 5000, FLASH_KEYS = 16 };
  lc_t *cache = lcs_open(lcs_any_policy(), ROOM, 0);
  const lc_api_t *api = lcs_api();
  rng_t rng;
  lcs_rng(&rng, 0xe4e4);
  const char *story =
      "max_entries 64, one call per ns: 5000 times, put a new key \"p:<i>\" "
      "with no TTL, put one of 16 keys \"f:<j>\" with ttl 1 ns, then at the "
      "next ns delete it, put it again with ttl 1, get it, or nothing";
  uint64_t t = T0, flash = 0;
  char key[32];
  for (int i = 0; i < STEPS; i++) {
    int len = snprintf(key, sizeof key, "p:%d", i);
    lcs_put_bytes(cache, key, (size_t)len, "persistent", 10, LC_NO_TTL, t++, 0,
                  story);
    len = snprintf(key, sizeof key, "f:%d", (int)rng_below(&rng, FLASH_KEYS));
    lcs_put_bytes(cache, key, (size_t)len, "flash", 5, 1, t++, 0, story);
    flash++;
    uint64_t then = rng_below(&rng, 4);
    if (then == 0) {
      bool deleted = true;
      int rc = api->del(cache, key, (size_t)len, t++, &deleted);
      cr_assert(rc == 0 && !deleted,
                "%s: lc_delete(%s) 1 ns after its put with ttl 1 returned "
                "%s, %s; expected 0, not deleted (it has expired); %s",
                story, lcs_bytes_text(key, (size_t)len), lcs_rc_text(rc),
                deleted ? "deleted" : "not deleted", lcs_replay());
    } else if (then == 1) {
      lcs_put_bytes(cache, key, (size_t)len, "flash", 5, 1, t++, 0, story);
      flash++;
    } else if (then == 2) {
      lcs_expect(cache, key, (size_t)len, t++, NULL, 0, story);
    }
  }
  uint64_t found = 0;
  for (int i = 0; i < STEPS; i++) {
    int len = snprintf(key, sizeof key, "p:%d", i);
    char buffer[16];
    size_t value_len = 0;
    bool hit = false;
    int rc = api->get(cache, key, (size_t)len, t, buffer, sizeof buffer,
                      &value_len, &hit);
    cr_assert(rc == 0 && (!hit || (value_len == 10 &&
                                   memcmp(buffer, "persistent", 10) == 0)),
              "%s; then lc_get(%s) returned %s, %s, value_len %zu; "
              "expected 0, and \"persistent\" if found; %s",
              story, lcs_bytes_text(key, (size_t)len), lcs_rc_text(rc),
              hit ? "found" : "not found", value_len, lcs_replay());
    found += hit;
  }
  lc_stats_t s = lcs_stats(cache);
  uint64_t stored_flash = s.items >= found ? s.items - found : 0;
  cr_assert(s.items >= found && s.evictions == STEPS - found &&
                s.expirations == flash - stored_flash,
            "%s; then gets of the 5000 persistent keys found %llu. lc_stats "
            "gave evictions %llu, expirations %llu, items %llu; expected "
            "evictions %llu (the persistent keys no longer found: only they "
            "were live when removed) and expirations %llu (the %llu flash "
            "entries put, less the %llu of items that are not persistent "
            "keys): an entry at its deadline is no longer live, and "
            "whichever call removes it - a get, a put over its key, a "
            "delete, the sweep, a put that needs room - it is one "
            "expiration, never an eviction; %s",
            story, (unsigned long long)found, (unsigned long long)s.evictions,
            (unsigned long long)s.expirations, (unsigned long long)s.items,
            (unsigned long long)(STEPS - found),
            (unsigned long long)(flash - stored_flash),
            (unsigned long long)flash, (unsigned long long)stored_flash,
            lcs_replay());
  lcs_api()->destroy(cache);
}

/* lc_ttl(key) at now must find a live entry with at least least ns left. */
static void expect_ttl_at_least(lc_t *cache, const char *key, uint64_t now,
                                uint64_t least, const char *story) {
  uint64_t got = 0;
  bool found = false;
  int rc = lcs_api()->ttl(cache, key, strlen(key), now, &got, &found);
  cr_assert(rc == 0 && found && got >= least,
            "%s: lc_ttl(%s, now_ns %llu) returned %s, %s, ttl_ns %llu; "
            "expected 0, found, at least %llu ns left (UINT64_MAX - now: a "
            "deadline now + ttl past 2^64 - 1 saturates at UINT64_MAX, the "
            "end of time; it never wraps around); %s",
            story, lcs_bytes_text(key, strlen(key)), (unsigned long long)now,
            lcs_rc_text(rc), found ? "found" : "not found",
            (unsigned long long)got, (unsigned long long)least, lcs_replay());
}

Test(ttl, a_ttl_too_long_for_64_bits_lasts_to_the_end_of_time) {
  lc_t *cache = lcs_open(lcs_any_policy(), 16, 0);
  const uint64_t late = UINT64_MAX - 1;
  const char *keys[] = {"max", "huge", "edge", "extended"};
  const uint64_t ttls[] = {UINT64_MAX, UINT64_MAX - 10, UINT64_MAX - T0};
  const char *story = "at t=1000000 put max with ttl UINT64_MAX, huge with "
                      "ttl UINT64_MAX - 10 and edge with ttl UINT64_MAX - "
                      "1000000 (a deadline of exactly UINT64_MAX), and put "
                      "extended with no TTL, then lc_expire(extended, "
                      "UINT64_MAX) at +2: now + ttl does not fit in 64 bits "
                      "(except for edge), so each deadline is UINT64_MAX";
  for (int k = 0; k < 3; k++)
    put_ttl(cache, keys[k], "v", ttls[k], T0, story);
  put_ttl(cache, "extended", "v", LC_NO_TTL, T0 + 1, story);
  expire(cache, "extended", UINT64_MAX, T0 + 2, true, story);
  for (int k = 0; k < 4; k++) {
    lcs_expect_text(cache, keys[k], "v", T0 + 3, story);
    expect_ttl_at_least(cache, keys[k], T0 + 3, UINT64_MAX - (T0 + 3), story);
  }
  for (int k = 0; k < 4; k++)
    lcs_expect_text(cache, keys[k], "v", late, story);
  lcs_api()->destroy(cache);
}

/* One random call of the TTL history, for messages. */
typedef struct ttl_call {
  int kind; /* 0 get, 1 put, 2 delete, 3 expire, 4 ttl */
  uint32_t key;
  uint64_t ttl, now;
} ttl_call_t;

static const char *const kind_names[] = {"lc_get", "lc_put", "lc_delete",
                                         "lc_expire", "lc_ttl"};

Test(ttl, matches_the_model_with_random_ttls) {
  /* 64 keys in a cache that never fills, so that only time removes
   * entries; times step to deadlines exactly, and 1 ns either side. */
  enum { KEYS = 64, CALLS = 50000, SHOWN = 12 };
  lc_t *cache = lcs_open(lcs_any_policy(), 1000, 0);
  const lc_api_t *api = lcs_api();
  size_t lens[KEYS];
  char names[KEYS][8];
  for (int k = 0; k < KEYS; k++)
    lens[k] = (size_t)snprintf(names[k], sizeof names[k], "t%d", k);
  lc_config_t config = {LC_POLICY_LRU, 1000, 0};
  lcm_t model;
  cr_assert(lcm_init(&model, &config, KEYS, lens) == 0, "out of memory");
  rng_t rng;
  lcs_rng(&rng, 0x7711);
  ttl_call_t recent[SHOWN];
  uint64_t now = T0;
  for (int i = 0; i < CALLS; i++) {
    ttl_call_t call = {(int)rng_below(&rng, 5), (uint32_t)rng_below(&rng, KEYS),
                       0, 0};
    /* Time moves by 0 to 30 ns, or lands on some entry's deadline, or 1 ns
     * before or after it. */
    const lcm_entry_t *some = &model.entries[rng_below(&rng, KEYS)];
    if (rng_below(&rng, 3) == 0 && some->present && some->deadline >= now + 1)
      now = some->deadline - 1 + rng_below(&rng, 3);
    else
      now += rng_below(&rng, 31);
    call.now = now;
    call.ttl = rng_below(&rng, 4) == 0 ? LC_NO_TTL : 1 + rng_below(&rng, 200);
    recent[i % SHOWN] = call;
    const char *key = names[call.key];
    size_t key_len = lens[call.key];
    char value[32];
    int value_len = snprintf(value, sizeof value, "value %d", i);
    char got[160], want[160];
    got[0] = want[0] = '\0';
    int rc = 0;
    bool found = false;
    if (call.kind == 0) {
      char buffer[32];
      size_t len = 0xdeadbeef; /* a miss stores 0 */
      rc = api->get(cache, key, key_len, now, buffer, sizeof buffer, &len,
                    &found);
      const lcm_entry_t *e = lcm_get(&model, call.key, now);
      if (rc != 0 || found != (e != NULL) || (!found && len != 0) ||
          (e != NULL && (len != e->value_len ||
                         memcmp(buffer, e->value, e->value_len) != 0))) {
        snprintf(got, sizeof got, "%s, %s %s", lcs_rc_text(rc),
                 found ? "found" : "not found",
                 found      ? lcs_bytes_text(buffer, len < 32 ? len : 32)
                 : len != 0 ? "but value_len not 0"
                            : "");
        snprintf(want, sizeof want, "0, %s %s", e ? "found" : "not found",
                 e ? lcs_bytes_text(e->value, e->value_len) : "");
      }
    } else if (call.kind == 1) {
      rc = api->put(cache, key, key_len, value, (size_t)value_len, call.ttl,
                    now);
      lcm_put(&model, call.key, value, (size_t)value_len, call.ttl, now);
      if (rc != 0) {
        snprintf(got, sizeof got, "%s", lcs_rc_text(rc));
        snprintf(want, sizeof want, "0");
      }
    } else if (call.kind == 2) {
      rc = api->del(cache, key, key_len, now, &found);
      bool expected = lcm_delete(&model, call.key, now);
      if (rc != 0 || found != expected) {
        snprintf(got, sizeof got, "%s, %s", lcs_rc_text(rc),
                 found ? "deleted" : "not deleted");
        snprintf(want, sizeof want, "0, %s",
                 expected ? "deleted" : "not deleted");
      }
    } else if (call.kind == 3) {
      rc = api->expire(cache, key, key_len, call.ttl, now, &found);
      bool expected = lcm_expire(&model, call.key, call.ttl, now);
      if (rc != 0 || found != expected) {
        snprintf(got, sizeof got, "%s, %s", lcs_rc_text(rc),
                 found ? "found" : "not found");
        snprintf(want, sizeof want, "0, %s", expected ? "found" : "not found");
      }
    } else {
      uint64_t left = 0, expected_left = 0;
      rc = api->ttl(cache, key, key_len, now, &left, &found);
      bool expected = lcm_ttl(&model, call.key, now, &expected_left);
      if (rc != 0 || found != expected || (found && left != expected_left)) {
        snprintf(got, sizeof got, "%s, %s, ttl_ns %llu", lcs_rc_text(rc),
                 found ? "found" : "not found", (unsigned long long)left);
        snprintf(want, sizeof want, "0, %s, ttl_ns %llu",
                 expected ? "found" : "not found",
                 (unsigned long long)expected_left);
      }
    }
    if (got[0] != '\0') {
      static char history[4096];
      size_t used = 0;
      int first = i + 1 > SHOWN ? i + 1 - SHOWN : 0;
      for (int j = first; j <= i; j++) {
        const ttl_call_t *c = &recent[j % SHOWN];
        used += (size_t)snprintf(
            history + used, sizeof history - used,
            "\n    #%d t=%llu %s(%s%s%llu)", j + 1, (unsigned long long)c->now,
            kind_names[c->kind], names[c->key],
            c->kind == 1 || c->kind == 3 ? ", ttl " : "",
            (unsigned long long)(c->kind == 1 || c->kind == 3 ? c->ttl : 0));
      }
      const lcm_entry_t *e = &model.entries[call.key];
      cr_assert_fail(
          "random calls with TTLs on 64 keys, call #%d: %s(\"%s\") at "
          "t=%llu returned %s; expected %s (the key's deadline: %s%llu; an "
          "entry is gone from the instant now >= its deadline). The last "
          "calls, any key:%s\n  %s",
          i + 1, kind_names[call.kind], key, (unsigned long long)now, got, want,
          e->deadline ? "" : "none, ", (unsigned long long)e->deadline, history,
          lcs_replay());
    }
    if (i % 64 == 0) {
      uint64_t live_bytes;
      uint64_t live = lcm_live(&model, now, &live_bytes);
      lc_stats_t s = lcs_stats(cache);
      cr_assert(
          s.hits == model.stats.hits && s.misses == model.stats.misses &&
              s.items >= live && s.items <= model.items &&
              s.bytes >= live_bytes && s.bytes <= model.bytes,
          "random calls with TTLs, after call #%d at t=%llu: lc_stats "
          "gave hits %llu, misses %llu, items %llu, bytes %llu; "
          "expected hits %llu, misses %llu, items from %llu (the live "
          "entries) to %llu (with the expired ones no call has "
          "reclaimed yet), bytes from %llu to %llu; %s",
          i + 1, (unsigned long long)now, (unsigned long long)s.hits,
          (unsigned long long)s.misses, (unsigned long long)s.items,
          (unsigned long long)s.bytes, (unsigned long long)model.stats.hits,
          (unsigned long long)model.stats.misses, (unsigned long long)live,
          (unsigned long long)model.items, (unsigned long long)live_bytes,
          (unsigned long long)model.bytes, lcs_replay());
    }
  }
  lcm_free(&model);
  lcs_api()->destroy(cache);
}
