/* lc_api.h - the LRU cache's contract bound once from a plug-in: a table of
 * function pointers typed from lru_cache.h itself, so a changed signature
 * fails to compile; the stages, the load, serving and the benchmarks all
 * use it. */
#ifndef LC_API_H
#define LC_API_H

#include "lru_cache.h"
#include "plugin.h"

typedef struct lc_api {
  __typeof__(lc_create) *create;
  __typeof__(lc_destroy) *destroy;
  __typeof__(lc_get) *get;
  __typeof__(lc_put) *put;
  __typeof__(lc_delete) *del;
  __typeof__(lc_expire) *expire;
  __typeof__(lc_ttl) *ttl;
  __typeof__(lc_stats) *stats;
} lc_api_t;

/* Binds every function of the contract from plugin into *api. Returns 0,
 * or -ENOENT with *missing naming the first the plug-in lacks. */
static inline int lc_api_bind(const plugin_t *plugin, lc_api_t *api,
                              const char **missing) {
  static const plugin_binding_t bindings[] = {
      PLUGIN_BINDING(lc_api_t, create, "lc_create"),
      PLUGIN_BINDING(lc_api_t, destroy, "lc_destroy"),
      PLUGIN_BINDING(lc_api_t, get, "lc_get"),
      PLUGIN_BINDING(lc_api_t, put, "lc_put"),
      PLUGIN_BINDING(lc_api_t, del, "lc_delete"),
      PLUGIN_BINDING(lc_api_t, expire, "lc_expire"),
      PLUGIN_BINDING(lc_api_t, ttl, "lc_ttl"),
      PLUGIN_BINDING(lc_api_t, stats, "lc_stats"),
  };
  return plugin_bind(plugin, bindings, sizeof bindings / sizeof bindings[0],
                     api, missing);
}

#endif /* LC_API_H */
