/* crash.c - a rate limiter that dereferences a pointer it never set, to
 * prove a crash becomes a verdict naming the test and the signal. */
#include <stdlib.h>

#include "rate_limiter.h"

struct rl {
  const char *first_key; /* never set: "I'll fill it in later" */
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
  (void)key, (void)key_len, (void)now_ns;
  decision->allowed = rl->first_key[0] != 0; /* the learner's NULL pointer */
  decision->remaining = 0;
  decision->retry_after_ns = 0;
  return 0;
}
