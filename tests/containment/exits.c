/* exits.c - a rate limiter that calls exit() when it dislikes its input,
 * to prove an implementation ending the process is named, not fatal. */
#include <stdlib.h>

#include "rate_limiter.h"

struct rl {
  int unused;
};

int rl_create(const rl_config_t *config, rl_t **out) {
  (void)config;
  *out = calloc(1, sizeof **out);
  return *out ? 0 : -ENOMEM;
}

void rl_destroy(rl_t *rl) {
  free(rl);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  (void)rl, (void)key, (void)key_len, (void)now_ns, (void)decision;
  exit(3);
}
