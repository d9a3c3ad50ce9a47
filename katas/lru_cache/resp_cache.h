/* resp_cache.h - the LRU cache served over RESP2 (sdkata serve lru_cache):
 * the kata's serve hooks, so redis-cli, hiredis and redis-benchmark can
 * talk to any plug-in as to a Redis holding strings. */
#ifndef SDKATA_RESP_CACHE_H
#define SDKATA_RESP_CACHE_H

#include "plugin.h"
#include "resp.h"

/* Creates, through plugin's lc_ functions, the cache that commands run on.
 * options are "name=value" words: max_entries=N, max_bytes=N (defaults: no
 * entry limit, 256 MiB of keys and values), policy=lru|own (default lru).
 * Returns 0 with the state in *state; -ENOSYS when the plug-in lacks the
 * policy asked for; -EINVAL for options it cannot use (said on stderr);
 * -ENOMEM. */
int resp_cache_open(const plugin_t *plugin, const char *options, void **state);

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
