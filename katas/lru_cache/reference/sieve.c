/* sieve.c - the reference SIEVE cache (Zhang et al., NSDI'24): a FIFO
 * queue, a visited bit per entry and a hand that sweeps from the oldest
 * entry toward the newest. LC_POLICY_OWN only. */

/* A hit only sets a bit, so hot entries cost no list writes; the hand
 * clears bits as it passes and evicts the first entry it finds unvisited,
 * keeping its place for the next eviction. New entries that are never
 * asked for again go quickly (lazy promotion, quick demotion). One lock. */
#define LC_ENGINE_POLICY LC_POLICY_OWN
#define LC_ENGINE_SHARDS 1

#include "entry.h"

typedef struct lc_order {
  lc_queue_t queue; /* head: the newest */
  lc_entry_t *hand; /* the next entry to look at; NULL: the tail */
} lc_order_t;

static int order_init(lc_order_t *o) {
  *o = (lc_order_t){0};
  return 0;
}

static void order_fini(lc_order_t *o) {
  (void)o;
}

/* A put over a live entry counts as a use of the key: visited. */
static void order_insert(lc_order_t *o, lc_entry_t *e, const lc_entry_t *old) {
  e->bits = old != NULL;
  lc_queue_push(&o->queue, e);
}

static void order_hit(lc_order_t *o, lc_entry_t *e) {
  (void)o;
  e->bits = 1;
}

static void order_remove(lc_order_t *o, lc_entry_t *e) {
  lc_queue_unlink_hand(&o->queue, &o->hand, e);
}

/* The visited bit is the one life an entry has. */
static lc_entry_t *order_victim(lc_order_t *o) {
  return lc_queue_clock(&o->queue, &o->hand, 1);
}

#include "engine.h"
