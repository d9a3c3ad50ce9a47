/* fixed_window.c - reference fixed window limiter: at most L requests per
 * key in each aligned window [k*W, (k+1)*W). */
#include "limiter.h"

/* All zeros is a fresh key's state: window 0, nothing counted yet. */
typedef struct fw_state {
  uint64_t last;  /* the latest time seen for the key */
  uint64_t start; /* first ns of the window last is in */
  uint64_t count; /* requests allowed in that window */
} fw_state_t;

_Static_assert(sizeof(fw_state_t) <= sizeof(((kt_slot_t *)0)->state),
               "the state fits in a slot");

int rl_create(const rl_config_t *config, rl_t **out) {
  return lim_create(config, out, RL_FIXED_WINDOW, NULL);
}

void rl_destroy(rl_t *rl) {
  lim_destroy(rl);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  kt_shard_t *shard;
  kt_slot_t *slot;
  int rc = lim_acquire(rl, key, key_len, decision, &shard, &slot);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  fw_state_t s;
  memcpy(&s, slot->state, sizeof s);
  uint64_t w = rl->window;
  uint64_t t = lim_clamp(&s.last, now_ns);
  /* A subtraction, not a division, tells whether t is still in the window:
   * most calls land in the window of the key's previous call. */
  if (t - s.start >= w) {
    s.start = t - t % w;
    s.count = 0;
  }
  bool allowed = s.count < rl->limit;
  s.count += allowed;
  uint64_t remaining = rl->limit - s.count;
  *decision =
      (rl_decision_t){.allowed = allowed,
                      .remaining = remaining,
                      .retry_after_ns = remaining > 0 ? 0 : w - (t - s.start)};
  memcpy(slot->state, &s, sizeof s);
  /* Past its window the count no longer matters: the key is fresh again. */
  slot->expiry = kt_add_sat(s.start, w);
  kt_release(&rl->table, shard, t);
  return 0;
}
