/* mutable.h - one correct LRU cache with every mutant's bug behind an #if,
 * so that each mutant file is a comment, a #define and an #include.
 *
 * With no MUTANT_* defined this is an exact, O(1) LRU cache that passes
 * stages 1 to 5 (LC_POLICY_OWN answers LC_ENOTIMPL). Each bug point reads
 * "#if MUTANT_X  <the bug>  #else  <the right code>  #endif", the bug first,
 * so a reader sees what a candidate would have written. Compile exactly one
 * mutant file (which includes this header) into one plug-in. */
#ifndef MUTABLE_H
#define MUTABLE_H

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lru_cache.h"

/* Buckets swept for expired entries per call: enough to pass over a table
 * of a million entries in well under a million calls. */
#define MUT_SWEEP_BUCKETS 8
#define MUT_MIN_BUCKETS 16
#if MUTANT_NEVER_RESIZES
#define MUT_FIXED_BUCKETS 1024 /* "plenty for any test" */
#endif

typedef struct mut_entry {
  struct mut_entry *chain; /* next in the same hash bucket */
  struct mut_entry *newer; /* recency list: toward the head */
  struct mut_entry *older; /* recency list: toward the tail */
  uint64_t hash;
  uint64_t deadline; /* 0: no TTL */
#if MUTANT_GET_EXTENDS_TTL
  uint64_t ttl; /* kept to restart the clock on every hit */
#endif
#if MUTANT_KEEPS_CALLER_POINTER
  const unsigned char *caller_value; /* the caller's buffer, not a copy */
#endif
  size_t key_len;
  size_t value_len;
  /* One allocation per entry: a hit reads the links, the key it compares
   * and the value it copies from one block. */
  unsigned char bytes[]; /* copies of the key, then the value */
} mut_entry_t;

struct lc {
  lc_config_t config;
  pthread_mutex_t lock;
  mut_entry_t **buckets;
  uint64_t bucket_count; /* a power of two */
  mut_entry_t *head;     /* most recently used */
  mut_entry_t *tail;     /* least recently used: the next victim */
  uint64_t sweep_cursor;
  uint64_t ttl_count; /* entries with a deadline: no sweep while 0 */
  lc_stats_t stats;   /* items and bytes kept current */
};

static void mut_lock(struct lc *c) {
#if MUTANT_NO_LOCK
  (void)c; /* "single-threaded is fine for now" */
#else
  pthread_mutex_lock(&c->lock);
#endif
}

static void mut_unlock(struct lc *c) {
#if MUTANT_NO_LOCK
  (void)c;
#else
  pthread_mutex_unlock(&c->lock);
#endif
}

/* FNV-1a: short keys dominate, and every byte (NULs too) counts. */
static uint64_t mut_hash(const unsigned char *key, size_t len) {
#if MUTANT_HASH_ONLY
  uint64_t hash = len; /* the byte sum: "anagram" keys collide */
  for (size_t i = 0; i < len; i++)
    hash += key[i];
#else
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    hash = (hash ^ key[i]) * 0x100000001b3ULL;
#endif
  return hash;
}

/* now + ttl, saturated; LC_NO_TTL gives 0, "no deadline". */
static uint64_t mut_deadline(uint64_t ttl, uint64_t now) {
  if (ttl == LC_NO_TTL)
    return 0;
#if MUTANT_DEADLINE_WRAPS
  return now + ttl; /* "a TTL is never that long" */
#else
  return ttl > UINT64_MAX - now ? UINT64_MAX : now + ttl;
#endif
}

static bool mut_expired(const mut_entry_t *e, uint64_t now) {
#if MUTANT_TTL_BOUNDARY
  return e->deadline != 0 && now > e->deadline; /* "after the deadline" */
#else
  return e->deadline != 0 && now >= e->deadline;
#endif
}

static void mut_set_deadline(struct lc *c, mut_entry_t *e, uint64_t deadline) {
  c->ttl_count += (deadline != 0) - (e->deadline != 0);
  e->deadline = deadline;
}

static void mut_list_unlink(struct lc *c, mut_entry_t *e) {
  if (e->newer != NULL)
    e->newer->older = e->older;
  else
    c->head = e->older;
  if (e->older != NULL)
    e->older->newer = e->newer;
  else
    c->tail = e->newer;
  e->newer = e->older = NULL;
}

static void mut_list_push_head(struct lc *c, mut_entry_t *e) {
  e->newer = NULL;
  e->older = c->head;
  if (c->head != NULL)
    c->head->newer = e;
  else
    c->tail = e;
  c->head = e;
}

/* Makes e the most recently used. */
static void mut_touch(struct lc *c, mut_entry_t *e) {
  if (c->head == e)
    return;
  mut_list_unlink(c, e);
  mut_list_push_head(c, e);
}

/* Where e's value is. */
static unsigned char *mut_value(mut_entry_t *e) {
#if MUTANT_KEEPS_CALLER_POINTER
  return (unsigned char *)e->caller_value;
#else
  return e->bytes + e->key_len;
#endif
}

/* The entry for key, expired or not, or NULL. */
static mut_entry_t *mut_find(struct lc *c, uint64_t hash, const void *key,
                             size_t key_len) {
#if MUTANT_HASH_ONLY
  (void)key; /* "same hash, same key": the bytes are never compared */
  (void)key_len;
#endif
#if MUTANT_LINEAR_SCAN
  /* the list already holds every entry: walk it */
  for (mut_entry_t *e = c->head; e != NULL; e = e->older)
#else
  for (mut_entry_t *e = c->buckets[hash & (c->bucket_count - 1)]; e != NULL;
       e = e->chain)
#endif
#if MUTANT_HASH_ONLY
    if (e->hash == hash)
#else
    if (e->hash == hash && e->key_len == key_len &&
        (key_len == 0 || memcmp(e->bytes, key, key_len) == 0))
#endif
      return e;
  return NULL;
}

#if MUTANT_NEVER_RESIZES
/* no rehash: the bucket array stays at its first size; chains just grow */
#else
/* Moves every entry into a table of bucket_count buckets. */
static int mut_rehash(struct lc *c, uint64_t bucket_count) {
  mut_entry_t **buckets = calloc(bucket_count, sizeof *buckets);
  if (buckets == NULL)
    return -ENOMEM;
  for (uint64_t i = 0; i < c->bucket_count; i++) {
    mut_entry_t *e = c->buckets[i];
    while (e != NULL) {
      mut_entry_t *next = e->chain;
      uint64_t slot = e->hash & (bucket_count - 1);
      e->chain = buckets[slot];
      buckets[slot] = e;
      e = next;
    }
  }
  free(c->buckets);
  c->buckets = buckets;
  c->bucket_count = bucket_count;
  c->sweep_cursor &= bucket_count - 1;
  return 0;
}
#endif

static void mut_insert(struct lc *c, mut_entry_t *e) {
  mut_entry_t **slot = &c->buckets[e->hash & (c->bucket_count - 1)];
  e->chain = *slot;
  *slot = e;
  mut_list_push_head(c, e);
  c->stats.items++;
  c->stats.bytes += e->key_len + e->value_len;
#if !MUTANT_NEVER_RESIZES
  /* On failure the table keeps its size: longer chains, still correct. */
  if (c->stats.items > c->bucket_count)
    mut_rehash(c, c->bucket_count * 2);
#endif
}

typedef enum mut_why { MUT_DELETED, MUT_EVICTED, MUT_EXPIRED } mut_why_t;

/* Unlinks e from the table and the list, counts why, and frees it. */
static void mut_remove(struct lc *c, mut_entry_t *e, mut_why_t why) {
  mut_entry_t **link = &c->buckets[e->hash & (c->bucket_count - 1)];
  while (*link != e)
    link = &(*link)->chain;
  *link = e->chain;
  mut_list_unlink(c, e);
  mut_set_deadline(c, e, 0);
  c->stats.items--;
  c->stats.bytes -= e->key_len + e->value_len;
  if (why == MUT_EVICTED)
    c->stats.evictions++;
  else if (why == MUT_EXPIRED)
    c->stats.expirations++;
#if MUTANT_LEAK_ON_EVICT
  if (why == MUT_EVICTED)
    return; /* unlinked and forgotten, never freed */
#endif
  free(e);
}

/* Reclaims the expired entries of the next few buckets: a bounded share of
 * work per call, so entries nobody asks for again go too. */
static void mut_sweep(struct lc *c, uint64_t now) {
#if MUTANT_NEVER_RECLAIMED
  (void)c; /* "expired entries are dropped when someone asks for them" */
  (void)now;
#else
  for (int n = 0; n < MUT_SWEEP_BUCKETS && c->ttl_count > 0; n++) {
    mut_entry_t *e = c->buckets[c->sweep_cursor];
    c->sweep_cursor = (c->sweep_cursor + 1) & (c->bucket_count - 1);
    while (e != NULL) {
      mut_entry_t *next = e->chain;
      if (mut_expired(e, now))
        mut_remove(c, e, MUT_EXPIRED);
      e = next;
    }
  }
#endif
}

/* The live entry for key at now, or NULL; an expired one found on the way
 * is reclaimed. */
static mut_entry_t *mut_find_live(struct lc *c, uint64_t hash, const void *key,
                                  size_t key_len, uint64_t now) {
  mut_entry_t *e = mut_find(c, hash, key, key_len);
  if (e != NULL && mut_expired(e, now)) {
    mut_remove(c, e, MUT_EXPIRED);
    return NULL;
  }
  return e;
}

/* Whether the cache would break a limit with extra entries and bytes. */
static bool mut_over(const struct lc *c, uint64_t entries, uint64_t bytes) {
  uint64_t max_entries = c->config.max_entries;
#if MUTANT_OFF_BY_ONE_CAPACITY
  if (max_entries != 0 && c->stats.items + entries > max_entries + 1)
#else
  if (max_entries != 0 && c->stats.items + entries > max_entries)
#endif
    return true;
#if MUTANT_BYTE_BUDGET_IGNORED
  (void)bytes; /* "capacity is a number of entries" */
  return false;
#else
  return c->config.max_bytes != 0 &&
         c->stats.bytes + bytes > c->config.max_bytes;
#endif
}

/* Evicts least recently used entries until extra entries and bytes fit.
 * keep, the entry a put is replacing (or NULL), is never the victim: it
 * does not count against its own room. */
static void mut_make_room(struct lc *c, uint64_t now, uint64_t entries,
                          uint64_t bytes, const mut_entry_t *keep) {
  while (mut_over(c, entries, bytes)) {
#if MUTANT_CAPACITY_ONE
    if (c->tail == c->head)
      break; /* "never unlink the last node: the list would break" */
#endif
#if MUTANT_EVICTS_MOST_RECENT
    mut_entry_t *victim = c->head;
    if (victim != NULL && victim == keep)
      victim = victim->older;
#else
    mut_entry_t *victim = c->tail;
    if (victim != NULL && victim == keep)
      victim = victim->newer;
#endif
    if (victim == NULL)
      return;
#if MUTANT_EXPIRED_VICTIM_EVICTED
    (void)now; /* "whatever made room is an eviction" */
    mut_remove(c, victim, MUT_EVICTED);
#elif MUTANT_EXPIRED_VICTIM_TWICE
    if (mut_expired(victim, now))
      c->stats.expirations++; /* counted here, and again by mut_remove */
    mut_remove(c, victim, mut_expired(victim, now) ? MUT_EXPIRED : MUT_EVICTED);
#else
    /* An expired victim was no longer live: reclaimed, not evicted. */
    mut_remove(c, victim, mut_expired(victim, now) ? MUT_EXPIRED : MUT_EVICTED);
#endif
  }
}

/* Puts e, a put's new entry for old's key, in old's place: same bucket,
 * then the head of the list; frees old and makes room for any bytes the
 * value grew by. */
static void mut_replace(struct lc *c, mut_entry_t *old, mut_entry_t *e,
                        uint64_t deadline, uint64_t now) {
#if MUTANT_UPDATE_KEEPS_VALUE
  /* "the key is there already: just mark it used" */
  (void)deadline;
  (void)now;
  mut_touch(c, old);
  free(e);
  return;
#endif
#if MUTANT_OVERWRITE_OLD_LENGTH
  if (e->value_len <= old->value_len) {
    /* "it fits: reuse the old entry" - and its length stays the old one */
    if (e->value_len > 0)
      memcpy(mut_value(old), mut_value(e), e->value_len);
    mut_set_deadline(c, old, deadline);
    mut_touch(c, old);
    free(e);
    return;
  }
#endif
  mut_entry_t **link = &c->buckets[old->hash & (c->bucket_count - 1)];
  while (*link != old)
    link = &(*link)->chain;
  e->chain = old->chain;
  *link = e;
  e->newer = old->newer;
  e->older = old->older;
  *(e->newer != NULL ? &e->newer->older : &c->head) = e;
  *(e->older != NULL ? &e->older->newer : &c->tail) = e;
#if MUTANT_PUT_KEEPS_TTL
  (void)deadline; /* the value is new, the deadline the old one */
  mut_set_deadline(c, e, old->deadline);
#else
  mut_set_deadline(c, e, deadline);
#endif
  mut_set_deadline(c, old, 0);
  c->stats.bytes = c->stats.bytes - old->value_len + e->value_len;
#if MUTANT_LEAK_ON_OVERWRITE
  /* the old entry is unlinked and forgotten, never freed */
#else
  free(old);
#endif
#if MUTANT_UPDATE_NO_REFRESH
  /* the value changes where the entry stood */
#else
  mut_touch(c, e);
#endif
#if MUTANT_OVERWRITE_NO_ROOM
  (void)now; /* "same key, same room": a longer value evicts nothing */
#else
  mut_make_room(c, now, 0, 0, e);
#endif
}

int lc_create(const lc_config_t *config, lc_t **out) {
  *out = NULL;
  if ((config->policy != LC_POLICY_LRU && config->policy != LC_POLICY_OWN) ||
      (config->max_entries == 0 && config->max_bytes == 0))
    return -EINVAL;
  if (config->policy != LC_POLICY_LRU)
    return LC_ENOTIMPL;
  struct lc *c = calloc(1, sizeof *c);
  if (c == NULL)
    return -ENOMEM;
  c->config = *config;
#if MUTANT_NEVER_RESIZES
  c->bucket_count = MUT_FIXED_BUCKETS;
#else
  c->bucket_count = MUT_MIN_BUCKETS;
#endif
  c->buckets = calloc(c->bucket_count, sizeof *c->buckets);
  if (c->buckets == NULL) {
    free(c);
    return -ENOMEM;
  }
  pthread_mutex_init(&c->lock, NULL);
  *out = c;
  return 0;
}

void lc_destroy(lc_t *c) {
  if (c == NULL)
    return;
#if MUTANT_DESTROY_LEAKS /* frees the table but not the entries in it */
#else
  mut_entry_t *e = c->head;
  while (e != NULL) {
    mut_entry_t *older = e->older;
    free(e);
    e = older;
  }
#endif
  pthread_mutex_destroy(&c->lock);
  free(c->buckets);
  free(c);
}

int lc_get(lc_t *c, const void *key, size_t key_len, uint64_t now_ns,
           void *buffer, size_t buffer_size, size_t *value_len, bool *found) {
  *found = false;
  *value_len = 0;
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  uint64_t hash = mut_hash(key, key_len);
#if MUTANT_STATS_UNLOCKED
  /* "read the counters now, to keep the locked part short" */
  uint64_t hits = c->stats.hits, misses = c->stats.misses;
#endif
  mut_lock(c);
  mut_sweep(c, now_ns);
  mut_entry_t *e = mut_find_live(c, hash, key, key_len, now_ns);
#if MUTANT_ZERO_IS_MISSING
  if (e != NULL && e->value_len == 1 && mut_value(e)[0] == '0')
    e = NULL; /* "if (!atoi(value)) return MISS" */
#endif
#if MUTANT_EMPTY_IS_MISSING
  if (e != NULL && e->value_len == 0)
    e = NULL; /* "a length of 0 means nothing is stored" */
#endif
  if (e != NULL) {
    size_t copied = e->value_len < buffer_size ? e->value_len : buffer_size;
    if (copied > 0)
      memcpy(buffer, mut_value(e), copied);
#if MUTANT_SHORT_BUFFER_LENGTH
    *value_len = copied; /* "the bytes you got" */
#else
    *value_len = e->value_len;
#endif
    *found = true;
#if MUTANT_GET_EXTENDS_TTL
    if (e->deadline != 0) /* a sliding expiry: every hit restarts it */
      mut_set_deadline(c, e, mut_deadline(e->ttl, now_ns));
#endif
#if MUTANT_GET_NO_REFRESH  /* a hit leaves the entry where it stands */
#elif MUTANT_LIST_UNLOCKED /* the refresh waits until after the unlock */
#else
    mut_touch(c, e);
#endif
  }
#if MUTANT_STATS_UNLOCKED
  mut_unlock(c);
  /* the ++ done by hand, its load before the lock and its store after */
  c->stats.hits = hits + (e != NULL);
  c->stats.misses = misses + (e == NULL);
#else
  if (e != NULL)
    c->stats.hits++;
  else
    c->stats.misses++;
  mut_unlock(c);
#endif
#if MUTANT_LIST_UNLOCKED
  /* "the table needs the lock; the list is only bookkeeping" */
  if (e != NULL)
    mut_touch(c, e);
#endif
  return 0;
}

int lc_put(lc_t *c, const void *key, size_t key_len, const void *value,
           size_t value_len, uint64_t ttl_ns, uint64_t now_ns) {
#if MUTANT_E2BIG_BEFORE_EINVAL
  /* "the budget first: it is the cache's own rule" */
  if (c->config.max_bytes != 0 && key_len + value_len > c->config.max_bytes)
    return -E2BIG;
#endif
  if (key_len > LC_KEY_MAX || value_len > LC_VALUE_MAX)
    return -EINVAL;
  if (c->config.max_bytes != 0 && key_len + value_len > c->config.max_bytes)
    return -E2BIG;
#if MUTANT_KEEPS_CALLER_POINTER
  mut_entry_t *e = malloc(sizeof *e + key_len);
#else
  mut_entry_t *e = malloc(sizeof *e + key_len + value_len);
#endif
  if (e == NULL)
    return -ENOMEM;
  *e = (mut_entry_t){.hash = mut_hash(key, key_len),
                     .key_len = key_len,
                     .value_len = value_len};
  if (key_len > 0)
    memcpy(e->bytes, key, key_len);
#if MUTANT_KEEPS_CALLER_POINTER
  e->caller_value = value; /* "the caller keeps it alive" */
#else
  if (value_len > 0)
    memcpy(e->bytes + key_len, value, value_len);
#endif
#if MUTANT_GET_EXTENDS_TTL
  e->ttl = ttl_ns;
#endif
  uint64_t deadline = mut_deadline(ttl_ns, now_ns);
  /* The entry was made before the lock is taken, so that threads copy keys
   * and values in parallel; the lock covers the table and the list. */
  mut_lock(c);
  mut_sweep(c, now_ns);
#if MUTANT_EXPIRED_OVERWRITE_UNCOUNTED
  /* "expired or not, the new value replaces it" */
  mut_entry_t *old = mut_find(c, e->hash, key, key_len);
#else
  mut_entry_t *old = mut_find_live(c, e->hash, key, key_len, now_ns);
#endif
  if (old != NULL) {
    mut_replace(c, old, e, deadline, now_ns);
    mut_unlock(c);
    return 0;
  }
  mut_make_room(c, now_ns, 1, key_len + value_len, NULL);
  mut_set_deadline(c, e, deadline);
  mut_insert(c, e);
  mut_unlock(c);
  return 0;
}

int lc_delete(lc_t *c, const void *key, size_t key_len, uint64_t now_ns,
              bool *deleted) {
  *deleted = false;
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  uint64_t hash = mut_hash(key, key_len);
  mut_lock(c);
  mut_sweep(c, now_ns);
#if MUTANT_EXPIRED_DELETE_UNCOUNTED
  /* "it goes either way": removed as a delete, though it had expired */
  mut_entry_t *e = mut_find(c, hash, key, key_len);
  if (e != NULL) {
    *deleted = !mut_expired(e, now_ns);
    mut_remove(c, e, MUT_DELETED);
  }
#else
  mut_entry_t *e = mut_find_live(c, hash, key, key_len, now_ns);
  if (e != NULL) {
    mut_remove(c, e, MUT_DELETED);
    *deleted = true;
  }
#endif
#if MUTANT_DELETE_MISSING
  else {
    c->stats.items--; /* the size drops whether or not the key was there */
  }
#endif
  mut_unlock(c);
  return 0;
}

int lc_expire(lc_t *c, const void *key, size_t key_len, uint64_t ttl_ns,
              uint64_t now_ns, bool *found) {
  *found = false;
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  uint64_t hash = mut_hash(key, key_len);
  mut_lock(c);
  mut_sweep(c, now_ns);
  mut_entry_t *e = mut_find_live(c, hash, key, key_len, now_ns);
  if (e != NULL) {
#if MUTANT_EXPIRE_DEADLINE_WRAPS
    /* the deadline written again here, without lc_put's saturation */
    mut_set_deadline(c, e, ttl_ns == LC_NO_TTL ? 0 : now_ns + ttl_ns);
#else
    mut_set_deadline(c, e, mut_deadline(ttl_ns, now_ns));
#endif
#if MUTANT_GET_EXTENDS_TTL
    e->ttl = ttl_ns;
#endif
    *found = true;
  }
  mut_unlock(c);
  return 0;
}

int lc_ttl(lc_t *c, const void *key, size_t key_len, uint64_t now_ns,
           uint64_t *ttl_ns, bool *found) {
  *found = false;
  *ttl_ns = 0;
  if (key_len > LC_KEY_MAX)
    return -EINVAL;
  uint64_t hash = mut_hash(key, key_len);
  /* A pure read: an expired entry is left for the calls that may reclaim
   * it, so that lc_ttl touches neither recency nor the stats. */
  mut_lock(c);
  mut_entry_t *e = mut_find(c, hash, key, key_len);
  if (e != NULL && !mut_expired(e, now_ns)) {
    *ttl_ns = e->deadline != 0 ? e->deadline - now_ns : LC_PERSISTENT;
    *found = true;
  }
  mut_unlock(c);
  return 0;
}

int lc_stats(lc_t *c, lc_stats_t *stats) {
  mut_lock(c);
  *stats = c->stats;
  mut_unlock(c);
  return 0;
}

#endif /* MUTABLE_H */
