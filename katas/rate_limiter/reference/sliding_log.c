/* sliding_log.c - reference sliding log limiter: a request at t is allowed
 * iff fewer than L requests were allowed for the key in (t - W, t]. */
#include "limiter.h"

#define SL_MIN_CAP 4 /* timestamps in a key's first ring */
/* Ring indices are 32 bits so that the state fits in a table slot. A key
 * that needs more than 2^32 - 1 times in one window (only with a limit
 * that large, and as many requests) gets -ENOMEM. */
#define SL_MAX_CAP UINT32_MAX

/* All zeros is a fresh key's state: an empty log with no ring yet. The
 * ring holds the allowed times in order, oldest at head; it grows by
 * doubling up to L and halves when a quarter full, so a key's memory
 * follows its recent rate. */
typedef struct sl_state {
  uint64_t last;  /* the latest time seen for the key */
  uint64_t *ring; /* cap slots */
  uint32_t cap;
  uint32_t head;  /* index of the oldest allowed time */
  uint32_t count; /* allowed times in (last - W, last] */
} sl_state_t;

_Static_assert(sizeof(sl_state_t) <= sizeof(((kt_slot_t *)0)->state),
               "the state fits in a slot");

static void sl_drop(uint64_t *state) {
  sl_state_t s;
  memcpy(&s, state, sizeof s);
  free(s.ring);
}

int rl_create(const rl_config_t *config, rl_t **out) {
  return lim_create(config, out, RL_SLIDING_LOG, sl_drop);
}

void rl_destroy(rl_t *rl) {
  lim_destroy(rl);
}

/* The i-th oldest allowed time. */
static inline uint64_t sl_at(const sl_state_t *s, uint32_t i) {
  uint64_t j = (uint64_t)s->head + i;
  return s->ring[j >= s->cap ? j - s->cap : j];
}

/* Moves the log into a new ring of cap slots (>= count), oldest first.
 * Returns 0 or -ENOMEM, leaving the log as it was. */
static int sl_reshape(sl_state_t *s, uint32_t cap) {
  uint64_t *ring = malloc((size_t)cap * sizeof *ring);
  if (ring == NULL)
    return -ENOMEM;
  for (uint32_t i = 0; i < s->count; i++)
    ring[i] = sl_at(s, i);
  free(s->ring);
  s->ring = ring;
  s->cap = cap;
  s->head = 0;
  return 0;
}

/* Forgets the allowed times that left (t - W, t]. */
static inline void sl_expire(sl_state_t *s, uint64_t t, uint64_t w) {
  if (s->count == 0)
    return;
  if (t - sl_at(s, s->count - 1) >= w) { /* all of them: after a pause */
    s->count = 0;
    s->head = 0;
  }
  while (s->count > 0 && t - s->ring[s->head] >= w) {
    s->head = s->head + 1 == s->cap ? 0 : s->head + 1;
    s->count--;
  }
  /* A shrink copies count times, paid for by the 3 * count or more that
   * expired since the ring last changed size. A failure keeps the ring. */
  if (s->cap > SL_MIN_CAP && s->count <= s->cap / 4)
    sl_reshape(s, s->cap / 2);
}

/* Appends t, growing the ring if it is full (never beyond limit slots).
 * Returns 0 or -ENOMEM. */
static inline int sl_push(sl_state_t *s, uint64_t t, uint64_t limit) {
  if (s->count == s->cap) {
    uint64_t cap = s->cap == 0 ? SL_MIN_CAP : (uint64_t)s->cap * 2;
    if (cap > limit)
      cap = limit;
    if (cap > SL_MAX_CAP)
      cap = SL_MAX_CAP;
    if (cap == s->cap || sl_reshape(s, (uint32_t)cap) != 0)
      return -ENOMEM;
  }
  uint64_t j = (uint64_t)s->head + s->count;
  s->ring[j >= s->cap ? j - s->cap : j] = t;
  s->count++;
  return 0;
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  kt_shard_t *shard;
  kt_slot_t *slot;
  int rc = lim_acquire(rl, key, key_len, decision, &shard, &slot);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  sl_state_t s;
  memcpy(&s, slot->state, sizeof s);
  uint64_t w = rl->window;
  uint64_t t = lim_clamp(&s.last, now_ns);
  sl_expire(&s, t, w);
  bool allowed = s.count < rl->limit;
  if (allowed && sl_push(&s, t, rl->limit) != 0) {
    memcpy(slot->state, &s, sizeof s);
    if (rc == 1)
      kt_abandon(&rl->table, shard, slot);
    else
      kt_release(&rl->table, shard, t);
    return -ENOMEM;
  }
  uint64_t remaining = rl->limit - s.count;
  /* Full: the next request fits when the oldest allowed time leaves. */
  *decision = (rl_decision_t){.allowed = allowed,
                              .remaining = remaining,
                              .retry_after_ns =
                                  remaining > 0 ? 0 : w - (t - s.ring[s.head])};
  memcpy(slot->state, &s, sizeof s);
  slot->expiry = s.count > 0 ? kt_add_sat(sl_at(&s, s.count - 1), w) : t;
  kt_release(&rl->table, shard, t);
  return 0;
}
