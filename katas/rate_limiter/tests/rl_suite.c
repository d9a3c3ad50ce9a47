/* rl_suite.c - the rate limiter stages' fixture: the plug-in's functions,
 * limiters that skip when not written, and model-checked calls whose
 * failure messages say what was asked, what came back and why. */
#include "rl_suite.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rl_redis.h"

const rl_api_t *rls_api(void) {
  static rl_api_t api;
  if (api.create == NULL) {
    const char *missing = NULL;
    stagekit_bound(rl_api_bind(stagekit_plugin(), &api, &missing), missing);
  }
  return &api;
}

void rls_setup(void) {
  stagekit_guard();
}

void rls_rng(rng_t *rng, uint64_t salt) {
  rng_seed(rng, stagekit_seed() ^ (salt * 0x9e3779b97f4a7c15ULL));
}

const char *rls_rc_text(int rc) {
  return stagekit_rc_text(rc, "RL_ENOTIMPL");
}

const char *rls_key_text(const void *bytes, size_t len) {
  return stagekit_bytes_text(bytes, len);
}

void rls_open(rls_limiter_t *limiter, rl_algorithm_t algorithm, uint64_t limit,
              uint64_t window_ns) {
  memset(limiter, 0, sizeof *limiter);
  limiter->config.algorithm = algorithm;
  limiter->config.limit = limit;
  limiter->config.window_ns = window_ns;
  const rl_api_t *api = rls_api();
  stagekit_step("rl_create(%s, limit %llu, window_ns %llu)",
                rlm_algorithm_title(algorithm), (unsigned long long)limit,
                (unsigned long long)window_ns);
  int rc = api->create(&limiter->config, &limiter->rl);
  if (rc == RL_ENOTIMPL)
    cr_skip_test("rl_create says not implemented for %s",
                 rlm_algorithm_title(algorithm));
  cr_assert(rc == 0 && limiter->rl != NULL,
            "rl_create({%s, limit %llu, window_ns %llu}) returned %s%s; "
            "expected 0 and a limiter in *out; seed=%llu",
            rlm_algorithm_title(algorithm), (unsigned long long)limit,
            (unsigned long long)window_ns, rls_rc_text(rc),
            rc == 0 ? " but left *out NULL" : "",
            (unsigned long long)stagekit_seed());
}

void rls_close(rls_limiter_t *limiter) {
  stagekit_step("rl_destroy(%s limiter)",
                rlm_algorithm_title(limiter->config.algorithm));
  rls_api()->destroy(limiter->rl);
  limiter->rl = NULL;
}

bool rls_implements(rl_algorithm_t algorithm) {
  rl_config_t config = {algorithm, 10, RLS_NS_PER_S};
  rl_t *rl = NULL;
  stagekit_step("rl_create(%s, limit 10, window 1s) to see whether it is "
                "implemented",
                rlm_algorithm_title(algorithm));
  int rc = rls_api()->create(&config, &rl);
  if (rc == RL_ENOTIMPL)
    return false;
  cr_assert(rc == 0 && rl != NULL,
            "rl_create({%s, limit 10, window_ns 1000000000}) returned %s%s; "
            "expected 0 and a limiter, or RL_ENOTIMPL; seed=%llu",
            rlm_algorithm_title(algorithm), rls_rc_text(rc),
            rc == 0 ? " but left *out NULL" : "",
            (unsigned long long)stagekit_seed());
  rls_api()->destroy(rl);
  return true;
}

void rls_key_set(rls_key_t *key, const void *bytes, size_t len) {
  memset(key, 0, sizeof *key);
  key->null_pointer = bytes == NULL;
  key->len = len;
  if (len > 0)
    memcpy(key->bytes, bytes, len);
  rlm_key_init(&key->model);
}

void rls_key_text_set(rls_key_t *key, const char *text) {
  rls_key_set(key, text, strlen(text));
}

void rls_key_release(rls_key_t *key) {
  rlm_key_free(&key->model);
}

/* The message under construction; one at a time, since a failure ends the
 * test. */
static char message[16384];
static size_t message_used;

static void say(const char *format, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *format, ...) {
  if (message_used + 1 >= sizeof message)
    return;
  va_list args;
  va_start(args, format);
  int n = vsnprintf(message + message_used, sizeof message - message_used,
                    format, args);
  va_end(args);
  if (n > 0)
    message_used += (size_t)n;
  if (message_used >= sizeof message)
    message_used = sizeof message - 1;
}

static const char *key_words(const rls_key_t *key) {
  return rls_key_text(key->null_pointer ? NULL : key->bytes, key->len);
}

/* "request 11 for key "k1" at t=1.000000500s" */
static void say_request(const rls_key_t *key, uint64_t now, uint64_t t) {
  message_used = 0;
  say("request %llu for key %s at t=%s", (unsigned long long)key->calls + 1,
      key_words(key), rlm_seconds(now));
  if (t != now)
    say(" (earlier than %s, the latest time seen for this key, so treated "
        "as %s)",
        rlm_seconds(t), rlm_seconds(t));
}

static void say_decision(const rl_decision_t *decision) {
  say("%s, remaining %llu, retry_after %s",
      decision->allowed ? "allowed" : "denied",
      (unsigned long long)decision->remaining,
      decision->retry_after_ns == RL_NEVER
          ? "RL_NEVER"
          : rlm_seconds(decision->retry_after_ns));
}

/* What the test knew of a key just before a call: the model moves on once
 * it has decided, and a wrong answer is explained from the state before. */
typedef struct rls_before {
  bool seen;       /* the key had calls before this one */
  uint64_t window; /* the aligned window of its latest call */
  uint64_t latest; /* the time its latest call was treated at */
  /* Its state mattered at this call's time, so that no implementation may
   * have forgotten it; not_idle then says why. */
  bool matters;
  char not_idle[512];
} rls_before_t;

/* Which part of a decision differed first. */
typedef enum rls_field { RLS_ALLOWED, RLS_REMAINING, RLS_RETRY } rls_field_t;

/* Whether got is stricter than expected where they first differ: fewer
 * requests let through, or a longer wait. */
static bool stricter(rls_field_t field, const rl_decision_t *got,
                     const rl_decision_t *expected) {
  switch (field) {
  case RLS_ALLOWED: return !got->allowed;
  case RLS_REMAINING: return got->remaining < expected->remaining;
  case RLS_RETRY: return got->retry_after_ns > expected->retry_after_ns;
  }
  return false;
}

static bool same_decision(const rl_decision_t *a, const rl_decision_t *b) {
  return a->allowed == b->allowed && a->remaining == b->remaining &&
         a->retry_after_ns == b->retry_after_ns;
}

static uint64_t div_up(uint64_t a, uint64_t b) {
  return a / b + (a % b != 0);
}

static uint64_t distance(uint64_t a, uint64_t b) {
  return a > b ? a - b : b - a;
}

/* The unit, if any, that got's retry_after_ns looks like it was counted
 * in, or rounded to, instead of ns: words for it in out. */
static bool retry_unit_clue(uint64_t got, uint64_t want, char *out,
                            size_t out_size) {
  static const struct {
    uint64_t ns;
    const char *name, *plural;
  } units[] = {{1000000000, "second", "seconds"},
               {1000000, "millisecond", "milliseconds"},
               {1000, "microsecond", "microseconds"}};
  if (got == RL_NEVER || want == RL_NEVER)
    return false;
  for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
    uint64_t unit = units[i].ns;
    if (want >= unit && (got == want / unit || got == div_up(want, unit))) {
      snprintf(out, out_size,
               "retry_after_ns=%llu is the wait counted in %s (%llu ns is "
               "%s): the field is in nanoseconds, exact to the ns",
               (unsigned long long)got, units[i].plural,
               (unsigned long long)want, rlm_seconds(want));
      return true;
    }
  }
  for (size_t i = sizeof units / sizeof *units; i-- > 0;) {
    uint64_t unit = units[i].ns;
    if (got > 0 && got % unit == 0 && distance(got, want) < unit) {
      snprintf(out, out_size,
               "retry_after_ns=%llu is the wait rounded %s to a whole %s: "
               "retry_after_ns is exact to the ns (a Retry-After header "
               "rounds up to seconds, the limiter does not)",
               (unsigned long long)got, got > want ? "up" : "down",
               units[i].name);
      return true;
    }
  }
  if (got + 1 == want) {
    snprintf(out, out_size,
             "the wait is 1 ns short: at t + retry_after_ns the request "
             "would still be denied; it is the smallest wait that works, so "
             "a division in it rounds up, not down");
    return true;
  }
  if (got == want + 1) {
    snprintf(out, out_size,
             "the wait is 1 ns too long: a request 1 ns earlier would "
             "already be allowed");
    return true;
  }
  return false;
}

/* The time of a request of key (this one at t, or one of its last calls)
 * that is not at the start of an aligned window and lies exactly W before
 * t + wait; RL_NEVER when there is none. */
static uint64_t request_a_window_before(const rls_key_t *key, uint64_t t,
                                        uint64_t w, uint64_t wait) {
  if (wait == RL_NEVER || wait > UINT64_MAX - t || t + wait < w)
    return RL_NEVER;
  uint64_t request = t + wait - w;
  if (request % w == 0)
    return RL_NEVER;
  if (request == t)
    return t;
  uint64_t first = key->calls > RLS_HISTORY ? key->calls - RLS_HISTORY : 0;
  for (uint64_t i = first; i < key->calls; i++)
    if (key->history[i % RLS_HISTORY].effective == request)
      return request;
  return RL_NEVER;
}

/* A sentence naming the most likely cause of got differing from expected
 * in field (for RLS_ALLOWED only expected->allowed is known), or NULL when
 * no known cause fits: a forgotten key, a new key that does not start
 * fresh, a wait in the wrong unit, remaining off by one, windows not
 * aligned, numbers past what a double holds. Returns a static buffer. */
static const char *find_clue(const rls_limiter_t *limiter, const rls_key_t *key,
                             uint64_t now, uint64_t t, rls_field_t field,
                             const rl_decision_t *got,
                             const rl_decision_t *expected,
                             const rls_before_t *before) {
  static char clue[2048];
  const rl_config_t *config = &limiter->config;
  uint64_t w = config->window_ns;
  bool fixed = config->algorithm == RL_FIXED_WINDOW;
  bool windowed = fixed || config->algorithm == RL_SLIDING_WINDOW;
  if (!before->seen && field != RLS_RETRY && stricter(field, got, expected)) {
    if (limiter->calls == 0)
      snprintf(clue, sizeof clue,
               "It was the first call on this limiter, for a new key, and a "
               "new key starts fresh (%s): the answer counts requests nobody "
               "made, as if a new key started %s",
               rlm_fresh_words(config->algorithm),
               config->algorithm == RL_TOKEN_BUCKET ? "with less than a full "
                                                      "bucket"
                                                    : "with a count above 0");
    else
      snprintf(clue, sizeof clue,
               "It was the first call for this key, yet the answer counts "
               "requests it never made: another key's state was found for "
               "it (keys compared by a prefix, up to a NUL byte, or by hash "
               "alone), or a new key does not start fresh (%s)",
               rlm_fresh_words(config->algorithm));
    return clue;
  }
  if (before->matters) {
    rlm_key_t fresh;
    rlm_key_init(&fresh);
    rl_decision_t new_key = rlm_check(config, &fresh, now);
    rlm_key_free(&fresh);
    if (same_decision(got, &new_key) && now < t) {
      snprintf(clue, sizeof clue,
               "That is exactly the answer a new key gets at t=%s, yet this "
               "key is not idle: %s. This call's now_ns is earlier than the "
               "key's latest time: a gap now_ns - latest computed before "
               "clamping wraps to about 2^64 and looks like centuries (clamp "
               "now_ns to the latest time first), unless the key was "
               "forgotten too early",
               rlm_seconds(t), before->not_idle);
      return clue;
    }
    if (same_decision(got, &new_key)) {
      snprintf(clue, sizeof clue,
               "That is exactly the answer a new key gets at t=%s, yet this "
               "key is not idle: %s. Either the key was forgotten (reclaimed "
               "as idle) too early - a key may be forgotten only once it is "
               "idle at the latest time the limiter has seen - or its state "
               "came back to a new key's too early%s",
               rlm_seconds(t), before->not_idle,
               config->algorithm == RL_TOKEN_BUCKET
                   ? " (a bucket refilled above L tokens, or faster than L "
                     "per W)"
                   : "");
      return clue;
    }
  }
  uint64_t start = t / w * w;
  uint64_t request =
      fixed && field == RLS_RETRY
          ? request_a_window_before(key, t, w, got->retry_after_ns)
          : RL_NEVER;
  if (request != RL_NEVER) {
    snprintf(clue, sizeof clue,
             "The wait ends at %s, exactly W after this key's request at "
             "%s, as if its window began at that request; windows are [k*W, "
             "(k+1)*W), aligned to multiples of W, so this one ends at %s",
             rlm_seconds(t + got->retry_after_ns), rlm_seconds(request),
             rlm_seconds(start + w));
    return clue;
  }
  char words[512];
  if (field == RLS_RETRY &&
      retry_unit_clue(got->retry_after_ns, expected->retry_after_ns, words,
                      sizeof words)) {
    snprintf(clue, sizeof clue, "It looks as if %s", words);
    return clue;
  }
  const uint64_t exact = 1ULL << 53;
  uint64_t product = config->limit * w;
  if (t >= exact || product >= exact || w >= exact) {
    uint64_t largest = t > product ? t : product;
    if (w > largest)
      largest = w;
    int bits = 64 - __builtin_clzll(largest);
    snprintf(clue, sizeof clue,
             "The numbers here are large (t=%llu ns, L*W=%llu): above 2^53 "
             "a double holds only every %llu-th integer, and a sum or "
             "product of them can pass 2^63 (int64_t) or 2^64 (uint64_t) "
             "and wrap: compute in unsigned integers (or 128 bits), testing "
             "a sum or product before making it",
             (unsigned long long)t, (unsigned long long)product,
             (unsigned long long)(1ULL << (bits - 53)));
    return clue;
  }
  if (field == RLS_REMAINING && got->allowed &&
      got->remaining == expected->remaining + 1) {
    snprintf(clue, sizeof clue,
             "That remaining is one more than the rule gives: it counts the "
             "further requests after this one, so this request must already "
             "be taken off");
    return clue;
  }
  if (field == RLS_REMAINING && got->remaining + 1 == expected->remaining) {
    if (config->algorithm == RL_TOKEN_BUCKET ||
        config->algorithm == RL_SLIDING_WINDOW)
      snprintf(
          clue, sizeof clue,
          "That remaining is one fewer than the rule gives, which counts in "
          "exact integers: a level, weight or arrival time kept in "
          "floating point that ends a hair short of a whole request "
          "loses it");
    else
      snprintf(clue, sizeof clue,
               "That remaining is one fewer than the rule gives, as if this "
               "request were counted twice");
    return clue;
  }
  if (!fixed && windowed && stricter(field, got, expected) &&
      t / w >= before->window + 2) {
    snprintf(clue, sizeof clue,
             "Here prev is the count of the window just before t's, [%s, %s), "
             "where this key had no request, so prev = 0: its previous call, "
             "at %s, was in [%s, %s), two or more windows back, and counts "
             "no more",
             rlm_seconds(start - w), rlm_seconds(start),
             rlm_seconds(before->latest), rlm_seconds(before->window * w),
             rlm_seconds(before->window * w + w));
    return clue;
  }
  if (windowed && stricter(field, got, expected) && t / w != before->window) {
    snprintf(clue, sizeof clue,
             "t=%s falls in the aligned window [%s, %s), a new one for this "
             "key: its previous call, at %s, was in [%s, %s). Windows are "
             "[k*W, (k+1)*W), aligned to multiples of W, not to a key's first "
             "request or to the end of its last window",
             rlm_seconds(t), rlm_seconds(start), rlm_seconds(start + w),
             rlm_seconds(before->latest), rlm_seconds(before->window * w),
             rlm_seconds(before->window * w + w));
    return clue;
  }
  if (fixed && field == RLS_RETRY && got->retry_after_ns != RL_NEVER &&
      got->retry_after_ns <= UINT64_MAX - t &&
      (t + got->retry_after_ns) % w != 0) {
    snprintf(clue, sizeof clue,
             "A fixed window's wait ends where the next aligned window "
             "starts, at %s; t + retry_after_ns = %s is not a multiple of W, "
             "as if windows were aligned to a key's first request instead "
             "of to multiples of W",
             rlm_seconds(start + w), rlm_seconds(t + got->retry_after_ns));
    return clue;
  }
  return NULL;
}

/* The clue or the test's note, its context, the seed and the key's last
 * calls, oldest first. */
static const char *say_ending(const rls_limiter_t *limiter,
                              const rls_key_t *key, const char *clue) {
  if (clue != NULL)
    say(". %s", clue);
  else if (limiter->note != NULL)
    say(" (%s)", limiter->note);
  if (limiter->context != NULL)
    say(" (%s)", limiter->context);
  say("; seed=%llu", (unsigned long long)stagekit_seed());
  if (key->calls == 0) {
    say("\n  it was the first call for this key");
    return message;
  }
  uint64_t first = key->calls > RLS_HISTORY ? key->calls - RLS_HISTORY : 0;
  say("\n  the calls before it for this key, oldest first%s:",
      first > 0 ? " (the last 12)" : "");
  for (uint64_t i = first; i < key->calls; i++) {
    const rls_call_t *call = &key->history[i % RLS_HISTORY];
    say("\n    #%llu t=%s", (unsigned long long)call->number,
        rlm_seconds(call->now));
    if (call->effective != call->now)
      say(" (treated as %s)", rlm_seconds(call->effective));
    say(" -> ");
    say_decision(&call->decision);
  }
  return message;
}

static const char *allowed_message(const rls_limiter_t *limiter,
                                   const rls_key_t *key, uint64_t now,
                                   uint64_t t, const rl_decision_t *got,
                                   const rls_before_t *before) {
  char why[4096];
  rlm_explain(&limiter->config, &key->model, t, why, sizeof why);
  rl_decision_t expected = {!got->allowed, 0, 0};
  const char *clue =
      find_clue(limiter, key, now, t, RLS_ALLOWED, got, &expected, before);
  say_request(key, now, t);
  say(" was %s; expected %s: %s", got->allowed ? "allowed" : "denied",
      got->allowed ? "denied" : "allowed", why);
  return say_ending(limiter, key, clue);
}

static const char *remaining_message(const rls_limiter_t *limiter,
                                     const rls_key_t *key, uint64_t now,
                                     uint64_t t, const rl_decision_t *got,
                                     const rl_decision_t *expected,
                                     const rls_before_t *before) {
  char why[4096];
  rlm_explain(&limiter->config, &key->model, t, why, sizeof why);
  const char *clue =
      find_clue(limiter, key, now, t, RLS_REMAINING, got, expected, before);
  say_request(key, now, t);
  say(" was %s with remaining=%llu; expected remaining=%llu, the number of "
      "further requests that would be allowed at this same instant: after "
      "this request %s",
      got->allowed ? "allowed" : "denied", (unsigned long long)got->remaining,
      (unsigned long long)expected->remaining, why);
  return say_ending(limiter, key, clue);
}

static const char *retry_message(const rls_limiter_t *limiter,
                                 const rls_key_t *key, uint64_t now, uint64_t t,
                                 const rl_decision_t *got,
                                 const rl_decision_t *expected,
                                 const rls_before_t *before) {
  char why[4096];
  uint64_t retry = expected->retry_after_ns;
  const char *clue =
      find_clue(limiter, key, now, t, RLS_RETRY, got, expected, before);
  say_request(key, now, t);
  say(" was %s with remaining=%llu and retry_after_ns=%llu (%s); expected "
      "%s",
      got->allowed ? "allowed" : "denied", (unsigned long long)got->remaining,
      (unsigned long long)got->retry_after_ns, rlm_seconds(got->retry_after_ns),
      retry == RL_NEVER ? "RL_NEVER" : "");
  if (retry == RL_NEVER) {
    rlm_explain(&limiter->config, &key->model, t, why, sizeof why);
    say(": %s", why);
  } else if (retry == 0) {
    say("0: remaining is %llu, so a request right now would be allowed",
        (unsigned long long)expected->remaining);
  } else {
    rlm_explain(&limiter->config, &key->model, t + retry, why, sizeof why);
    say("%llu (%s), the smallest wait after which a request would be "
        "allowed: a request at t=%s would still be denied, and one at t=%s "
        "allowed (there %s)",
        (unsigned long long)retry, rlm_seconds(retry),
        rlm_seconds(t + retry - 1), rlm_seconds(t + retry), why);
  }
  return say_ending(limiter, key, clue);
}

static void remember(rls_key_t *key, uint64_t now, uint64_t t,
                     const rl_decision_t *decision) {
  rls_call_t *call = &key->history[key->calls % RLS_HISTORY];
  call->number = ++key->calls;
  call->now = now;
  call->effective = t;
  call->decision = *decision;
}

rl_decision_t rls_check(rls_limiter_t *limiter, rls_key_t *key, uint64_t now) {
  return rls_check_bytes(limiter, key, key->null_pointer ? NULL : key->bytes,
                         now);
}

rl_decision_t rls_check_bytes(rls_limiter_t *limiter, rls_key_t *key,
                              const void *bytes, uint64_t now) {
  uint64_t t = rlm_effective_time(&key->model, now);
  const char *function = limiter->redis ? "rl_redis_check" : "rl_check";
  /* Every call of a short test is noted, then every 256th: the note costs a
   * file write. */
  static uint64_t calls;
  if (calls++ < 64 || calls % 256 == 0)
    stagekit_step("%s(key %s, t=%s), request %llu for this key", function,
                  key_words(key), rlm_seconds(now),
                  (unsigned long long)key->calls + 1);
  /* Poison, so that a field the plug-in forgets to set shows. */
  rl_decision_t got = {false, 0xa5a5a5a5a5a5a5a5ULL, 0xa5a5a5a5a5a5a5a5ULL};
  int rc = limiter->redis
               ? rlr_api()->check(limiter->redis, bytes, key->len, now, &got)
               : rls_api()->check(limiter->rl, bytes, key->len, now, &got);
  cr_assert(rc == 0,
            "%s(key %s, t=%s) returned %s; expected 0: the key is %zu "
            "bytes (at most RL_KEY_MAX=%d is fine) and nothing ran out%s%s%s; "
            "seed=%llu",
            function, key_words(key), rlm_seconds(now), rls_rc_text(rc),
            key->len, RL_KEY_MAX, limiter->note ? " (" : "",
            limiter->note ? limiter->note : "", limiter->note ? ")" : "",
            (unsigned long long)stagekit_seed());
  rls_before_t before = {
      .seen = key->model.seen,
      .window = key->model.window,
      .latest = key->model.latest,
      .matters = rlm_state_matters(&limiter->config, &key->model, t)};
  if (before.matters)
    rlm_explain_not_idle(&limiter->config, &key->model, t, before.not_idle,
                         sizeof before.not_idle);
  bool allowed = rlm_would_allow(&limiter->config, &key->model, t);
  cr_assert(got.allowed == allowed, "%s",
            allowed_message(limiter, key, now, t, &got, &before));
  rl_decision_t expected = rlm_check(&limiter->config, &key->model, now);
  cr_assert(got.remaining == expected.remaining, "%s",
            remaining_message(limiter, key, now, t, &got, &expected, &before));
  cr_assert(got.retry_after_ns == expected.retry_after_ns, "%s",
            retry_message(limiter, key, now, t, &got, &expected, &before));
  remember(key, now, t, &got);
  limiter->calls++;
  return got;
}

void rls_check_times(rls_limiter_t *limiter, rls_key_t *key, uint64_t now,
                     uint64_t count) {
  for (uint64_t i = 0; i < count; i++)
    rls_check(limiter, key, now);
}
