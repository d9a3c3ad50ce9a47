/* sharded_lru.c - the reference cache for threads: an LRU per shard, the
 * shard chosen by the key's hash, a lock per shard. LC_POLICY_OWN only. */

/* Approximate LRU: each shard keeps its own LRU list and a fair share of
 * the capacity (a sixteenth), and a put that needs room evicts the least
 * recently used entry of its own shard, or of a shard past its share, not
 * the oldest entry of the whole cache. With keys spread evenly by the hash
 * the shards' oldest entries are about equally old, so the hit ratio is
 * LRU's to a tenth of a point; the order of evictions is not. That is the
 * price of being the thread-friendly one: two calls on keys in different
 * shards never wait for each other, where an exact LRU must serialise
 * every hit on its one list. The limits stay exact for the whole cache
 * (see engine.h); small caches get fewer shards. */
#define LC_ENGINE_POLICY LC_POLICY_OWN
#define LC_ENGINE_SHARDS 16

#include "lru_order.h"

#include "engine.h"
