/* test_plugin.c - implementations that export the same names load side by
 * side, each resolved through its own handle. */
#include <criterion/criterion.h>

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
