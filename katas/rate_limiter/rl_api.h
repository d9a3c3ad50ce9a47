/* rl_api.h - the rate limiter's contract bound once from a plug-in: tables
 * of function pointers typed from rate_limiter.h itself, so a changed
 * signature fails to compile; the stages, the load, serving and the
 * benchmarks all use them. */
#ifndef RL_API_H
#define RL_API_H

#include "plugin.h"
#include "rate_limiter.h"

/* The in-process limiter (stages 1-6). */
typedef struct rl_api {
  __typeof__(rl_create) *create;
  __typeof__(rl_check) *check;
  __typeof__(rl_destroy) *destroy;
} rl_api_t;

/* The limiter on Redis (stage 7). */
typedef struct rl_redis_api {
  __typeof__(rl_redis_create) *create;
  __typeof__(rl_redis_check) *check;
  __typeof__(rl_redis_destroy) *destroy;
} rl_redis_api_t;

/* Binds the in-process functions from plugin into *api. Returns 0, or
 * -ENOENT with *missing naming the first the plug-in lacks. */
static inline int rl_api_bind(const plugin_t *plugin, rl_api_t *api,
                              const char **missing) {
  static const plugin_binding_t bindings[] = {
      PLUGIN_BINDING(rl_api_t, create, "rl_create"),
      PLUGIN_BINDING(rl_api_t, check, "rl_check"),
      PLUGIN_BINDING(rl_api_t, destroy, "rl_destroy"),
  };
  return plugin_bind(plugin, bindings, sizeof bindings / sizeof bindings[0],
                     api, missing);
}

/* Binds stage 7's functions from plugin into *api, as rl_api_bind. */
static inline int rl_redis_api_bind(const plugin_t *plugin, rl_redis_api_t *api,
                                    const char **missing) {
  static const plugin_binding_t bindings[] = {
      PLUGIN_BINDING(rl_redis_api_t, create, "rl_redis_create"),
      PLUGIN_BINDING(rl_redis_api_t, check, "rl_redis_check"),
      PLUGIN_BINDING(rl_redis_api_t, destroy, "rl_redis_destroy"),
  };
  return plugin_bind(plugin, bindings, sizeof bindings / sizeof bindings[0],
                     api, missing);
}

#endif /* RL_API_H */
