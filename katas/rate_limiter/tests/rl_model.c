/* rl_model.c - exact, deliberately plain models of the four rate limiting
 * algorithms: the oracle every stage suite compares a plug-in against. */
#include "rl_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

void rlm_key_init(rlm_key_t *key) {
  memset(key, 0, sizeof *key);
}

void rlm_key_free(rlm_key_t *key) {
  free(key->log);
  rlm_key_init(key);
}

uint64_t rlm_effective_time(const rlm_key_t *key, uint64_t now) {
  return key->seen && now < key->latest ? key->latest : now;
}

/* Requests counted in the fixed window that t falls in. */
static uint64_t fixed_count_at(const rl_config_t *config, const rlm_key_t *key,
                               uint64_t t) {
  return key->seen && t / config->window_ns == key->window ? key->curr : 0;
}

/* The sliding window counter's prev and curr as a request at t sees them:
 * the counts move one window along, or vanish after a skipped window. */
static void counter_at(const rl_config_t *config, const rlm_key_t *key,
                       uint64_t t, uint64_t *prev, uint64_t *curr) {
  uint64_t window = t / config->window_ns;
  *prev = *curr = 0;
  if (!key->seen)
    return;
  if (window == key->window) {
    *prev = key->prev;
    *curr = key->curr;
  } else if (window == key->window + 1) {
    *prev = key->curr;
  }
}

/* prev * (W - e) + curr * W, the weighted count compared with L * W. */
static u128 counter_weight(const rl_config_t *config, uint64_t prev,
                           uint64_t curr, uint64_t t) {
  uint64_t w = config->window_ns;
  uint64_t e = t % w;
  return (u128)prev * (w - e) + (u128)curr * w;
}

/* The token bucket's level at t, scaled by W. */
static uint64_t bucket_level_at(const rl_config_t *config, const rlm_key_t *key,
                                uint64_t t) {
  uint64_t full = config->limit * config->window_ns;
  if (!key->seen)
    return full;
  uint64_t gap = t - key->latest;
  if (gap >= config->window_ns)
    return full;
  uint64_t level = key->level + gap * config->limit;
  return level > full ? full : level;
}

/* Allowed requests in (t - W, t]. */
static uint64_t log_count_at(const rl_config_t *config, const rlm_key_t *key,
                             uint64_t t) {
  uint64_t count = 0;
  for (size_t i = 0; i < key->log_len; i++)
    if (t - key->log[i] < config->window_ns)
      count++;
  return count;
}

bool rlm_would_allow(const rl_config_t *config, const rlm_key_t *key,
                     uint64_t t) {
  uint64_t limit = config->limit;
  if (limit == 0)
    return false;
  switch (config->algorithm) {
  case RL_FIXED_WINDOW: return fixed_count_at(config, key, t) < limit;
  case RL_SLIDING_LOG: return log_count_at(config, key, t) < limit;
  case RL_TOKEN_BUCKET:
    return bucket_level_at(config, key, t) >= config->window_ns;
  case RL_SLIDING_WINDOW: {
    uint64_t prev, curr;
    counter_at(config, key, t, &prev, &curr);
    return counter_weight(config, prev, curr, t) <
           (u128)limit * config->window_ns;
  }
  }
  return false;
}

uint64_t rlm_capacity_at(const rl_config_t *config, const rlm_key_t *key,
                         uint64_t t) {
  uint64_t limit = config->limit;
  switch (config->algorithm) {
  case RL_FIXED_WINDOW: return limit - fixed_count_at(config, key, t);
  case RL_SLIDING_LOG: return limit - log_count_at(config, key, t);
  case RL_TOKEN_BUCKET:
    return bucket_level_at(config, key, t) / config->window_ns;
  case RL_SLIDING_WINDOW: {
    /* j more fit while weight + j * W < L * W: ceil((L*W - weight) / W). */
    uint64_t prev, curr;
    counter_at(config, key, t, &prev, &curr);
    u128 weight = counter_weight(config, prev, curr, t);
    u128 room = (u128)limit * config->window_ns;
    if (weight >= room)
      return 0;
    return (uint64_t)((room - weight + config->window_ns - 1) /
                      config->window_ns);
  }
  }
  return 0;
}

/* Moves the key's state to t (>= latest) without deciding anything. */
static void advance(const rl_config_t *config, rlm_key_t *key, uint64_t t) {
  switch (config->algorithm) {
  case RL_FIXED_WINDOW: key->curr = fixed_count_at(config, key, t); break;
  case RL_SLIDING_WINDOW: {
    uint64_t prev, curr;
    counter_at(config, key, t, &prev, &curr);
    key->prev = prev;
    key->curr = curr;
    break;
  }
  case RL_TOKEN_BUCKET: key->level = bucket_level_at(config, key, t); break;
  case RL_SLIDING_LOG: {
    /* Times at or before t - W can never count again, since t only grows. */
    size_t expired = 0;
    while (expired < key->log_len && t - key->log[expired] >= config->window_ns)
      expired++;
    if (expired > 0) {
      memmove(key->log, key->log + expired,
              (key->log_len - expired) * sizeof *key->log);
      key->log_len -= expired;
    }
    break;
  }
  }
  key->window = t / config->window_ns;
  key->latest = t;
  key->seen = true;
}

static void record(const rl_config_t *config, rlm_key_t *key, uint64_t t) {
  switch (config->algorithm) {
  case RL_FIXED_WINDOW:
  case RL_SLIDING_WINDOW: key->curr++; break;
  case RL_TOKEN_BUCKET: key->level -= config->window_ns; break;
  case RL_SLIDING_LOG:
    if (key->log_len == key->log_cap) {
      size_t cap = key->log_cap ? key->log_cap * 2 : 16;
      uint64_t *grown = realloc(key->log, cap * sizeof *grown);
      if (grown == NULL)
        abort();
      key->log = grown;
      key->log_cap = cap;
    }
    key->log[key->log_len++] = t;
    break;
  }
}

/* Smallest d in [1, 2W] with a request at t + d allowed. 2W always
 * suffices: by then every algorithm has forgotten everything up to t. */
static uint64_t retry_after(const rl_config_t *config, const rlm_key_t *key,
                            uint64_t t) {
  uint64_t high = config->window_ns * 2;
  if (high > UINT64_MAX - t)
    high = UINT64_MAX - t;
  if (!rlm_would_allow(config, key, t + high))
    return RL_NEVER;
  uint64_t low = 0; /* denied at t + low, allowed at t + high */
  while (high - low > 1) {
    uint64_t middle = low + (high - low) / 2;
    if (rlm_would_allow(config, key, t + middle))
      high = middle;
    else
      low = middle;
  }
  return high;
}

rl_decision_t rlm_check(const rl_config_t *config, rlm_key_t *key,
                        uint64_t now) {
  uint64_t t = rlm_effective_time(key, now);
  rl_decision_t decision;
  decision.allowed = rlm_would_allow(config, key, t);
  advance(config, key, t);
  if (decision.allowed)
    record(config, key, t);
  decision.remaining = rlm_capacity_at(config, key, t);
  if (config->limit == 0)
    decision.retry_after_ns = RL_NEVER;
  else if (decision.remaining > 0)
    decision.retry_after_ns = 0;
  else
    decision.retry_after_ns = retry_after(config, key, t);
  return decision;
}

bool rlm_state_matters(const rl_config_t *config, const rlm_key_t *key,
                       uint64_t t) {
  if (!key->seen || config->limit == 0)
    return false;
  uint64_t window = t / config->window_ns;
  switch (config->algorithm) {
  case RL_FIXED_WINDOW: return window == key->window && key->curr > 0;
  case RL_SLIDING_LOG: return log_count_at(config, key, t) > 0;
  case RL_TOKEN_BUCKET:
    return bucket_level_at(config, key, t) < config->limit * config->window_ns;
  case RL_SLIDING_WINDOW:
    return (window == key->window && (key->curr > 0 || key->prev > 0)) ||
           (window == key->window + 1 && key->curr > 0);
  }
  return false;
}

const char *rlm_fresh_words(rl_algorithm_t algorithm) {
  switch (algorithm) {
  case RL_FIXED_WINDOW: return "nothing counted in any window";
  case RL_SLIDING_LOG: return "an empty log";
  case RL_TOKEN_BUCKET: return "a full bucket of L tokens";
  case RL_SLIDING_WINDOW: return "prev = curr = 0";
  }
  return "no state";
}

void rlm_explain_not_idle(const rl_config_t *config, const rlm_key_t *key,
                          uint64_t t, char *out, size_t out_size) {
  uint64_t w = config->window_ns;
  uint64_t start = key->window * w;
  switch (config->algorithm) {
  case RL_FIXED_WINDOW:
    snprintf(out, out_size,
             "a fixed-window key is idle once its window has ended, and this "
             "one's window [%s, %s) still holds %llu allowed request(s) at "
             "t=%s",
             rlm_seconds(start), rlm_seconds(start + w),
             (unsigned long long)key->curr, rlm_seconds(t));
    break;
  case RL_SLIDING_LOG:
    snprintf(out, out_size,
             "a sliding-log key is idle once its newest allowed time is <= "
             "t - W, and this one's newest, %s, is later than t - W = %s",
             rlm_seconds(key->log_len ? key->log[key->log_len - 1] : 0),
             rlm_seconds(t >= w ? t - w : 0));
    break;
  case RL_TOKEN_BUCKET: {
    uint64_t level = bucket_level_at(config, key, t);
    snprintf(out, out_size,
             "a token-bucket key is idle once its bucket is full again, and "
             "at t=%s this one's holds %llu.%09llu of its %llu tokens",
             rlm_seconds(t), (unsigned long long)(level / w),
             (unsigned long long)((u128)(level % w) * 1000000000 / w),
             (unsigned long long)config->limit);
    break;
  }
  case RL_SLIDING_WINDOW: {
    uint64_t prev, curr;
    counter_at(config, key, t, &prev, &curr);
    snprintf(out, out_size,
             "a sliding-window-counter key is idle once prev and curr would "
             "both be 0 (its last allowed request two or more windows ago), "
             "and at t=%s this one has prev=%llu, curr=%llu",
             rlm_seconds(t), (unsigned long long)prev,
             (unsigned long long)curr);
    break;
  }
  }
}

const char *rlm_seconds(uint64_t ns) {
  static char ring[32][32];
  static unsigned next;
  char *text = ring[next++ % 32];
  if (ns == RL_NEVER)
    snprintf(text, sizeof ring[0], "RL_NEVER");
  else
    snprintf(text, sizeof ring[0], "%llu.%09llus",
             (unsigned long long)(ns / 1000000000),
             (unsigned long long)(ns % 1000000000));
  return text;
}

const char *rlm_algorithm_title(rl_algorithm_t algorithm) {
  switch (algorithm) {
  case RL_FIXED_WINDOW: return "fixed window";
  case RL_SLIDING_LOG: return "sliding log";
  case RL_TOKEN_BUCKET: return "token bucket";
  case RL_SLIDING_WINDOW: return "sliding window counter";
  }
  return "unknown algorithm";
}

/* Decimal text of a 128-bit number. */
static const char *u128_text(u128 value, char *out, size_t out_size) {
  char digits[48];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + (int)(value % 10));
    value /= 10;
  } while (value != 0);
  size_t i = 0;
  while (n > 0 && i + 1 < out_size)
    out[i++] = digits[--n];
  out[i] = '\0';
  return out;
}

/* Appends the times in the log that fall in (t - W, t], equal times
 * grouped ("2.5s x40"): all groups when few, else the first three and the
 * last three. */
static void explain_log_times(const rl_config_t *config, const rlm_key_t *key,
                              uint64_t t, char *out, size_t out_size) {
  size_t first = 0;
  while (first < key->log_len && t - key->log[first] >= config->window_ns)
    first++;
  size_t groups = 0;
  for (size_t i = first; i < key->log_len; i++)
    groups += i == first || key->log[i] != key->log[i - 1];
  size_t used = strlen(out), group = 0;
  for (size_t i = first; i < key->log_len && used + 1 < out_size;) {
    size_t end = i;
    while (end < key->log_len && key->log[end] == key->log[i])
      end++;
    group++;
    if (groups <= 8 || group <= 3 || group > groups - 3) {
      used += (size_t)snprintf(out + used, out_size - used, "%s%s",
                               group == 1 ? " (allowed at " : " ",
                               rlm_seconds(key->log[i]));
      if (end - i > 1 && used + 1 < out_size)
        used += (size_t)snprintf(out + used, out_size - used, " x%zu", end - i);
    } else if (group == 4 && used + 1 < out_size) {
      used += (size_t)snprintf(out + used, out_size - used, " …");
    }
    i = end;
  }
  if (groups > 0 && used + 2 < out_size)
    snprintf(out + used, out_size - used, ")");
}

void rlm_explain(const rl_config_t *config, const rlm_key_t *key, uint64_t t,
                 char *out, size_t out_size) {
  uint64_t limit = config->limit, w = config->window_ns;
  if (limit == 0) {
    snprintf(out, out_size,
             "the limit is 0, so every request is denied and "
             "no wait helps");
    return;
  }
  int used = snprintf(out, out_size, "the limit is %llu per %s",
                      (unsigned long long)limit, rlm_seconds(w));
  if (used < 0 || (size_t)used >= out_size)
    return;
  char *rest = out + used;
  size_t rest_size = out_size - (size_t)used;
  uint64_t start = t / w * w;
  switch (config->algorithm) {
  case RL_FIXED_WINDOW:
    snprintf(rest, rest_size,
             " and %llu request(s) were already allowed in the window "
             "[%s, %s) that t=%s falls in",
             (unsigned long long)fixed_count_at(config, key, t),
             rlm_seconds(start), rlm_seconds(start + w), rlm_seconds(t));
    break;
  case RL_SLIDING_LOG:
    snprintf(rest, rest_size, " and %llu request(s) were allowed in %s%s, %s]",
             (unsigned long long)log_count_at(config, key, t),
             t >= w ? "(" : "[", rlm_seconds(t >= w ? t - w : 0),
             rlm_seconds(t));
    explain_log_times(config, key, t, rest, rest_size);
    break;
  case RL_TOKEN_BUCKET: {
    uint64_t level = bucket_level_at(config, key, t);
    uint64_t fraction = (uint64_t)((u128)(level % w) * 1000000000 / w);
    int n = snprintf(rest, rest_size,
                     " (a bucket of %llu tokens refilled continuously at %llu "
                     "per %s) and at t=%s the bucket held %llu.%09llu tokens "
                     "(level %llu in units of 1/%llu token; a request needs "
                     "%llu)",
                     (unsigned long long)limit, (unsigned long long)limit,
                     rlm_seconds(w), rlm_seconds(t),
                     (unsigned long long)(level / w),
                     (unsigned long long)fraction, (unsigned long long)level,
                     (unsigned long long)w, (unsigned long long)w);
    if (key->seen && n > 0 && (size_t)n < rest_size)
      snprintf(rest + n, rest_size - (size_t)n, "; its last call was at %s",
               rlm_seconds(key->latest));
    break;
  }
  case RL_SLIDING_WINDOW: {
    uint64_t prev, curr;
    counter_at(config, key, t, &prev, &curr);
    u128 weight = counter_weight(config, prev, curr, t);
    u128 room = (u128)limit * w;
    char weight_text[48], room_text[48], previous[96];
    if (start == 0)
      snprintf(previous, sizeof previous, "there is no previous window");
    else
      snprintf(previous, sizeof previous, "the previous window [%s, %s) had",
               rlm_seconds(start - w), rlm_seconds(start));
    snprintf(rest, rest_size,
             ": at t=%s the current window [%s, %s) has curr=%llu allowed, "
             "%s prev=%llu allowed, e=%llu ns into the window, so "
             "prev*(W-e) + curr*W = %llu*%llu + %llu*%llu = %s, which is %s "
             "L*W = %s",
             rlm_seconds(t), rlm_seconds(start), rlm_seconds(start + w),
             (unsigned long long)curr, previous, (unsigned long long)prev,
             (unsigned long long)(t - start), (unsigned long long)prev,
             (unsigned long long)(w - (t - start)), (unsigned long long)curr,
             (unsigned long long)w,
             u128_text(weight, weight_text, sizeof weight_text),
             weight < room ? "<" : "not <",
             u128_text(room, room_text, sizeof room_text));
    break;
  }
  }
}
