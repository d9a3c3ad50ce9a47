/* s3fifo.c - the reference S3-FIFO cache (Yang et al., SOSP'23): a small
 * FIFO for new keys, a main FIFO with a 2-bit frequency per entry, and a
 * ghost FIFO of keys evicted from the small one. LC_POLICY_OWN only. */

/* Most keys of a skewed trace are asked for once: they enter the small
 * queue (10% of the entries) and leave it soon without disturbing the
 * main queue. An entry hit while in the small queue moves to the main one
 * when it reaches the small queue's tail; a key that comes back while its
 * hash is still in the ghost goes straight to main. In main, an entry with
 * a frequency left loses one and stays instead of leaving: up to three
 * lives. (The paper moves such an entry back to the head; leaving it in
 * place and moving a hand, as CLOCK does, spares the writes to its two
 * neighbours, cache misses in a large cache, and measured the same hit
 * ratio.) A hit only bumps the frequency: no list writes. One lock. */
#define LC_ENGINE_POLICY LC_POLICY_OWN
#define LC_ENGINE_SHARDS 1

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "entry.h"

#define S3_FREQ 3u      /* entry bits: the frequency, 0 to 3 ... */
#define S3_MAIN 4u      /* ... and whether the entry is in main */
#define S3_SMALL_PCT 10 /* the small queue's share of the entries */
#define S3_PROMOTE 1    /* hits in small that earn a place in main */
#define S3_WAYS 8       /* ghost slots per bucket: one cache line */

/* The ghost remembers a hash (never 0, which marks a free slot) and when
 * it came in, counted in ghost insertions. */
typedef struct s3_ghost_slot {
  uint32_t hash;
  uint32_t stamp;
} s3_ghost_slot_t;

typedef struct lc_order {
  lc_queue_t small;
  lc_queue_t main;
  lc_entry_t *hand; /* in main: the next to look at; NULL: its tail */
  /* The ghost FIFO without a queue: a hash stays in it for as many
   * insertions as the cache holds entries (its length in the paper), and
   * an insertion into a full bucket takes the oldest slot. Buckets are
   * sized for twice as many slots as entries, so that this rarely forgets
   * a hash early; it is a hint, and forgetting costs only hit ratio. */
  s3_ghost_slot_t *ghost;
  uint64_t ghost_mask; /* buckets - 1 */
  uint32_t ghost_clock;
} lc_order_t;

static int order_init(lc_order_t *o) {
  *o = (lc_order_t){0};
  o->ghost = calloc(S3_WAYS, sizeof *o->ghost);
  return o->ghost == NULL ? -ENOMEM : 0;
}

static void order_fini(lc_order_t *o) {
  free(o->ghost);
}

static uint32_t s3_ghost_key(uint32_t hash) {
  return hash != 0 ? hash : 1;
}

static s3_ghost_slot_t *s3_ghost_bucket(const lc_order_t *o, uint32_t key) {
  /* The bucket from the high bits: the low ones already chose a table
   * bucket, and keys sharing one should spread here. */
  return &o->ghost[((key * 0x9e3779b9u) >> 8 & o->ghost_mask) * S3_WAYS];
}

/* How many insertions ago slot came in. */
static uint32_t s3_ghost_age(const lc_order_t *o, const s3_ghost_slot_t *s) {
  return o->ghost_clock - s->stamp;
}

static void s3_ghost_put(lc_order_t *o, uint32_t key, uint32_t stamp) {
  s3_ghost_slot_t *b = s3_ghost_bucket(o, key), *oldest = b;
  for (int i = 0; i < S3_WAYS && oldest->hash != 0; i++)
    if (b[i].hash == 0 || s3_ghost_age(o, &b[i]) > s3_ghost_age(o, oldest))
      oldest = &b[i];
  *oldest = (s3_ghost_slot_t){key, stamp};
}

/* Whether hash is still in the ghost; it leaves it either way. */
static bool s3_ghost_take(lc_order_t *o, uint32_t hash, uint64_t length) {
  uint32_t key = s3_ghost_key(hash);
  s3_ghost_slot_t *b = s3_ghost_bucket(o, key);
  for (int i = 0; i < S3_WAYS; i++) {
    if (b[i].hash == key) {
      b[i].hash = 0;
      return s3_ghost_age(o, &b[i]) < length;
    }
  }
  return false;
}

/* Doubles the ghost once the cache holds more entries than half its
 * slots, keeping what it remembers. A failed allocation keeps the small
 * one. */
static void s3_ghost_grow(lc_order_t *o, uint64_t entries) {
  uint64_t buckets = o->ghost_mask + 1;
  if (entries * 2 <= buckets * S3_WAYS)
    return;
  s3_ghost_slot_t *old = o->ghost;
  o->ghost = calloc(buckets * 2 * S3_WAYS, sizeof *o->ghost);
  if (o->ghost == NULL) {
    o->ghost = old;
    return;
  }
  o->ghost_mask = buckets * 2 - 1;
  for (uint64_t i = 0; i < buckets * S3_WAYS; i++)
    if (old[i].hash != 0)
      s3_ghost_put(o, old[i].hash, old[i].stamp);
  free(old);
}

/* New keys go to small, keys back from the ghost to main. A put over a
 * live entry keeps the key where it was and counts as a hit. */
static void order_insert(lc_order_t *o, lc_entry_t *e, const lc_entry_t *old) {
  uint64_t entries = o->small.count + o->main.count;
  bool ghost = s3_ghost_take(o, e->hash, entries + 1);
  if (old != NULL)
    e->bits =
        (old->bits & S3_MAIN) |
        ((old->bits & S3_FREQ) < S3_FREQ ? (old->bits & S3_FREQ) + 1 : S3_FREQ);
  else
    e->bits = ghost ? S3_MAIN : 0;
  lc_queue_push(e->bits & S3_MAIN ? &o->main : &o->small, e);
  s3_ghost_grow(o, entries + 1);
}

static void order_hit(lc_order_t *o, lc_entry_t *e) {
  (void)o;
  if ((e->bits & S3_FREQ) < S3_FREQ)
    e->bits++;
}

/* Only main has a hand; an entry in small is never it. */
static void order_remove(lc_order_t *o, lc_entry_t *e) {
  if (e->bits & S3_MAIN)
    lc_queue_unlink_hand(&o->main, &o->hand, e);
  else
    lc_queue_unlink(&o->small, e);
}

/* Takes from small while it holds its share, else from main. Ends because
 * every step moves an entry out of small for good. */
static lc_entry_t *order_victim(lc_order_t *o) {
  for (;;) {
    uint64_t entries = o->small.count + o->main.count;
    lc_entry_t *e = o->small.tail;
    if (e == NULL ||
        (o->small.count * 100 < entries * S3_SMALL_PCT && o->main.count > 0))
      return lc_queue_clock(&o->main, &o->hand, S3_FREQ);
    if ((e->bits & S3_FREQ) < S3_PROMOTE) {
      s3_ghost_put(o, s3_ghost_key(e->hash), ++o->ghost_clock);
      return e;
    }
    lc_queue_unlink(&o->small, e);
    e->bits = S3_MAIN;
    lc_queue_push(&o->main, e);
  }
}

#include "engine.h"
