/* lru_order.h - least-recently-used order for the engine: one queue, a hit
 * or a put moves the entry to the head, the victim is the tail. */
#ifndef LC_LRU_ORDER_H
#define LC_LRU_ORDER_H

#include "entry.h"

typedef struct lc_order {
  lc_queue_t queue; /* head: the most recently used */
} lc_order_t;

static int order_init(lc_order_t *o) {
  o->queue = (lc_queue_t){0};
  return 0;
}

static void order_fini(lc_order_t *o) {
  (void)o;
}

/* A replacement is a use like any put: the new entry goes to the head. */
static void order_insert(lc_order_t *o, lc_entry_t *e, const lc_entry_t *old) {
  (void)old;
  lc_queue_push(&o->queue, e);
}

static void order_hit(lc_order_t *o, lc_entry_t *e) {
  if (o->queue.head == e)
    return; /* a hot key is hit again and again: no writes at all */
  lc_queue_unlink(&o->queue, e);
  lc_queue_push(&o->queue, e);
}

static void order_remove(lc_order_t *o, lc_entry_t *e) {
  lc_queue_unlink(&o->queue, e);
}

static lc_entry_t *order_victim(lc_order_t *o) {
  return o->queue.tail;
}

#endif /* LC_LRU_ORDER_H */
