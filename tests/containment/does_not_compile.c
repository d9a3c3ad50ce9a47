/* does_not_compile.c - a learner's file with a syntax error, to prove the
 * compiler's words come first and nothing else runs. */
#include "rate_limiter.h"

int rl_create(const rl_config_t *config, rl_t **out) {
  return RL_ENOTIMPL /* missing semicolon */
}
