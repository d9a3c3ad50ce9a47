/* use_after_free.c - a rate limiter that frees its state and keeps using
 * it, to prove sanitize=1 names a use after free in plain words. */
#include <stdlib.h>

#include "rate_limiter.h"

struct rl {
  uint64_t *counts;
};

int rl_create(const rl_config_t *config, rl_t **out) {
  (void)config;
  *out = calloc(1, sizeof **out);
  if (*out == NULL)
    return -ENOMEM;
  (*out)->counts = calloc(16, sizeof *(*out)->counts);
  return 0;
}

void rl_destroy(rl_t *rl) {
  free(rl);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  (void)key, (void)key_len, (void)now_ns;
  free(rl->counts); /* "resizing", without the new allocation */
  decision->allowed = rl->counts[0]++ < 1;
  decision->remaining = 0;
  decision->retry_after_ns = 0;
  return 0;
}
