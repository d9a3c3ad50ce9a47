/* resp_cache.h - the LRU cache served over RESP2 (sdkata serve lru_cache):
 * the kata's serve hooks, so redis-cli, hiredis and redis-benchmark can
 * talk to any plug-in as to a Redis holding strings. */
#ifndef SDKATA_RESP_CACHE_H
#define SDKATA_RESP_CACHE_H

#include "options.h"
#include "plugin.h"
#include "resp.h"

/* The served cache's options, in the order of resp_cache_options. */
enum {
  RESP_CACHE_MAX_ENTRIES, /* default 0: no entry limit */
  RESP_CACHE_MAX_BYTES,   /* of keys and values; unset: 256 MiB when there
                             is no entry limit */
  RESP_CACHE_POLICY,      /* lru (default) or own */
  RESP_CACHE_OPTION_COUNT
};
extern const option_spec_t resp_cache_options[RESP_CACHE_OPTION_COUNT];

/* Creates, through plugin's lc_ functions, the cache that commands run on,
 * for values (one per resp_cache_options); loop is the server's (unused:
 * every reply is given at once). Returns 0 with the state in
 * *state; -ENOSYS when the plug-in lacks the policy asked for; -EINVAL for
 * options it cannot use (said on stderr); -ENOMEM. */
int resp_cache_open(const plugin_t *plugin, const option_value_t *values,
                    uv_loop_t *loop, void **state);

/* Destroys the cache and frees the state. */
void resp_cache_close(void *state);

/* Answers one command: GET, SET (EX, PX, NX, XX), DEL, EXISTS, EXPIRE,
 * PEXPIRE, TTL, PTTL, PING, ECHO, DBSIZE, FLUSHALL, INFO, QUIT, and the
 * CONFIG GET and COMMAND replies redis-cli and redis-benchmark ask for.
 * Anything else, and wrong arity, gets Redis's -ERR; what the plug-in does
 * not implement gets an -ERR that says so. */
void resp_cache_command(void *state, const resp_command_t *command,
                        resp_reply_t *reply);

#endif /* SDKATA_RESP_CACHE_H */
