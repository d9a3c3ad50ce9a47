/* hang.c - a rate limiter whose check never returns (a lock taken twice,
 * in effect), to prove a hang becomes a verdict instead of a stuck run. */
#include <pthread.h>
#include <stdlib.h>

#include "rate_limiter.h"

struct rl {
  pthread_mutex_t lock;
};

int rl_create(const rl_config_t *config, rl_t **out) {
  (void)config;
  *out = calloc(1, sizeof **out);
  if (*out == NULL)
    return -ENOMEM;
  pthread_mutex_init(&(*out)->lock, NULL);
  return 0;
}

void rl_destroy(rl_t *rl) {
  free(rl);
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  (void)key, (void)key_len, (void)now_ns, (void)decision;
  pthread_mutex_lock(&rl->lock);
  pthread_mutex_lock(&rl->lock); /* the classic self-deadlock */
  return 0;
}
