/* rl_redis.c - stage 7's fixture: a private redis-server for each test, the
 * plug-in's rl_redis_* functions, and Redis-backed limiters. */
#include "rl_redis.h"

#include <criterion/criterion.h>
#include <string.h>

#include "redis_server.h"

static redis_server_t server;

const rl_redis_api_t *rlr_api(void) {
  static rl_redis_api_t api;
  if (api.create != NULL)
    return &api;
  const plugin_t *plugin = stagekit_plugin();
  const char *missing = NULL;
  if (rl_redis_api_bind(plugin, &api, &missing) == 0)
    return &api;
  if (plugin_symbol(plugin, "rl_redis_create") == NULL &&
      plugin_symbol(plugin, "rl_redis_check") == NULL &&
      plugin_symbol(plugin, "rl_redis_destroy") == NULL)
    cr_skip_test("the file has no rl_redis_create: stage 7 is not written "
                 "yet (rate_limiter.h, \"Stage 7\")");
  cr_assert_fail("the file defines only some of rl_redis_create, "
                 "rl_redis_check and rl_redis_destroy (%s is missing); "
                 "stage 7 needs all three (return RL_ENOTIMPL from "
                 "rl_redis_create until you do it)",
                 missing);
  return &api;
}

void rlr_setup(void) {
  stagekit_guard();
  stagekit_step("starting this test's redis-server");
  int rc = redis_server_start(&server);
  cr_assert(rc == 0,
            "the harness could not start redis-server for stage 7: "
            "%s",
            server.message);
}

void rlr_teardown(void) {
  redis_server_stop(&server);
}

int rlr_port(void) {
  return redis_server_port(&server);
}

void rlr_restart(void) {
  int rc = redis_server_restart(&server);
  cr_assert(rc == 0, "the harness could not restart redis-server: %s",
            server.message);
}

void rlr_open(rls_limiter_t *limiter, uint64_t limit, uint64_t window_ns,
              bool fail_open) {
  memset(limiter, 0, sizeof *limiter);
  limiter->config =
      (rl_config_t){RL_TOKEN_BUCKET, .limit = limit, .window_ns = window_ns};
  rl_redis_config_t config = {"127.0.0.1", rlr_port(), limit, window_ns,
                              fail_open};
  stagekit_step("rl_redis_create(127.0.0.1:%d, limit %llu, window_ns %llu, "
                "fail_open %s)",
                config.port, (unsigned long long)limit,
                (unsigned long long)window_ns, fail_open ? "true" : "false");
  int rc = rlr_api()->create(&config, &limiter->redis);
  if (rc == RL_ENOTIMPL)
    cr_skip_test("rl_redis_create says not implemented");
  cr_assert(rc == 0 && limiter->redis != NULL,
            "rl_redis_create({127.0.0.1:%d, limit %llu, window_ns %llu}) "
            "returned %s%s with Redis up and listening; expected 0 and a "
            "handle in *out; seed=%llu",
            config.port, (unsigned long long)limit,
            (unsigned long long)window_ns, rls_rc_text(rc),
            rc == 0 ? " but left *out NULL" : "",
            (unsigned long long)stagekit_seed());
}

void rlr_close(rls_limiter_t *limiter) {
  stagekit_step("rl_redis_destroy");
  rlr_api()->destroy(limiter->redis);
  limiter->redis = NULL;
}
