/* runaway.c - a rate limiter that allocates without end and uses what
 * malloc returns unchecked, to prove runaway memory is named as such. */
#include <stdlib.h>
#include <string.h>

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
  (void)rl, (void)now_ns, (void)decision;
  for (;;) {
    char *copy = malloc(64 << 20); /* "a bigger buffer, just in case" */
    memcpy(copy, key, key_len);    /* NULL once the cap is reached */
    copy[0] = 1;
  }
}
