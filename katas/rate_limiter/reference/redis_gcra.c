/* redis_gcra.c - stage 7's reference: GCRA in one Lua script, loaded into
 * Redis once and run with EVALSHA per decision, so that reading a key's
 * state, deciding and writing it back are one atomic step inside Redis, and
 * one round trip. The in-process algorithms answer RL_ENOTIMPL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "gcra_script.h"
#include "rate_limiter.h"

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
  if (load_script(rl) != 0) {
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

/* One EVALSHA; reloads the script once when Redis answers NOSCRIPT.
 * Returns the reply (caller frees) or NULL after an I/O error. */
static redisReply *run_script(rl_redis_t *rl, size_t key_len, uint64_t now) {
  for (int attempt = 0;; attempt++) {
    redisReply *reply =
        redisCommand(rl->redis, "EVALSHA %s 1 %b %llu %llu %llu", rl->sha,
                     rl->key, rl->prefix_len + key_len, (unsigned long long)now,
                     (unsigned long long)rl->config.limit,
                     (unsigned long long)rl->config.window_ns);
    if (reply == NULL || attempt > 0 || reply->type != REDIS_REPLY_ERROR ||
        strncmp(reply->str, "NOSCRIPT", 8) != 0)
      return reply;
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
  int rc = connect_redis(rl);
  if (rc == 0) {
    redisReply *reply = run_script(rl, key_len, now_ns);
    if (reply == NULL) {
      disconnect(rl); /* the context is unusable after an I/O error */
      rc = -EIO;
    } else {
      rc = read_decision(reply, decision);
      freeReplyObject(reply);
    }
  }
  if (rc != 0) {
    *decision = (rl_decision_t){rl->config.fail_open, 0, 0};
    return -EIO;
  }
  return 0;
}
