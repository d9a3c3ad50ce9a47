/* lru.c - the reference exact LRU: a chained hash table and an intrusive
 * doubly linked list, under one lock. LC_POLICY_LRU only. */

/* Every call costs a hash, one bucket and, on a hit, a move to the head of
 * the list: constant time. One lock keeps the order exact, the point of
 * this policy; sharded_lru.c gives some of it up for threads. */
#define LC_ENGINE_POLICY LC_POLICY_LRU
#define LC_ENGINE_SHARDS 1

#include "lru_order.h"

#include "engine.h"
