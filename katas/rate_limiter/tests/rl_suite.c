/* rl_suite.c - the rate limiter stages' fixture: the plug-in's functions,
 * limiters that skip when not written, and model-checked calls whose
 * failure messages say what was asked, what came back and why. */
#include "rl_suite.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rl_redis.h"

const rls_api_t *rls_api(void) {
  static rls_api_t api;
  if (api.create == NULL) {
    /* Converting the void * from dlsym to a function pointer is what
     * POSIX promises works; memcpy keeps the compiler quiet about it. */
    void *address = stagekit_symbol("rl_create");
    memcpy(&api.create, &address, sizeof address);
    address = stagekit_symbol("rl_check");
    memcpy(&api.check, &address, sizeof address);
    address = stagekit_symbol("rl_destroy");
    memcpy(&api.destroy, &address, sizeof address);
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
  const rls_api_t *api = rls_api();
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

/* The seed, the test's note and the key's last calls, oldest first.
 * stricter: the plug-in's answer was stricter than the model's, which on a
 * key's first call means it found some other key's state. */
static const char *say_ending(const rls_limiter_t *limiter,
                              const rls_key_t *key, bool stricter) {
  if (limiter->note != NULL)
    say(" (%s)", limiter->note);
  say("; seed=%llu", (unsigned long long)stagekit_seed());
  if (key->calls == 0) {
    say("\n  it was the first call for this key%s",
        stricter ? ", yet the answer counts requests it never made: is "
                   "another key's state found for it (keys compared by a "
                   "prefix, up to a NUL byte, or by hash alone)?"
                 : "");
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
                                   uint64_t t, bool allowed) {
  char why[4096];
  rlm_explain(&limiter->config, &key->model, t, why, sizeof why);
  say_request(key, now, t);
  say(" was %s; expected %s: %s", allowed ? "allowed" : "denied",
      allowed ? "denied" : "allowed", why);
  return say_ending(limiter, key, !allowed);
}

static const char *remaining_message(const rls_limiter_t *limiter,
                                     const rls_key_t *key, uint64_t now,
                                     uint64_t t, const rl_decision_t *got,
                                     const rl_decision_t *expected) {
  char why[4096];
  rlm_explain(&limiter->config, &key->model, t, why, sizeof why);
  say_request(key, now, t);
  say(" was %s with remaining=%llu; expected remaining=%llu, the number of "
      "further requests that would be allowed at this same instant: after "
      "this request %s",
      got->allowed ? "allowed" : "denied", (unsigned long long)got->remaining,
      (unsigned long long)expected->remaining, why);
  return say_ending(limiter, key, got->remaining < expected->remaining);
}

static const char *retry_message(const rls_limiter_t *limiter,
                                 const rls_key_t *key, uint64_t now, uint64_t t,
                                 const rl_decision_t *got,
                                 const rl_decision_t *expected) {
  char why[4096];
  uint64_t retry = expected->retry_after_ns;
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
  return say_ending(limiter, key, false);
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
  bool allowed = rlm_would_allow(&limiter->config, &key->model, t);
  cr_assert(got.allowed == allowed, "%s",
            allowed_message(limiter, key, now, t, got.allowed));
  rl_decision_t expected = rlm_check(&limiter->config, &key->model, now);
  cr_assert(got.remaining == expected.remaining, "%s",
            remaining_message(limiter, key, now, t, &got, &expected));
  cr_assert(got.retry_after_ns == expected.retry_after_ns, "%s",
            retry_message(limiter, key, now, t, &got, &expected));
  remember(key, now, t, &got);
  return got;
}

void rls_check_times(rls_limiter_t *limiter, rls_key_t *key, uint64_t now,
                     uint64_t count) {
  for (uint64_t i = 0; i < count; i++)
    rls_check(limiter, key, now);
}
