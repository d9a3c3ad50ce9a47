/* lc_suite.h - the LRU cache stages' fixture: the plug-in's functions,
 * caches that skip when their policy is not written, and words for
 * failure messages (return codes, byte strings, policies). */
#ifndef LC_SUITE_H
#define LC_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lc_api.h"
#include "lru_cache.h"
#include "stagekit.h"

/* Binds the plug-in's functions on first use; fails the test if one is
 * missing. */
const lc_api_t *lcs_api(void);

/* Every suite's .init: installs the crash guard of stagekit. */
void lcs_setup(void);

/* Seeds rng from the run's seed and a per-test salt, so that each test has
 * its own sequence and the same seed replays it. */
void lcs_rng(rng_t *rng, uint64_t salt);

/* Whether the plug-in implements policy: creates and destroys one cache.
 * Fails the test when lc_create gives an unexpected error. */
bool lcs_implements(lc_policy_t policy);

/* The policy for tests whose rule holds for any policy: LC_POLICY_LRU when
 * the plug-in has it, else LC_POLICY_OWN; skips the test when it has
 * neither. */
lc_policy_t lcs_any_policy(void);

/* Creates a cache with policy and limits; skips the test when lc_create
 * answers LC_ENOTIMPL, fails it on any other error. */
lc_t *lcs_open(lc_policy_t policy, uint64_t max_entries, uint64_t max_bytes);

/* "LRU" or "your own policy". */
const char *lcs_policy_title(lc_policy_t policy);

/* "-22 (-EINVAL)": a return code for messages; static ring buffer. */
const char *lcs_rc_text(int rc);

/* Bytes as a message shows them: quoted, \xNN for bytes that are not
 * printable, at most 40 bytes then "..." and the length. Static ring. */
const char *lcs_bytes_text(const void *bytes, size_t len);

/* Fills the cache's stats; fails the test when lc_stats does not return
 * 0. */
lc_stats_t lcs_stats(lc_t *cache);

/* The replay line that ends every message: "seed=N; replay with make
 * kata=lru_cache check stage=S seed=N impl=...", as the harness ran the
 * stage (stagekit_replay). Static buffer. */
const char *lcs_replay(void);

/* Deterministic test values: len bytes derived from seed, written to out. */
void lcs_fill_value(unsigned char *out, size_t len, uint64_t seed);

/* Puts text key = text value (no TTL) at now and asserts 0; story says
 * what the test did so far, for the message. */
void lcs_put_text(lc_t *cache, const char *key, const char *value, uint64_t now,
                  const char *story);

/* lc_put of bytes that asserts rc == expected_rc. */
void lcs_put_bytes(lc_t *cache, const void *key, size_t key_len,
                   const void *value, size_t value_len, uint64_t ttl,
                   uint64_t now, int expected_rc, const char *story);

/* Gets key at now and asserts that it is found with exactly value
 * (value_len bytes), or not found when value is NULL. */
void lcs_expect(lc_t *cache, const void *key, size_t key_len, uint64_t now,
                const void *value, size_t value_len, const char *story);

/* lcs_expect with text key and value (NULL: a miss). */
void lcs_expect_text(lc_t *cache, const char *key, const char *value,
                     uint64_t now, const char *story);

#endif /* LC_SUITE_H */
