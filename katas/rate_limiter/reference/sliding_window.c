/* sliding_window.c - reference sliding window counter limiter (Cloudflare's):
 * the previous aligned window's count, weighted by how much of it still
 * overlaps (t - W, t], plus the current window's count, stays below L. */
#include "limiter.h"

/* All zeros is a fresh key's state: nothing counted in windows 0 and -1. */
typedef struct sw_state {
  uint64_t last;  /* the latest time seen for the key */
  uint64_t start; /* first ns of the window last is in */
  uint64_t prev;  /* requests allowed in the window before that one */
  uint64_t curr;  /* requests allowed in the current window */
} sw_state_t;

_Static_assert(sizeof(sw_state_t) <= sizeof(((kt_slot_t *)0)->state),
               "the state fits in a slot");

int rl_create(const rl_config_t *config, rl_t **out) {
  return lim_create(config, out, RL_SLIDING_WINDOW, NULL);
}

void rl_destroy(rl_t *rl) {
  lim_destroy(rl);
}

static inline uint64_t sw_div_up(uint64_t a, uint64_t b) {
  return a / b + (a % b != 0);
}

/* The smallest wait after which a request would be allowed, when none is
 * now: s is the state after this call, e = t - start.
 *
 * Within the current window the weight prev*(W - e) only falls as e grows;
 * the request fits once prev*(W - e') < (L - curr)*W, i.e. once W - e' is
 * below q = ceil((L - curr)*W / prev), the first such e' being W - q + 1.
 * When e' = W that is the next window's first ns, where prev becomes curr
 * < L and the request fits too, so the same formula holds.
 *
 * When curr = L nothing fits in this window. In the next one prev = L and
 * curr = 0, so L*(W - e') < L*W needs e' >= 1: one ns into the next window,
 * unless W = 1, when that is the window after, where prev = 0. */
static inline uint64_t sw_retry(const rl_t *rl, const sw_state_t *s,
                                uint64_t e) {
  uint64_t w = rl->window;
  if (s->curr < rl->limit) {
    /* prev > 0 here: with prev = 0 and curr < L the request would fit. */
    uint64_t q = sw_div_up((rl->limit - s->curr) * w, s->prev);
    return w - q + 1 - e;
  }
  return (w > 1 ? w + 1 : 2 * w) - e;
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  kt_shard_t *shard;
  kt_slot_t *slot;
  int rc = lim_acquire(rl, key, key_len, decision, &shard, &slot);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  sw_state_t s;
  memcpy(&s, slot->state, sizeof s);
  uint64_t w = rl->window;
  uint64_t t = lim_clamp(&s.last, now_ns);
  uint64_t since = t - s.start;
  if (since >= w) {
    if (since < 2 * w) { /* the next window: current becomes previous */
      s.prev = s.curr;
      s.start += w;
    } else { /* a window or more went by with nothing in it */
      s.prev = 0;
      s.start = t - t % w;
    }
    s.curr = 0;
  }
  uint64_t e = t - s.start;
  /* prev, curr <= L, so each product is at most L*W < 2^63; 128 bits keep
   * the comparison exact whatever the sum. */
  unsigned __int128 weight = (unsigned __int128)s.prev * (w - e);
  bool allowed =
      weight + (unsigned __int128)s.curr * w < (unsigned __int128)rl->capacity;
  s.curr += allowed;
  /* Further requests now: the j >= 0 with (curr + j)*W < L*W - weight. */
  uint64_t remaining = 0;
  if (weight < rl->capacity) {
    uint64_t fit = sw_div_up(rl->capacity - (uint64_t)weight, w);
    remaining = fit > s.curr ? fit - s.curr : 0;
  }
  *decision = (rl_decision_t){.allowed = allowed,
                              .remaining = remaining,
                              .retry_after_ns =
                                  remaining > 0 ? 0 : sw_retry(rl, &s, e)};
  /* Fresh again once both counts have left: two windows after the current
   * one began if it counted anything, one if only the previous did. */
  uint64_t expiry = t;
  if (s.curr > 0)
    expiry = kt_add_sat(s.start, kt_add_sat(w, w));
  else if (s.prev > 0)
    expiry = kt_add_sat(s.start, w);
  memcpy(slot->state, &s, sizeof s);
  slot->expiry = expiry;
  kt_release(&rl->table, shard, t);
  return 0;
}
