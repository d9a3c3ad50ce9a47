/* mutable.h - one correct rate limiter with every mutant's bug behind an
 * #if, so that each mutant file is a comment, a #define and an #include.
 *
 * With no MUTANT_* defined this passes every stage. Each bug point reads
 * "#if MUTANT_X  <the bug>  #else  <the right code>  #endif", the bug first,
 * so a reader sees what a candidate would have written. Compile exactly one
 * mutant file (which includes this header) into one plug-in. */
#ifndef MUTABLE_H
#define MUTABLE_H

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rate_limiter.h"

/* Buckets swept for idle keys per rl_check: enough to pass over a table of
 * a million keys in well under a million calls. */
#define MUT_SWEEP_BUCKETS 8
#define MUT_MIN_BUCKETS 16

/* The allowed times of one sliding-log key: a ring, oldest at head. */
typedef struct mut_log {
  uint64_t *times;
  uint64_t head;
  uint64_t count;
  uint64_t capacity;
} mut_log_t;

typedef struct mut_entry {
  struct mut_entry *next;
  uint64_t hash;
  uint64_t seen; /* the latest now_ns seen for this key */
  union {
    struct {
      uint64_t start; /* first ns of the current aligned window */
      uint64_t count;
    } fixed;
    mut_log_t log;
    struct {
      uint64_t level; /* tokens scaled by W, in [0, L*W] */
      uint64_t last;  /* time of the last refill */
    } bucket;
    struct {
      uint64_t window; /* index of the current aligned window */
      uint64_t prev;
      uint64_t curr;
#if MUTANT_SWC_HISTORY
      uint64_t *history; /* (window, count) of every window ended */
      uint64_t windows;
#endif
    } counter;
  } state;
  size_t key_len;
  const unsigned char *key;
  unsigned char bytes[]; /* the key's own copy */
} mut_entry_t;

struct rl {
  rl_config_t config;
  uint64_t capacity; /* limit * window_ns: a full bucket, scaled */
  pthread_mutex_t lock;
  mut_entry_t **buckets;
  uint64_t bucket_count; /* a power of two */
  uint64_t entry_count;
  uint64_t sweep_cursor;
};

static void mut_lock(struct rl *rl) {
#if MUTANT_NO_LOCK
  (void)rl; /* "single-threaded is fine for now" */
#else
  pthread_mutex_lock(&rl->lock);
#endif
}

static void mut_unlock(struct rl *rl) {
#if MUTANT_NO_LOCK
  (void)rl;
#else
  pthread_mutex_unlock(&rl->lock);
#endif
}

/* FNV-1a: short keys dominate, and every byte (NULs too) counts. */
static uint64_t mut_hash(const unsigned char *key, size_t len) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    hash = (hash ^ key[i]) * 0x100000001b3ULL;
  return hash;
}

static void mut_entry_free(const struct rl *rl, mut_entry_t *entry) {
  if (rl->config.algorithm == RL_SLIDING_LOG)
    free(entry->state.log.times);
#if MUTANT_SWC_HISTORY
  if (rl->config.algorithm == RL_SLIDING_WINDOW)
    free(entry->state.counter.history);
#endif
  free(entry);
}

/* True when the key's state would be a fresh key's at any time from
 * now - W on, so forgetting it changes no future answer even for calls that
 * arrive up to a window late (a thread with an older now_ns). */
static bool mut_idle(const struct rl *rl, const mut_entry_t *e, uint64_t now) {
  uint64_t w = rl->config.window_ns;
  if (now < e->seen || now - e->seen < w)
    return false;
  now -= w;
  switch (rl->config.algorithm) {
  case RL_FIXED_WINDOW: return now / w > e->state.fixed.start / w;
  case RL_SLIDING_LOG: {
    const mut_log_t *log = &e->state.log;
    if (log->count == 0)
      return true;
    uint64_t newest = log->times[(log->head + log->count - 1) % log->capacity];
    return now - newest >= w;
  }
  case RL_TOKEN_BUCKET: {
    uint64_t gap = now - e->state.bucket.last;
    return gap >= w ||
           e->state.bucket.level + gap * rl->config.limit >= rl->capacity;
  }
  case RL_SLIDING_WINDOW: return now / w >= e->state.counter.window + 2;
  }
  return false;
}

/* Moves every entry into a table of bucket_count buckets. */
static int mut_rehash(struct rl *rl, uint64_t bucket_count) {
  mut_entry_t **buckets = calloc(bucket_count, sizeof *buckets);
  if (buckets == NULL)
    return -ENOMEM;
  for (uint64_t i = 0; i < rl->bucket_count; i++) {
    mut_entry_t *e = rl->buckets[i];
    while (e != NULL) {
      mut_entry_t *next = e->next;
      uint64_t slot = e->hash & (bucket_count - 1);
      e->next = buckets[slot];
      buckets[slot] = e;
      e = next;
    }
  }
  free(rl->buckets);
  rl->buckets = buckets;
  rl->bucket_count = bucket_count;
  rl->sweep_cursor &= bucket_count - 1;
  return 0;
}

/* Forgets idle keys in the next few buckets, then shrinks a sparse table:
 * a bounded share of work per call, so memory follows the active keys. */
static void mut_sweep(struct rl *rl, uint64_t now) {
#if MUTANT_NEVER_FORGET
  return; /* keys live as long as the limiter */
#endif
  for (int n = 0; n < MUT_SWEEP_BUCKETS; n++) {
    mut_entry_t **link = &rl->buckets[rl->sweep_cursor];
    rl->sweep_cursor = (rl->sweep_cursor + 1) & (rl->bucket_count - 1);
    while (*link != NULL) {
      mut_entry_t *e = *link;
      if (mut_idle(rl, e, now)) {
        *link = e->next;
        mut_entry_free(rl, e);
        rl->entry_count--;
      } else {
        link = &e->next;
      }
    }
  }
#if MUTANT_NO_SHRINK
  /* the bucket array keeps its high-water size */
#else
  /* Halving at a quarter full leaves room to grow back without thrashing;
   * a failed shrink just keeps the bigger table. */
  if (rl->bucket_count > MUT_MIN_BUCKETS &&
      rl->entry_count < rl->bucket_count / 4)
    mut_rehash(rl, rl->bucket_count / 2);
#endif
}

/* Finds key's entry, or adds a fresh one; NULL when memory runs out. */
static mut_entry_t *mut_find(struct rl *rl, const void *key, size_t key_len,
                             uint64_t now) {
  uint64_t hash = mut_hash(key, key_len);
  mut_entry_t **link = &rl->buckets[hash & (rl->bucket_count - 1)];
  for (mut_entry_t *e = *link; e != NULL; e = e->next)
    if (e->hash == hash && e->key_len == key_len &&
        (key_len == 0 || memcmp(e->key, key, key_len) == 0))
      return e;
  mut_entry_t *e = calloc(1, sizeof *e + key_len);
  if (e == NULL)
    return NULL;
  e->hash = hash;
  e->seen = now;
  e->key_len = key_len;
  if (key_len > 0)
    memcpy(e->bytes, key, key_len);
#if MUTANT_KEY_NOT_COPIED
  e->key = key; /* the caller's buffer, which it may reuse */
#else
  e->key = e->bytes;
#endif
  /* A fresh fixed-window key (count 0) starts its window on first use. */
  switch (rl->config.algorithm) {
  case RL_FIXED_WINDOW:
  case RL_SLIDING_LOG: break;
  case RL_TOKEN_BUCKET:
    e->state.bucket.level = rl->capacity;
    e->state.bucket.last = now;
    break;
  case RL_SLIDING_WINDOW:
    e->state.counter.window = now / rl->config.window_ns;
    break;
  }
  e->next = *link;
  *link = e;
  if (++rl->entry_count > rl->bucket_count)
    mut_rehash(rl, rl->bucket_count * 2); /* on failure: longer chains */
  return e;
}

/* The time a call is judged at: an earlier now_ns counts as the latest. */
static uint64_t mut_time(mut_entry_t *e, uint64_t now) {
  if (now > e->seen)
    e->seen = now;
  return e->seen;
}

static void mut_fixed(struct rl *rl, mut_entry_t *e, uint64_t now,
                      rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  uint64_t t = mut_time(e, now);
  bool fresh = e->state.fixed.count == 0;
#if MUTANT_FW_BOUNDARY
  if (fresh || t - e->state.fixed.start > w) {
#else
  if (fresh || t - e->state.fixed.start >= w) {
#endif
    e->state.fixed.start = t - t % w;
#if MUTANT_LIMIT_ZERO
    /* a new window always lets its first request in */
    e->state.fixed.count = 1;
    d->allowed = true;
  } else if (e->state.fixed.count < limit) {
#else
    e->state.fixed.count = 0;
  }
  if (e->state.fixed.count < limit) {
#endif
    e->state.fixed.count++;
    d->allowed = true;
  }
  d->remaining = limit - e->state.fixed.count;
  if (d->remaining == 0 && limit > 0)
#if MUTANT_FW_RETRY_LAST_NS
    d->retry_after_ns = e->state.fixed.start + w - 1 - t;
#else
    d->retry_after_ns = e->state.fixed.start + w - t;
#endif
}

/* Drops allowed times that left the window (t - W, t]. */
static void mut_log_prune(mut_log_t *log, uint64_t t, uint64_t w) {
  while (log->count > 0) {
    uint64_t oldest = log->times[log->head];
#if MUTANT_LOG_FIXED_WINDOW
    if (oldest >= t - t % w) /* "clear the log when a new window starts" */
#elif MUTANT_LOG_INCLUSIVE
    if (oldest + w >= t) /* keeps [t - W, t] */
#else
    if (oldest + w > t)
#endif
      break;
    log->head = (log->head + 1) % log->capacity;
    log->count--;
  }
}

static int mut_log_push(mut_log_t *log, uint64_t t) {
#if MUTANT_LOG_NO_TRIM
  /* Appended at the end, never wrapping: the expired times before head
   * stay, and the array grows with every allowed request. */
  if (log->head + log->count == log->capacity) {
    uint64_t capacity = log->capacity ? log->capacity * 2 : 4;
    uint64_t *times = realloc(log->times, capacity * sizeof *times);
    if (times == NULL)
      return -ENOMEM;
    log->times = times;
    log->capacity = capacity;
  }
  log->times[log->head + log->count] = t;
  log->count++;
  return 0;
#endif
  if (log->count == log->capacity) {
    uint64_t capacity = log->capacity ? log->capacity * 2 : 4;
    uint64_t *times = malloc(capacity * sizeof *times);
    if (times == NULL)
      return -ENOMEM;
    for (uint64_t i = 0; i < log->count; i++)
      times[i] = log->times[(log->head + i) % log->capacity];
    free(log->times);
    log->times = times;
    log->head = 0;
    log->capacity = capacity;
  }
  log->times[(log->head + log->count) % log->capacity] = t;
  log->count++;
  return 0;
}

static int mut_sliding_log(struct rl *rl, mut_entry_t *e, uint64_t now,
                           rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  uint64_t t = mut_time(e, now);
  mut_log_t *log = &e->state.log;
  mut_log_prune(log, t, w);
  d->allowed = log->count < limit;
#if MUTANT_LOG_COUNTS_DENIED
  if (mut_log_push(log, t) != 0) /* every request goes into the log */
    return -ENOMEM;
#else
  if (d->allowed && mut_log_push(log, t) != 0)
    return -ENOMEM;
#endif
  d->remaining = log->count < limit ? limit - log->count : 0;
  if (d->remaining == 0 && limit > 0) {
    /* The oldest counted entry must leave the window first. */
    uint64_t oldest =
        log->times[(log->head + log->count - limit) % log->capacity];
    d->retry_after_ns = oldest + w - t;
  }
  return 0;
}

static void mut_token_bucket(struct rl *rl, mut_entry_t *e, uint64_t now,
                             rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  uint64_t t = mut_time(e, now);
#if MUTANT_TB_BACKWARDS
  uint64_t gap = now - e->state.bucket.last; /* wraps when now < last */
#else
  uint64_t gap = t - e->state.bucket.last;
#endif
#if MUTANT_TB_OVERFLOW
  /* int64_t levels, no shortcut for long gaps: gap * L wraps past 2^63 */
  int64_t level = (int64_t)(e->state.bucket.level + gap * limit);
  e->state.bucket.level =
      level > (int64_t)rl->capacity ? rl->capacity : (uint64_t)level;
#else
#if MUTANT_TB_TRUNCATE
  /* tokens += elapsed * L / W: whole tokens only, the fraction is lost */
  uint64_t gain = gap >= w ? rl->capacity : gap * limit / w * w;
#else
  uint64_t gain = gap >= w ? rl->capacity : gap * limit;
#endif
  /* Both terms are at most L*W < 2^63, so the sum cannot wrap. */
#if MUTANT_TB_NO_CAP
  e->state.bucket.level += gain;
#elif MUTANT_TB_SIGNED_LEVEL
  /* int64_t: level + gain passes 2^63 when L*W is near it, and wraps */
  int64_t level = (int64_t)(e->state.bucket.level + gain);
  e->state.bucket.level =
      level > (int64_t)rl->capacity ? rl->capacity : (uint64_t)level;
#else
  if (gain > rl->capacity - e->state.bucket.level)
    e->state.bucket.level = rl->capacity;
  else
    e->state.bucket.level += gain;
#endif
#endif
  e->state.bucket.last = t;
  if (e->state.bucket.level >= w) {
    e->state.bucket.level -= w;
    d->allowed = true;
  }
  d->remaining = e->state.bucket.level / w;
  if (d->remaining == 0 && limit > 0) {
    uint64_t missing = w - e->state.bucket.level;
#if MUTANT_TB_RETRY_FLOOR
    d->retry_after_ns = missing / limit;
#else
    d->retry_after_ns = (missing + limit - 1) / limit;
#endif
  }
}

/* The smallest offset x >= e into a window, x < W, at which
 * prev * (W - x) < budget; W when there is none. */
static uint64_t mut_counter_when(uint64_t prev, uint64_t budget, uint64_t w,
                                 uint64_t e) {
  if (budget == 0)
    return w;
  if (prev == 0)
    return e;
  uint64_t most = (budget - 1) / prev; /* the largest W - x that fits */
  uint64_t x = most >= w ? 0 : w - most;
  return x > e ? x : e;
}

static void mut_sliding_window(struct rl *rl, mut_entry_t *e, uint64_t now,
                               rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  uint64_t t = mut_time(e, now);
  uint64_t window = t / w;
  if (window != e->state.counter.window) {
#if MUTANT_SWC_HISTORY
    /* "keep every window's count, in case we want more than two" */
    if (e->state.counter.curr > 0) {
      uint64_t n = e->state.counter.windows;
      if ((n & (n - 1)) == 0) {
        uint64_t *grown = realloc(e->state.counter.history,
                                  2 * (n ? 2 * n : 1) * sizeof *grown);
        if (grown != NULL)
          e->state.counter.history = grown;
      }
      if (e->state.counter.history != NULL) {
        e->state.counter.history[2 * n] = e->state.counter.window;
        e->state.counter.history[2 * n + 1] = e->state.counter.curr;
        e->state.counter.windows = n + 1;
      }
    }
#endif
#if MUTANT_SWC_STALE_PREV
    e->state.counter.prev = e->state.counter.curr;
#else
    bool adjacent = window == e->state.counter.window + 1;
    e->state.counter.prev = adjacent ? e->state.counter.curr : 0;
#endif
    e->state.counter.curr = 0;
    e->state.counter.window = window;
  }
  uint64_t prev = e->state.counter.prev;
  uint64_t offset = t % w;
  unsigned __int128 weighted = (unsigned __int128)prev * (w - offset);
#if MUTANT_SWC_FLOAT
  double estimate =
      prev * ((double)(w - offset) / w) + (double)e->state.counter.curr;
  d->allowed = estimate < (double)limit;
#elif MUTANT_SWC_SIGNED_SUM
  /* int64_t: each product fits, their sum can pass 2^63 and wrap */
  int64_t sum = (int64_t)((uint64_t)weighted + e->state.counter.curr * w);
  d->allowed = sum < (int64_t)rl->capacity;
#else
  d->allowed = weighted + (unsigned __int128)e->state.counter.curr * w <
               (unsigned __int128)rl->capacity;
#endif
#if MUTANT_SWC_COUNTS_DENIED
  e->state.counter.curr++;
#else
  if (d->allowed)
    e->state.counter.curr++;
#endif
  uint64_t curr = e->state.counter.curr;
  if (weighted < rl->capacity) {
    uint64_t room = rl->capacity - (uint64_t)weighted;
    uint64_t fits = room / w + (room % w != 0); /* counts c with c*W < room */
    d->remaining = fits > curr ? fits - curr : 0;
  }
  if (d->remaining > 0 || limit == 0)
    return;
  uint64_t budget = curr < limit ? (limit - curr) * w : 0;
  uint64_t x = mut_counter_when(prev, budget, w, offset);
  if (x < w) {
    d->retry_after_ns = x - offset;
    return;
  }
  /* Next window: this one's count becomes prev, with a full budget. */
  x = mut_counter_when(curr, rl->capacity, w, 0);
  d->retry_after_ns = (x < w ? w + x : 2 * w) - offset;
}

int rl_create(const rl_config_t *config, rl_t **out) {
  *out = NULL;
  if (config->algorithm < RL_FIXED_WINDOW ||
      config->algorithm > RL_SLIDING_WINDOW || config->window_ns == 0)
    return -EINVAL;
#if MUTANT_CREATE_OVERFLOW
  if (config->limit * config->window_ns > (uint64_t)INT64_MAX) /* wraps */
#else
  if (config->limit != 0 &&
      config->window_ns > (uint64_t)INT64_MAX / config->limit)
#endif
    return -EINVAL;
  struct rl *rl = calloc(1, sizeof *rl);
  if (rl == NULL)
    return -ENOMEM;
  rl->config = *config;
  rl->capacity = config->limit * config->window_ns;
  rl->bucket_count = MUT_MIN_BUCKETS;
  rl->buckets = calloc(rl->bucket_count, sizeof *rl->buckets);
  if (rl->buckets == NULL) {
    free(rl);
    return -ENOMEM;
  }
  pthread_mutex_init(&rl->lock, NULL);
  *out = rl;
  return 0;
}

void rl_destroy(rl_t *rl) {
  if (rl == NULL)
    return;
#if MUTANT_DESTROY_LEAK /* frees the table but not the keys in it */
#else
  for (uint64_t i = 0; i < rl->bucket_count; i++) {
    mut_entry_t *e = rl->buckets[i];
    while (e != NULL) {
      mut_entry_t *next = e->next;
      mut_entry_free(rl, e);
      e = next;
    }
  }
#endif
  pthread_mutex_destroy(&rl->lock);
  free(rl->buckets);
  free(rl);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
#if MUTANT_KEY_MAX_OFF_BY_ONE
  if (key_len >= RL_KEY_MAX) /* "room for the terminating NUL" */
#else
  if (key_len > RL_KEY_MAX)
#endif
    return -EINVAL;
#if MUTANT_KEY_STRLEN
  const char *nul = key ? memchr(key, '\0', key_len) : NULL;
  if (nul != NULL)
    key_len = (size_t)(nul - (const char *)key); /* the key as a C string */
#elif MUTANT_KEY_PREFIX
  if (key_len > 16)
    key_len = 16; /* keys kept in a char key[16] */
#elif MUTANT_ONE_COUNTER
  key_len = 0; /* the key is never looked at: one state for everyone */
#endif
  *decision = (rl_decision_t){.allowed = false, .retry_after_ns = 0};
  if (rl->config.limit == 0)
    decision->retry_after_ns = RL_NEVER;
  mut_lock(rl);
  mut_sweep(rl, now_ns);
  mut_entry_t *e = mut_find(rl, key, key_len, now_ns);
  if (e == NULL) {
    mut_unlock(rl);
    return -ENOMEM;
  }
#if MUTANT_RACE_COUNTER
  /* the table is safe now; "the counter update is just one line" */
  mut_unlock(rl);
#endif
  int rc = 0;
  switch (rl->config.algorithm) {
  case RL_FIXED_WINDOW: mut_fixed(rl, e, now_ns, decision); break;
  case RL_SLIDING_LOG: rc = mut_sliding_log(rl, e, now_ns, decision); break;
  case RL_TOKEN_BUCKET: mut_token_bucket(rl, e, now_ns, decision); break;
  case RL_SLIDING_WINDOW: mut_sliding_window(rl, e, now_ns, decision); break;
  }
#if !MUTANT_RACE_COUNTER
  mut_unlock(rl);
#endif
  return rc;
}

#endif /* MUTABLE_H */
