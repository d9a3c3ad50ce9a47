/* test_plugin.c - implementations that export the same names load side by
 * side, each resolved through its own handle. */
#include <criterion/criterion.h>
#include <errno.h>

#include "plugin.h"
#include "rate_limiter.h"

#define PLUGINS SDKATA_BUILD_DIR "/plugins/rate_limiter"

typedef int (*create_fn)(const rl_config_t *, rl_t **);
typedef int (*check_fn)(rl_t *, const void *, size_t, uint64_t,
                        rl_decision_t *);
typedef void (*destroy_fn)(rl_t *);

Test(plugin, two_plugins_with_the_same_symbols_live_side_by_side) {
  plugin_t reference, naive;
  const char *why = NULL;
  cr_assert_eq(plugin_open(&reference, PLUGINS "/reference/fixed_window.so",
                           "reference", &why),
               0, "could not load the reference: %s", why);
  cr_assert_eq(plugin_open(&naive, PLUGINS "/baseline/naive.so", "naive", &why),
               0, "could not load naive: %s", why);
  void *reference_create = plugin_symbol(&reference, "rl_create");
  void *naive_create = plugin_symbol(&naive, "rl_create");
  cr_assert(reference_create != NULL && naive_create != NULL,
            "rl_create not found: reference %p, naive %p", reference_create,
            naive_create);
  cr_assert_neq(reference_create, naive_create,
                "both handles resolved rl_create to one address: the second "
                "plug-in's symbols were not kept apart (RTLD_LOCAL)");

  /* The sliding log exists in naive only: the answers tell them apart. */
  rl_config_t config = {RL_SLIDING_LOG, 1, 1000};
  rl_t *limiter = NULL;
  create_fn create = NULL;
  *(void **)&create = reference_create;
  cr_assert_eq(create(&config, &limiter), RL_ENOTIMPL,
               "the fixed-window reference should not do the sliding log");
  *(void **)&create = naive_create;
  cr_assert_eq(create(&config, &limiter), 0, "naive does the sliding log");
  destroy_fn destroy = NULL;
  *(void **)&destroy = plugin_symbol(&naive, "rl_destroy");
  destroy(limiter);
  plugin_close(&reference);
  plugin_close(&naive);
}

Test(plugin, a_missing_file_is_an_error_with_the_loader_words) {
  plugin_t missing;
  const char *why = NULL;
  cr_assert_lt(plugin_open(&missing, PLUGINS "/no_such.so", "x", &why), 0,
               "opening a missing plug-in should fail");
  cr_assert(why != NULL && strstr(why, "no_such.so") != NULL,
            "the error should name the file; it said: %s", why ? why : "");
}

/* A contract's table, typed from the header. */
typedef struct test_rl_api {
  __typeof__(rl_create) *create;
  __typeof__(rl_check) *check;
  __typeof__(rl_destroy) *destroy;
  __typeof__(rl_create) *absent;
} test_rl_api_t;

static const plugin_binding_t contract[] = {
    PLUGIN_BINDING(test_rl_api_t, create, "rl_create"),
    PLUGIN_BINDING(test_rl_api_t, check, "rl_check"),
    PLUGIN_BINDING(test_rl_api_t, destroy, "rl_destroy"),
    PLUGIN_BINDING(test_rl_api_t, absent, "rl_no_such_function"),
};

Test(plugin, a_contract_binds_typed_and_a_missing_symbol_is_named) {
  plugin_t reference;
  const char *why = NULL;
  cr_assert_eq(plugin_open(&reference, PLUGINS "/reference/fixed_window.so",
                           "reference", &why),
               0, "could not load the reference: %s", why);
  test_rl_api_t api = {0};
  const char *missing = NULL;
  cr_assert_eq(plugin_bind(&reference, contract, 3, &api, &missing), 0,
               "binding rl_create, rl_check, rl_destroy: missing %s", missing);
  rl_config_t config = {RL_FIXED_WINDOW, 1, 1000};
  rl_t *limiter = NULL;
  cr_assert_eq(api.create(&config, &limiter), 0,
               "the bound rl_create should make a fixed window");
  rl_decision_t decision;
  cr_assert(api.check(limiter, "k", 1, 0, &decision) == 0 && decision.allowed,
            "the bound rl_check should allow the first request");
  api.destroy(limiter);
  cr_assert_eq(plugin_bind(&reference, contract, 4, &api, &missing), -ENOENT,
               "a contract naming a function the plug-in lacks: expected "
               "-ENOENT");
  cr_assert_str_eq(missing, "rl_no_such_function",
                   "the missing symbol should be named");
  plugin_close(&reference);
}
