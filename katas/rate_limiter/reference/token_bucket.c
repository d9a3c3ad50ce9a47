/* token_bucket.c - reference token bucket limiter: L tokens, refilled
 * continuously at L per W, kept exactly in integers scaled by W. */
#include "limiter.h"

/* The bucket is kept as its deficit, capacity - level, in tokens scaled by
 * W (one token = W units, the bucket holds L*W), so that all zeros is a
 * fresh key's state: a full bucket. Over a gap g the level gains g*L units,
 * which is exactly g*L/W tokens: no fraction is ever rounded away. */
typedef struct tb_state {
  uint64_t last;    /* the latest time seen for the key */
  uint64_t deficit; /* units missing from a full bucket, in [0, L*W] */
} tb_state_t;

_Static_assert(sizeof(tb_state_t) <= sizeof(((kt_slot_t *)0)->state),
               "the state fits in a slot");

int rl_create(const rl_config_t *config, rl_t **out) {
  return lim_create(config, out, RL_TOKEN_BUCKET, NULL);
}

void rl_destroy(rl_t *rl) {
  lim_destroy(rl);
}

/* ceil(a / b) for b > 0, without the a + b - 1 that could wrap. */
static inline uint64_t tb_div_up(uint64_t a, uint64_t b) {
  return a / b + (a % b != 0);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  kt_shard_t *shard;
  kt_slot_t *slot;
  int rc = lim_acquire(rl, key, key_len, decision, &shard, &slot);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  tb_state_t s;
  memcpy(&s, slot->state, sizeof s);
  uint64_t w = rl->window;
  uint64_t limit = rl->limit;
  uint64_t capacity = rl->capacity;
  uint64_t before = s.last;
  uint64_t t = lim_clamp(&s.last, now_ns);
  uint64_t gap = t - before;
  /* A gap of W or more refills any bucket; shorter gaps give gap*L < L*W,
   * so a gap of years never multiplies. */
  uint64_t gain = gap >= w ? capacity : gap * limit;
  s.deficit = s.deficit > gain ? s.deficit - gain : 0;
  bool allowed = capacity - s.deficit >= w;
  if (allowed)
    s.deficit += w;
  uint64_t level = capacity - s.deficit;
  uint64_t remaining = level / w;
  /* One token is missing w - level units; they arrive at L per ns. */
  *decision = (rl_decision_t){
      .allowed = allowed,
      .remaining = remaining,
      .retry_after_ns = remaining > 0 ? 0 : tb_div_up(w - level, limit)};
  memcpy(slot->state, &s, sizeof s);
  slot->expiry = kt_add_sat(t, tb_div_up(s.deficit, limit));
  kt_release(&rl->table, shard, t);
  return 0;
}
