/* naive.c - the obvious correct rate limiter, the yardstick: one mutex, one
 * chained hash table, all four algorithms, nothing tuned. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rate_limiter.h"

#define NAIVE_MIN_BUCKETS 16
/* Buckets checked for idle keys on every call. Halving the table at a
 * quarter full means a pass over a million buckets also visits the smaller
 * tables after it: about 1.3 M bucket visits to forget a million keys,
 * a third of a million calls. */
#define NAIVE_SWEEP_BUCKETS 4

/* One allowed time in a sliding log. */
typedef struct naive_time {
  struct naive_time *next;
  uint64_t t;
} naive_time_t;

/* Everything any algorithm keeps about one key; each uses its own fields. */
typedef struct naive_key {
  struct naive_key *next;
  unsigned char *key; /* our own copy of the caller's bytes */
  size_t key_len;
  uint64_t last;        /* the latest time seen for the key */
  uint64_t window;      /* fixed and sliding window: index of the current one */
  uint64_t count;       /* fixed window: allowed in it; sliding window: curr */
  uint64_t prev;        /* sliding window: allowed in the window before */
  uint64_t level;       /* token bucket: tokens scaled by W, in [0, L*W] */
  naive_time_t *oldest; /* sliding log: allowed times, oldest first */
  naive_time_t *newest;
  uint64_t logged; /* sliding log: how many */
} naive_key_t;

struct rl {
  rl_config_t config;
  pthread_mutex_t lock;
  naive_key_t **buckets;
  size_t bucket_count; /* a power of two */
  size_t key_count;
  size_t sweep_at; /* the next bucket to check for idle keys */
};

/* FNV-1a over every byte: keys are binary, so never strlen. */
static uint64_t naive_hash(const void *key, size_t len) {
  const unsigned char *p = key;
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++) {
    h ^= p[i];
    h *= 1099511628211ULL;
  }
  return h;
}

static void naive_key_free(naive_key_t *k) {
  while (k->oldest != NULL) {
    naive_time_t *next = k->oldest->next;
    free(k->oldest);
    k->oldest = next;
  }
  free(k->key);
  free(k);
}

/* True when the key's state at now is what a new key's would be, so that
 * forgetting it changes no answer. */
static bool naive_idle(const rl_t *rl, const naive_key_t *k, uint64_t now) {
  uint64_t w = rl->config.window_ns;
  if (now < k->last)
    return false;
  switch (rl->config.algorithm) {
  case RL_FIXED_WINDOW: return now / w > k->window;
  case RL_SLIDING_LOG: return k->logged == 0 || now - k->newest->t >= w;
  case RL_TOKEN_BUCKET:
    return now - k->last >= w ||
           k->level + (now - k->last) * rl->config.limit >=
               rl->config.limit * w;
  case RL_SLIDING_WINDOW:
    /* curr moves to prev in the next window and out in the one after. */
    return now / w > k->window + (k->count > 0);
  }
  return false;
}

/* Rebuilds the table with bucket_count buckets. Returns 0 or -ENOMEM. */
static int naive_rehash(rl_t *rl, size_t bucket_count) {
  naive_key_t **buckets = calloc(bucket_count, sizeof *buckets);
  if (buckets == NULL)
    return -ENOMEM;
  for (size_t i = 0; i < rl->bucket_count; i++) {
    naive_key_t *k = rl->buckets[i];
    while (k != NULL) {
      naive_key_t *next = k->next;
      size_t b = naive_hash(k->key, k->key_len) & (bucket_count - 1);
      k->next = buckets[b];
      buckets[b] = k;
      k = next;
    }
  }
  free(rl->buckets);
  rl->buckets = buckets;
  rl->bucket_count = bucket_count;
  rl->sweep_at = 0;
  return 0;
}

/* Forgets the idle keys of the next few buckets, and halves the table when
 * it is a quarter full: a little work on every call, so memory follows the
 * keys in use without a background thread. */
static void naive_sweep(rl_t *rl, uint64_t now) {
  for (int n = 0; n < NAIVE_SWEEP_BUCKETS; n++) {
    naive_key_t **link = &rl->buckets[rl->sweep_at];
    while (*link != NULL) {
      naive_key_t *k = *link;
      if (naive_idle(rl, k, now)) {
        *link = k->next;
        naive_key_free(k);
        rl->key_count--;
      } else {
        link = &k->next;
      }
    }
    rl->sweep_at = (rl->sweep_at + 1) % rl->bucket_count;
  }
  if (rl->bucket_count > NAIVE_MIN_BUCKETS &&
      rl->key_count < rl->bucket_count / 4)
    naive_rehash(rl, rl->bucket_count / 2); /* on failure: stay big */
}

/* Finds the key, or adds a new one with a fresh state at now. Returns NULL
 * when memory runs out. */
static naive_key_t *naive_find(rl_t *rl, const void *key, size_t key_len,
                               uint64_t now) {
  size_t b = naive_hash(key, key_len) & (rl->bucket_count - 1);
  for (naive_key_t *k = rl->buckets[b]; k != NULL; k = k->next)
    if (k->key_len == key_len &&
        (key_len == 0 || memcmp(k->key, key, key_len) == 0))
      return k;
  naive_key_t *k = calloc(1, sizeof *k);
  if (k == NULL)
    return NULL;
  k->key = malloc(key_len > 0 ? key_len : 1);
  if (k->key == NULL) {
    free(k);
    return NULL;
  }
  if (key_len > 0)
    memcpy(k->key, key, key_len);
  k->key_len = key_len;
  k->last = now;
  k->window = now / rl->config.window_ns;
  k->level = rl->config.limit * rl->config.window_ns;
  k->next = rl->buckets[b];
  rl->buckets[b] = k;
  rl->key_count++;
  if (rl->key_count > rl->bucket_count)
    naive_rehash(rl, rl->bucket_count * 2); /* on failure: longer chains */
  return k;
}

static void naive_fixed_window(const rl_t *rl, naive_key_t *k, uint64_t t,
                               rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  if (t / w != k->window) {
    k->window = t / w;
    k->count = 0;
  }
  d->allowed = k->count < limit;
  if (d->allowed)
    k->count++;
  d->remaining = limit - k->count;
  /* Nothing more until the next window starts. */
  d->retry_after_ns = d->remaining > 0 ? 0 : w - t % w;
}

static int naive_sliding_log(const rl_t *rl, naive_key_t *k, uint64_t t,
                             rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  while (k->oldest != NULL && t - k->oldest->t >= w) {
    naive_time_t *gone = k->oldest;
    k->oldest = gone->next;
    free(gone);
    k->logged--;
  }
  if (k->oldest == NULL)
    k->newest = NULL;
  d->allowed = k->logged < limit;
  if (d->allowed) {
    naive_time_t *entry = malloc(sizeof *entry);
    if (entry == NULL)
      return -ENOMEM;
    entry->t = t;
    entry->next = NULL;
    if (k->newest != NULL)
      k->newest->next = entry;
    else
      k->oldest = entry;
    k->newest = entry;
    k->logged++;
  }
  d->remaining = limit - k->logged;
  /* Full: wait for the oldest allowed time to leave (t - W, t]. */
  d->retry_after_ns = d->remaining > 0 ? 0 : w - (t - k->oldest->t);
  return 0;
}

static void naive_token_bucket(const rl_t *rl, naive_key_t *k, uint64_t gap,
                               rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  uint64_t full = limit * w;
  /* gap >= W fills the bucket; checking it first keeps gap * L < L*W. */
  if (gap >= w || full - k->level <= gap * limit)
    k->level = full;
  else
    k->level += gap * limit;
  d->allowed = k->level >= w;
  if (d->allowed)
    k->level -= w;
  d->remaining = k->level / w;
  /* The missing part of a token comes in at L units per ns. */
  uint64_t missing = w - k->level % w;
  d->retry_after_ns =
      d->remaining > 0 ? 0 : missing / limit + (missing % limit != 0);
}

static void naive_sliding_window(const rl_t *rl, naive_key_t *k, uint64_t t,
                                 rl_decision_t *d) {
  uint64_t limit = rl->config.limit;
  uint64_t w = rl->config.window_ns;
  uint64_t full = limit * w;
  uint64_t window = t / w;
  if (window != k->window) {
    k->prev = window == k->window + 1 ? k->count : 0;
    k->count = 0;
    k->window = window;
  }
  uint64_t e = t % w;
  unsigned __int128 weight = (unsigned __int128)k->prev * (w - e);
  d->allowed = weight + (unsigned __int128)k->count * w < full;
  if (d->allowed)
    k->count++;
  /* Further requests now: each j >= 0 with (count + j)*W < full - weight. */
  d->remaining = 0;
  if (weight < full) {
    uint64_t room = full - (uint64_t)weight;
    uint64_t fit = room / w + (room % w != 0);
    if (fit > k->count)
      d->remaining = fit - k->count;
  }
  d->retry_after_ns = 0;
  if (d->remaining > 0)
    return;
  if (k->count < limit) {
    /* The weight falls as e grows: the first e' with
     * prev*(W - e') < (L - count)*W, which may be W, the next window. */
    uint64_t need = (limit - k->count) * w;
    uint64_t q = need / k->prev + (need % k->prev != 0);
    d->retry_after_ns = w - q + 1 - e;
  } else {
    /* Next window: prev = L, so one ns in; if W = 1, the window after. */
    d->retry_after_ns = (w > 1 ? w + 1 : 2 * w) - e;
  }
}

int rl_create(const rl_config_t *config, rl_t **out) {
  if (out == NULL)
    return -EINVAL;
  *out = NULL;
  if (config == NULL || config->algorithm < RL_FIXED_WINDOW ||
      config->algorithm > RL_SLIDING_WINDOW || config->window_ns == 0)
    return -EINVAL;
  if (config->limit != 0 &&
      config->window_ns > (uint64_t)INT64_MAX / config->limit)
    return -EINVAL;
  rl_t *rl = calloc(1, sizeof *rl);
  if (rl == NULL)
    return -ENOMEM;
  rl->config = *config;
  rl->bucket_count = NAIVE_MIN_BUCKETS;
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
  for (size_t i = 0; i < rl->bucket_count; i++) {
    naive_key_t *k = rl->buckets[i];
    while (k != NULL) {
      naive_key_t *next = k->next;
      naive_key_free(k);
      k = next;
    }
  }
  free(rl->buckets);
  pthread_mutex_destroy(&rl->lock);
  free(rl);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  if (key_len > RL_KEY_MAX)
    return -EINVAL;
  if (rl->config.limit == 0) {
    *decision = (rl_decision_t){
        .allowed = false, .remaining = 0, .retry_after_ns = RL_NEVER};
    return 0;
  }
  int rc = 0;
  pthread_mutex_lock(&rl->lock);
  naive_sweep(rl, now_ns);
  naive_key_t *k = naive_find(rl, key, key_len, now_ns);
  if (k == NULL) {
    rc = -ENOMEM;
  } else {
    uint64_t gap = now_ns > k->last ? now_ns - k->last : 0;
    if (now_ns > k->last)
      k->last = now_ns;
    uint64_t t = k->last;
    switch (rl->config.algorithm) {
    case RL_FIXED_WINDOW: naive_fixed_window(rl, k, t, decision); break;
    case RL_SLIDING_LOG: rc = naive_sliding_log(rl, k, t, decision); break;
    case RL_TOKEN_BUCKET: naive_token_bucket(rl, k, gap, decision); break;
    case RL_SLIDING_WINDOW: naive_sliding_window(rl, k, t, decision); break;
    }
  }
  pthread_mutex_unlock(&rl->lock);
  return rc;
}
