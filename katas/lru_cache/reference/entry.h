/* entry.h - what the reference caches store per key: one allocation holding
 * the links, the deadline and copies of the key and value; the key hash;
 * TTL arithmetic; and the intrusive queue every policy builds on. */
#ifndef LC_ENTRY_H
#define LC_ENTRY_H

/* Everything here is static inline: each reference file includes it and is
 * built alone into its own plug-in.
 *
 * Why one allocation per entry: a hit then touches a single block (links,
 * key to compare and value to copy are adjacent), and the overhead is the
 * header below, 44 bytes, plus jemalloc's rounding to its size class: for a
 * 16-byte key and a 32-byte value the block is 92 bytes in a 96-byte class.
 * With the bucket pointer of the hash table that stays under the kata's
 * target of 64 bytes per entry. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct lc_entry lc_entry_t;

/* The key starts right after the 44 header bytes (offsetof data, not
 * sizeof, which pads to 48): that is what keeps a typical entry in
 * jemalloc's 96-byte class. The policy's bits sit next to the link to the
 * newer entry, so that a CLOCK hand (lc_queue_clock) stepping along a
 * queue of cold entries reads one cache line per entry, not two. */
struct lc_entry {
  uint32_t hash;     /* the low half of the key's hash */
  uint16_t key_len;  /* at most LC_KEY_MAX */
  uint8_t bits;      /* the policy's own: a visited bit, a frequency... */
  uint8_t spare;     /* keeps the links 8-byte aligned */
  lc_entry_t *newer; /* the neighbours in the policy's queue */
  lc_entry_t *older;
  lc_entry_t *chain;    /* the next entry in the same hash bucket */
  uint64_t deadline;    /* expires when now_ns >= deadline; 0: never */
  uint32_t value_len;   /* at most LC_VALUE_MAX, which fits 21 bits */
  unsigned char data[]; /* the key, then the value */
};

static inline const unsigned char *lc_entry_key(const lc_entry_t *e) {
  return e->data;
}

static inline const unsigned char *lc_entry_value(const lc_entry_t *e) {
  return e->data + e->key_len;
}

/* What an entry costs against max_bytes. */
static inline uint64_t lc_entry_size(const lc_entry_t *e) {
  return (uint64_t)e->key_len + e->value_len;
}

/* A new entry holding copies of key and value, unlinked, with deadline and
 * hash set; the caller owns it (free() releases it). NULL when out of
 * memory. Lengths must already be checked against the limits. */
static inline lc_entry_t *lc_entry_new(uint64_t hash, const void *key,
                                       size_t key_len, const void *value,
                                       size_t value_len, uint64_t deadline) {
  lc_entry_t *e = malloc(offsetof(lc_entry_t, data) + key_len + value_len);
  if (e == NULL)
    return NULL;
  e->chain = e->newer = e->older = NULL;
  e->deadline = deadline;
  e->hash = (uint32_t)hash;
  e->value_len = (uint32_t)value_len;
  e->key_len = (uint16_t)key_len;
  e->bits = 0;
  e->spare = 0;
  /* Empty keys and values may come as NULL, which memcpy must not see. */
  if (key_len > 0)
    memcpy(e->data, key, key_len);
  if (value_len > 0)
    memcpy(e->data + key_len, value, value_len);
  return e;
}

/* Whether e holds exactly key (hash is the key's lc_hash). */
static inline bool lc_entry_is(const lc_entry_t *e, uint64_t hash,
                               const void *key, size_t key_len) {
  return e->hash == (uint32_t)hash && e->key_len == key_len &&
         (key_len == 0 || memcmp(e->data, key, key_len) == 0);
}

/* The deadline of a TTL given at now: LC_NO_TTL (0) stays 0, "never"; a
 * sum past the end of time saturates, which is never reached either. */
static inline uint64_t lc_deadline(uint64_t now, uint64_t ttl) {
  if (ttl == 0)
    return 0;
  return now > UINT64_MAX - ttl ? UINT64_MAX : now + ttl;
}

/* Whether e is gone at now: its deadline has come, whatever earlier times
 * other calls brought. */
static inline bool lc_entry_expired(const lc_entry_t *e, uint64_t now) {
  return e->deadline != 0 && e->deadline <= now;
}

static inline uint64_t lc_load64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* Folds two words into one through a 64x64->128 multiply, whose high half
 * depends on every bit of both. */
static inline uint64_t lc_fold(uint64_t a, uint64_t b) {
  unsigned __int128 r = (unsigned __int128)a * b;
  return (uint64_t)(r >> 64) ^ (uint64_t)r;
}

/* A 64-bit hash of a binary key. Eight bytes at a time; the last word is
 * read overlapping the one before (keys shorter than eight bytes are
 * gathered bytewise), so there is no per-byte tail loop. The bucket index
 * takes the low bits, the shard the bits from 40 up. */
static inline uint64_t lc_hash(const void *key, size_t len) {
  const uint64_t k0 = 0x9e3779b97f4a7c15ULL, k1 = 0xc2b2ae3d27d4eb4fULL;
  const unsigned char *p = key;
  uint64_t h = len * k1;
  if (len >= 8) {
    size_t i = 0;
    for (; i + 8 < len; i += 8)
      h = lc_fold(h ^ lc_load64(p + i), k0);
    h ^= lc_load64(p + len - 8);
  } else {
    for (size_t i = 0; i < len; i++)
      h ^= (uint64_t)p[i] << (8 * i);
  }
  return lc_fold(h ^ k1, k0 ^ len);
}

/* A queue of entries linked through newer/older: new entries go in at the
 * head (newest), victims are taken at the tail (oldest). */
typedef struct lc_queue {
  lc_entry_t *head;
  lc_entry_t *tail;
  uint64_t count;
} lc_queue_t;

static inline void lc_queue_push(lc_queue_t *q, lc_entry_t *e) {
  e->newer = NULL;
  e->older = q->head;
  if (q->head != NULL)
    q->head->newer = e;
  else
    q->tail = e;
  q->head = e;
  q->count++;
}

static inline void lc_queue_unlink(lc_queue_t *q, lc_entry_t *e) {
  if (e->newer != NULL)
    e->newer->older = e->older;
  else
    q->head = e->older;
  if (e->older != NULL)
    e->older->newer = e->newer;
  else
    q->tail = e->newer;
  q->count--;
}

/* A CLOCK hand over q, for policies that keep hot entries in place: from
 * *hand (NULL: the tail) toward the head, then round from the tail again,
 * the first entry whose bits under lives are 0. Each entry passed loses one
 * (its lives are the low bits, so bits-- takes one). The hand stays just
 * past the victim, which is still in q. NULL when q is empty. Ends within
 * as many laps as an entry can have lives. */
static inline lc_entry_t *lc_queue_clock(lc_queue_t *q, lc_entry_t **hand,
                                         uint8_t lives) {
  lc_entry_t *e = *hand != NULL ? *hand : q->tail;
  if (e == NULL)
    return NULL;
  while (e->bits & lives) {
    e->bits--;
    e = e->newer != NULL ? e->newer : q->tail;
  }
  *hand = e->newer;
  return e;
}

/* Unlinks e from q, moving *hand past it if it was there. */
static inline void lc_queue_unlink_hand(lc_queue_t *q, lc_entry_t **hand,
                                        lc_entry_t *e) {
  if (*hand == e)
    *hand = e->newer;
  lc_queue_unlink(q, e);
}

#endif /* LC_ENTRY_H */
