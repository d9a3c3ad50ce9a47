/* mutable_redis.h - one correct Redis-backed limiter (stage 7) with every
 * Redis mutant's bug behind an #if, so that each mutant file is a comment,
 * a #define and an #include. The same design as reference/redis_gcra.c:
 * GCRA in one Lua script run with EVALSHA.
 *
 * With no MUTANT_* defined this passes stage 7. Each bug point reads
 * "#if MUTANT_X  <the bug>  #else  <the right code>  #endif". The
 * in-process algorithms answer RL_ENOTIMPL, so stages 1 to 6 are "not
 * attempted" and stage 7 is the first that can catch a bug. */
#ifndef MUTABLE_REDIS_H
#define MUTABLE_REDIS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "rate_limiter.h"

/* GCRA keeps, per key, the "theoretical arrival time" (TAT) of the next
 * request, in time scaled by L so that one request costs exactly W units and
 * nothing is rounded. The script stores it relative to the key's latest time
 * (debt = TAT - latest, in [0, L*W]) so that every number it computes stays
 * below L*W + W <= 2^53 + W, where Redis's Lua doubles are exact; the times
 * themselves are only ever subtracted. debt = L*W - B of stage 3's bucket.
 * KEYS[1] the key; ARGV now, L, W. Returns {allowed, remaining, retry}. */
static const char gcra_script[] =
#if MUTANT_TIME_AS_NUMBER
    /* Times as Lua numbers: doubles, 256 ns coarse at wall-clock values. */
    "local now = tonumber(ARGV[1])\n"
    "local limit = tonumber(ARGV[2])\n"
    "local window = tonumber(ARGV[3])\n"
    "local full = limit * window\n"
    "local state = redis.call('HMGET', KEYS[1], 'latest', 'debt')\n"
    "local latest = tonumber(state[1]) or now\n"
    "local debt = tonumber(state[2]) or 0\n"
    "if now < latest then now = latest end\n"
    "local gap = now - latest\n"
#else
    "local function split(text)\n"
    "  local n = string.len(text)\n"
    "  if n <= 9 then return 0, tonumber(text) end\n"
    "  return tonumber(string.sub(text, 1, n - 9)),"
    " tonumber(string.sub(text, n - 8))\n"
    "end\n"
    "local limit = tonumber(ARGV[2])\n"
    "local window = tonumber(ARGV[3])\n"
    "local full = limit * window\n"
    "local state = redis.call('HMGET', KEYS[1], 'latest', 'debt')\n"
    "local now = ARGV[1]\n"
    "local latest = state[1] or now\n"
    "local debt = tonumber(state[2]) or 0\n"
    "local now_s, now_ns = split(now)\n"
    "local latest_s, latest_ns = split(latest)\n"
    "if now_s < latest_s or (now_s == latest_s and now_ns < latest_ns) then\n"
    "  now, now_s, now_ns = latest, latest_s, latest_ns\n"
    "end\n"
    "local gap = window\n"
    "if now_s - latest_s <= 9007201 then\n"
    "  gap = (now_s - latest_s) * 1000000000 + (now_ns - latest_ns)\n"
    "end\n"
#endif
    "if gap >= window then\n"
    "  debt = 0\n"
    "else\n"
#if MUTANT_ROUNDED_INTERVAL
    /* A token every floor(W / L) ns, in unscaled time: the lost fraction
     * adds up to extra tokens. */
    "  debt = math.max(0, debt - math.floor(gap / math.floor(window / limit))"
    " * window)\n"
#else
    "  debt = math.max(0, debt - gap * limit)\n"
#endif
    "end\n"
    "local allowed = 0\n"
    "if debt + window <= full then\n"
    "  allowed = 1\n"
    "  debt = debt + window\n"
    "end\n"
    "local level = full - debt\n"
    "local remaining = math.floor(level / window)\n"
    "if remaining * window > level then remaining = remaining - 1 end\n"
    "if (remaining + 1) * window <= level then remaining = remaining + 1 end\n"
    "local retry = 0\n"
    "if remaining == 0 then\n"
    "  local short = window - level\n"
    "  retry = math.ceil(short / limit)\n"
    "  if retry * limit < short then retry = retry + 1 end\n"
    "  if (retry - 1) * limit >= short then retry = retry - 1 end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'latest', now, 'debt', debt)\n"
    "redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000000) + 1000)\n"
    "return {allowed, remaining, retry}\n";

/* How long a (re)connection may take: Redis is local, and the contract
 * allows a call only a few ms when Redis is down. */
static const struct timeval connect_timeout = {0, 20000};
/* How long one decision may wait for Redis before it counts as an error. */
static const struct timeval command_timeout = {1, 0};

/* Keys live under "rl7:<L>:<W>:" so that limiters of different configs
 * sharing one Redis never read each other's state. */
#define PREFIX_MAX 64

struct rl_redis {
  rl_redis_config_t config;
  char host[256];
  redisContext *redis; /* NULL while disconnected */
  char sha[41];        /* the script's SHA1, "" until loaded */
  char key[PREFIX_MAX + RL_KEY_MAX];
  size_t prefix_len;
};

int rl_create(const rl_config_t *config, rl_t **out) {
  (void)config;
  *out = NULL;
  return RL_ENOTIMPL;
}

void rl_destroy(rl_t *rl) {
  (void)rl;
}

int rl_check(rl_t *rl, const void *key, size_t key_len, uint64_t now_ns,
             rl_decision_t *decision) {
  (void)rl;
  (void)key;
  (void)key_len;
  (void)now_ns;
  (void)decision;
  return RL_ENOTIMPL;
}

static void disconnect(rl_redis_t *rl) {
  if (rl->redis != NULL)
    redisFree(rl->redis);
  rl->redis = NULL;
}

/* Loads the script (again, after a restart forgot it). Returns 0 or -EIO. */
static int load_script(rl_redis_t *rl) {
  redisReply *reply = redisCommand(rl->redis, "SCRIPT LOAD %s", gcra_script);
  int rc = -EIO;
  if (reply != NULL && reply->type == REDIS_REPLY_STRING &&
      reply->len < sizeof rl->sha) {
    memcpy(rl->sha, reply->str, reply->len + 1);
    rc = 0;
  }
  if (reply != NULL)
    freeReplyObject(reply);
  return rc;
}

/* Makes sure there is a live connection with the script loaded. Returns 0,
 * or -ECONNREFUSED / -EIO. */
static int connect_redis(rl_redis_t *rl) {
  if (rl->redis != NULL)
    return 0;
  rl->redis =
      redisConnectWithTimeout(rl->host, rl->config.port, connect_timeout);
  if (rl->redis == NULL)
    return -ENOMEM;
  if (rl->redis->err != 0 ||
      redisSetTimeout(rl->redis, command_timeout) != REDIS_OK) {
    disconnect(rl);
    return -ECONNREFUSED;
  }
#if MUTANT_NO_SCRIPT_RELOAD
  /* The script is loaded by the first connection only. */
  if (rl->sha[0] == '\0' && load_script(rl) != 0) {
#else
  if (load_script(rl) != 0) {
#endif
    disconnect(rl);
    return -EIO;
  }
  return 0;
}

int rl_redis_create(const rl_redis_config_t *config, rl_redis_t **out) {
  *out = NULL;
  if (config->window_ns == 0 ||
      (config->limit != 0 &&
       config->window_ns > RL_REDIS_EXACT_MAX / config->limit))
    return -EINVAL;
  if (strlen(config->host) >= sizeof((rl_redis_t *)0)->host)
    return -EINVAL;
  rl_redis_t *rl = calloc(1, sizeof *rl);
  if (rl == NULL)
    return -ENOMEM;
  rl->config = *config;
  strcpy(rl->host, config->host);
  rl->config.host = rl->host;
  rl->prefix_len = (size_t)snprintf(
      rl->key, PREFIX_MAX, "rl7:%llu:%llu:", (unsigned long long)config->limit,
      (unsigned long long)config->window_ns);
  int rc = connect_redis(rl);
  if (rc != 0) {
    free(rl);
    return rc;
  }
  *out = rl;
  return 0;
}

void rl_redis_destroy(rl_redis_t *rl) {
  if (rl == NULL)
    return;
  disconnect(rl);
  free(rl);
}

#if !MUTANT_GET_THEN_SET
/* One EVALSHA; reloads the script once when Redis answers NOSCRIPT.
 * Returns the reply (caller frees) or NULL after an I/O error. */
static redisReply *run_script(rl_redis_t *rl, size_t key_len, uint64_t now) {
#if MUTANT_KEY_AS_C_STRING
  /* The key goes out with %s: it ends at its first NUL byte. */
  rl->key[rl->prefix_len + key_len] = '\0';
  key_len = strlen(rl->key) - rl->prefix_len;
#endif
  for (int attempt = 0;; attempt++) {
    redisReply *reply =
        redisCommand(rl->redis, "EVALSHA %s 1 %b %llu %llu %llu", rl->sha,
                     rl->key, rl->prefix_len + key_len, (unsigned long long)now,
                     (unsigned long long)rl->config.limit,
                     (unsigned long long)rl->config.window_ns);
#if MUTANT_NO_SCRIPT_RELOAD
    (void)attempt;
    return reply;
#else
    if (reply == NULL || attempt > 0 || reply->type != REDIS_REPLY_ERROR ||
        strncmp(reply->str, "NOSCRIPT", 8) != 0)
      return reply;
#endif
    freeReplyObject(reply);
    if (load_script(rl) != 0)
      return NULL;
  }
}

/* Reads {allowed, remaining, retry} into *decision. Returns 0 or -EIO. */
static int read_decision(const redisReply *reply, rl_decision_t *decision) {
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3)
    return -EIO;
  for (size_t i = 0; i < 3; i++)
    if (reply->element[i]->type != REDIS_REPLY_INTEGER ||
        reply->element[i]->integer < 0)
      return -EIO;
  decision->allowed = reply->element[0]->integer == 1;
  decision->remaining = (uint64_t)reply->element[1]->integer;
  decision->retry_after_ns = (uint64_t)reply->element[2]->integer;
  return 0;
}

#endif

#if MUTANT_GET_THEN_SET
/* The naive baseline: read the key's state, decide in C, write it back.
 * Exact for one process; between the read and the write another process
 * reads the same state, and both spend the same token. */
static int get_then_set(rl_redis_t *rl, size_t key_len, uint64_t now,
                        rl_decision_t *decision) {
  size_t len = rl->prefix_len + key_len;
  redisReply *reply =
      redisCommand(rl->redis, "HMGET %b latest debt", rl->key, len);
  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
      reply->elements != 2) {
    if (reply != NULL)
      freeReplyObject(reply);
    return -EIO;
  }
  uint64_t limit = rl->config.limit, window = rl->config.window_ns;
  uint64_t full = limit * window;
  uint64_t latest = reply->element[0]->type == REDIS_REPLY_STRING
                        ? strtoull(reply->element[0]->str, NULL, 10)
                        : now;
  uint64_t debt = reply->element[1]->type == REDIS_REPLY_STRING
                      ? strtoull(reply->element[1]->str, NULL, 10)
                      : 0;
  freeReplyObject(reply);
  if (now < latest)
    now = latest;
  uint64_t gap = now - latest;
  debt = gap >= window || gap * limit >= debt ? 0 : debt - gap * limit;
  decision->allowed = debt + window <= full;
  if (decision->allowed)
    debt += window;
  decision->remaining = (full - debt) / window;
  decision->retry_after_ns = decision->remaining > 0
                                 ? 0
                                 : (window - (full - debt) + limit - 1) / limit;
  reply = redisCommand(rl->redis, "HSET %b latest %llu debt %llu", rl->key, len,
                       (unsigned long long)now, (unsigned long long)debt);
  int rc = reply != NULL && reply->type != REDIS_REPLY_ERROR ? 0 : -EIO;
  if (reply != NULL)
    freeReplyObject(reply);
  return rc;
}
#endif

int rl_redis_check(rl_redis_t *rl, const void *key, size_t key_len,
                   uint64_t now_ns, rl_decision_t *decision) {
  if (key_len > RL_KEY_MAX)
    return -EINVAL;
  if (rl->config.limit == 0) {
    *decision = (rl_decision_t){false, 0, RL_NEVER};
    return 0;
  }
  if (key_len > 0)
    memcpy(rl->key + rl->prefix_len, key, key_len);
#if MUTANT_GET_THEN_SET
  int rc = connect_redis(rl) == 0 ? get_then_set(rl, key_len, now_ns, decision)
                                  : -EIO;
  if (rc != 0)
    disconnect(rl);
#else
#if MUTANT_WAIT_FOR_REDIS
  /* Retries until Redis answers, for up to 5 s: no error ever shows, and
   * every caller stalls while Redis is down. */
  int rc = -EIO;
  for (int attempt = 0; attempt < 500 && rc != 0; attempt++) {
    if (attempt > 0)
      usleep(10000);
#else
  int rc = connect_redis(rl);
  {
#endif
#if MUTANT_NO_RECONNECT
    /* After the first error the handle is dead for good. */
    rc = rl->redis != NULL && !rl->redis->err ? 0 : -EIO;
#elif MUTANT_WAIT_FOR_REDIS
    rc = connect_redis(rl);
#endif
    if (rc == 0) {
      redisReply *reply = run_script(rl, key_len, now_ns);
      if (reply == NULL) {
#if !MUTANT_NO_RECONNECT
        disconnect(rl); /* the context is unusable after an I/O error */
#endif
        rc = -EIO;
      } else {
        rc = read_decision(reply, decision);
        freeReplyObject(reply);
      }
    }
  }
#endif
  if (rc != 0) {
#if MUTANT_FAILS_CLOSED_ALWAYS
    *decision = (rl_decision_t){false, 0, 0};
#else
    *decision = (rl_decision_t){rl->config.fail_open, 0, 0};
#endif
    return -EIO;
  }
  return 0;
}

#endif /* MUTABLE_REDIS_H */
