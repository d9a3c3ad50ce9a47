/* resp_cache.c - the LRU cache served over RESP2: one cache from a plug-in,
 * a table of the Redis commands a cache can answer, each worded as Redis
 * words its replies and errors. */
#include "resp_cache.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lc_api.h"
#include "lru_cache.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_SECOND 1000000000ULL
#define DEFAULT_MAX_BYTES (256ULL * 1024 * 1024)
/* The longest TTL taken, so that now_ns + ttl_ns cannot overflow in any
 * implementation (about 292 years). */
#define MAX_TTL_NS (UINT64_MAX / 2)

typedef struct resp_cache {
  lc_api_t api;
  lc_t *cache;
  lc_config_t config;
  char label[64];           /* the plug-in's, for INFO */
  char value[LC_VALUE_MAX]; /* where GET copies a value before replying */
} resp_cache_t;

typedef void (*command_fn)(resp_cache_t *, const resp_command_t *,
                           resp_reply_t *);

/* One command as COMMAND describes it, and the function that runs it. */
typedef struct cache_command {
  const char *name;  /* lower case */
  int arity;         /* Redis's: N exactly N words, -N at least N */
  const char *flags; /* separated by spaces */
  int first_key, last_key, step;
  const char *group, *since, *summary;
  command_fn run;
} cache_command_t;

/* Answers rc, an error that the plug-in's function returned. */
static void reply_lc_error(resp_reply_t *reply, const char *function, int rc) {
  if (rc == LC_ENOTIMPL)
    resp_reply_error(reply,
                     "ERR not implemented: %s returned LC_ENOTIMPL in this "
                     "implementation",
                     function);
  else if (rc == -ENOMEM)
    resp_reply_error(reply, "OOM %s ran out of memory", function);
  else
    resp_reply_error(reply, "ERR %s returned %d (%s)", function, rc,
                     strerror(-rc));
}

/* Answers and returns nonzero when the key is longer than the contract
 * takes: the plug-in is never asked about it. */
static int key_too_long(const resp_arg_t *key, resp_reply_t *reply) {
  if (key->len <= LC_KEY_MAX)
    return 0;
  resp_reply_error(reply, "ERR key of %zu bytes; this cache takes at most %d",
                   key->len, LC_KEY_MAX);
  return 1;
}

/* The TTL in ns from a count of unit_ns units, as SET EX/PX and EXPIRE
 * take it. Returns 0, -EINVAL (not an integer) or -ERANGE (too large). */
static int parse_ttl(const resp_arg_t *arg, uint64_t unit_ns, long long *count,
                     uint64_t *ttl_ns) {
  if (resp_arg_integer(arg, count) != 0)
    return -EINVAL;
  if (*count > 0 && (uint64_t)*count > MAX_TTL_NS / unit_ns)
    return -ERANGE;
  *ttl_ns = *count > 0 ? (uint64_t)*count * unit_ns : 0;
  return 0;
}

static void cmd_get(resp_cache_t *c, const resp_command_t *cmd,
                    resp_reply_t *reply) {
  const resp_arg_t *key = &cmd->argv[1];
  if (key_too_long(key, reply))
    return;
  size_t len = 0;
  bool found = false;
  int rc = c->api.get(c->cache, key->bytes, key->len, clock_monotonic_ns(),
                      c->value, sizeof c->value, &len, &found);
  if (rc != 0)
    reply_lc_error(reply, "lc_get", rc);
  else if (!found)
    resp_reply_null(reply);
  else if (len > sizeof c->value)
    resp_reply_error(reply,
                     "ERR lc_get reported a value of %zu bytes, more "
                     "than LC_VALUE_MAX",
                     len);
  else
    resp_reply_bulk(reply, c->value, len);
}

static void cmd_set(resp_cache_t *c, const resp_command_t *cmd,
                    resp_reply_t *reply) {
  const resp_arg_t *key = &cmd->argv[1], *value = &cmd->argv[2];
  int nx = 0, xx = 0, expiry = 0;
  uint64_t ttl_ns = LC_NO_TTL;
  for (size_t i = 3; i < cmd->argc; i++) {
    const resp_arg_t *opt = &cmd->argv[i];
    int ex = resp_arg_is(opt, "ex"), px = resp_arg_is(opt, "px");
    if (resp_arg_is(opt, "nx") && !xx) {
      nx = 1;
    } else if (resp_arg_is(opt, "xx") && !nx) {
      xx = 1;
    } else if ((ex || px) && !expiry && i + 1 < cmd->argc) {
      long long count;
      int rc = parse_ttl(&cmd->argv[++i], ex ? NS_PER_SECOND : NS_PER_MS,
                         &count, &ttl_ns);
      if (rc == -EINVAL) {
        resp_reply_error(reply, "ERR value is not an integer or out of range");
        return;
      }
      if (rc != 0 || count <= 0) {
        resp_reply_error(reply, "ERR invalid expire time in 'set' command");
        return;
      }
      expiry = 1;
    } else if (resp_arg_is(opt, "get") || resp_arg_is(opt, "keepttl") ||
               resp_arg_is(opt, "exat") || resp_arg_is(opt, "pxat")) {
      resp_reply_error(reply, "ERR SET %.*s is not supported by this server",
                       (int)opt->len, opt->bytes);
      return;
    } else {
      resp_reply_error(reply, "ERR syntax error");
      return;
    }
  }
  if (key_too_long(key, reply))
    return;
  if (value->len > LC_VALUE_MAX) {
    resp_reply_error(reply,
                     "ERR value of %zu bytes; this cache takes at most %d",
                     value->len, LC_VALUE_MAX);
    return;
  }
  uint64_t now = clock_monotonic_ns();
  if (nx || xx) {
    uint64_t left;
    bool found = false;
    int rc = c->api.ttl(c->cache, key->bytes, key->len, now, &left, &found);
    if (rc != 0) {
      reply_lc_error(reply, "lc_ttl", rc);
      return;
    }
    if ((nx && found) || (xx && !found)) {
      resp_reply_null(reply);
      return;
    }
  }
  int rc = c->api.put(c->cache, key->bytes, key->len, value->bytes, value->len,
                      ttl_ns, now);
  if (rc == -E2BIG)
    resp_reply_error(
        reply, "OOM key and value (%zu bytes) exceed max_bytes (%llu)",
        key->len + value->len, (unsigned long long)c->config.max_bytes);
  else if (rc != 0)
    reply_lc_error(reply, "lc_put", rc);
  else
    resp_reply_simple(reply, "OK");
}

static void cmd_del(resp_cache_t *c, const resp_command_t *cmd,
                    resp_reply_t *reply) {
  long long deleted = 0;
  uint64_t now = clock_monotonic_ns();
  for (size_t i = 1; i < cmd->argc; i++) {
    const resp_arg_t *key = &cmd->argv[i];
    if (key->len > LC_KEY_MAX)
      continue; /* never stored, so not deleted */
    bool gone = false;
    int rc = c->api.del(c->cache, key->bytes, key->len, now, &gone);
    if (rc != 0) {
      reply_lc_error(reply, "lc_delete", rc);
      return;
    }
    deleted += gone;
  }
  resp_reply_integer(reply, deleted);
}

static void cmd_exists(resp_cache_t *c, const resp_command_t *cmd,
                       resp_reply_t *reply) {
  long long count = 0;
  uint64_t now = clock_monotonic_ns();
  for (size_t i = 1; i < cmd->argc; i++) {
    const resp_arg_t *key = &cmd->argv[i];
    if (key->len > LC_KEY_MAX)
      continue;
    uint64_t left;
    bool found = false;
    int rc = c->api.ttl(c->cache, key->bytes, key->len, now, &left, &found);
    if (rc != 0) {
      reply_lc_error(reply, "lc_ttl", rc);
      return;
    }
    count += found;
  }
  resp_reply_integer(reply, count);
}

/* EXPIRE and PEXPIRE: a TTL of 0 or less deletes the key, as in Redis. */
static void expire_in(resp_cache_t *c, const resp_command_t *cmd,
                      resp_reply_t *reply, uint64_t unit_ns, const char *name) {
  const resp_arg_t *key = &cmd->argv[1];
  if (cmd->argc > 3) {
    resp_reply_error(reply, "ERR Unsupported option %.*s",
                     (int)cmd->argv[3].len, cmd->argv[3].bytes);
    return;
  }
  long long count;
  uint64_t ttl_ns;
  int rc = parse_ttl(&cmd->argv[2], unit_ns, &count, &ttl_ns);
  if (rc == -EINVAL) {
    resp_reply_error(reply, "ERR value is not an integer or out of range");
    return;
  }
  if (rc != 0) {
    resp_reply_error(reply, "ERR invalid expire time in '%s' command", name);
    return;
  }
  if (key_too_long(key, reply))
    return;
  bool found = false;
  uint64_t now = clock_monotonic_ns();
  if (count <= 0) {
    rc = c->api.del(c->cache, key->bytes, key->len, now, &found);
    if (rc != 0)
      reply_lc_error(reply, "lc_delete", rc);
    else
      resp_reply_integer(reply, found);
    return;
  }
  rc = c->api.expire(c->cache, key->bytes, key->len, ttl_ns, now, &found);
  if (rc != 0)
    reply_lc_error(reply, "lc_expire", rc);
  else
    resp_reply_integer(reply, found);
}

static void cmd_expire(resp_cache_t *c, const resp_command_t *cmd,
                       resp_reply_t *reply) {
  expire_in(c, cmd, reply, NS_PER_SECOND, "expire");
}

static void cmd_pexpire(resp_cache_t *c, const resp_command_t *cmd,
                        resp_reply_t *reply) {
  expire_in(c, cmd, reply, NS_PER_MS, "pexpire");
}

/* TTL and PTTL: -2 for no key, -1 for no TTL; milliseconds are rounded up
 * (a live key never shows 0 left), seconds to the nearest, as Redis. */
static void ttl_in(resp_cache_t *c, const resp_command_t *cmd,
                   resp_reply_t *reply, int seconds) {
  const resp_arg_t *key = &cmd->argv[1];
  if (key->len > LC_KEY_MAX) {
    resp_reply_integer(reply, -2);
    return;
  }
  uint64_t left = 0;
  bool found = false;
  int rc = c->api.ttl(c->cache, key->bytes, key->len, clock_monotonic_ns(),
                      &left, &found);
  if (rc != 0) {
    reply_lc_error(reply, "lc_ttl", rc);
    return;
  }
  if (!found || left == LC_PERSISTENT) {
    resp_reply_integer(reply, found ? -1 : -2);
    return;
  }
  uint64_t ms = left / NS_PER_MS + (left % NS_PER_MS != 0);
  resp_reply_integer(reply, (long long)(seconds ? (ms + 500) / 1000 : ms));
}

static void cmd_ttl(resp_cache_t *c, const resp_command_t *cmd,
                    resp_reply_t *reply) {
  ttl_in(c, cmd, reply, 1);
}

static void cmd_pttl(resp_cache_t *c, const resp_command_t *cmd,
                     resp_reply_t *reply) {
  ttl_in(c, cmd, reply, 0);
}

static void cmd_ping(resp_cache_t *c, const resp_command_t *cmd,
                     resp_reply_t *reply) {
  (void)c;
  if (cmd->argc > 2)
    resp_reply_wrong_arity(reply, "ping");
  else if (cmd->argc == 2)
    resp_reply_bulk(reply, cmd->argv[1].bytes, cmd->argv[1].len);
  else
    resp_reply_simple(reply, "PONG");
}

static void cmd_echo(resp_cache_t *c, const resp_command_t *cmd,
                     resp_reply_t *reply) {
  (void)c;
  resp_reply_bulk(reply, cmd->argv[1].bytes, cmd->argv[1].len);
}

static void cmd_dbsize(resp_cache_t *c, const resp_command_t *cmd,
                       resp_reply_t *reply) {
  (void)cmd;
  lc_stats_t stats;
  int rc = c->api.stats(c->cache, &stats);
  if (rc != 0)
    reply_lc_error(reply, "lc_stats", rc);
  else
    resp_reply_integer(reply, (long long)stats.items);
}

/* A new empty cache replaces the old one, so a failure leaves the old. */
static void cmd_flushall(resp_cache_t *c, const resp_command_t *cmd,
                         resp_reply_t *reply) {
  if (cmd->argc > 2 || (cmd->argc == 2 && !resp_arg_is(&cmd->argv[1], "sync") &&
                        !resp_arg_is(&cmd->argv[1], "async"))) {
    resp_reply_error(reply, "ERR syntax error");
    return;
  }
  lc_t *fresh = NULL;
  int rc = c->api.create(&c->config, &fresh);
  if (rc != 0) {
    reply_lc_error(reply, "lc_create", rc);
    return;
  }
  c->api.destroy(c->cache);
  c->cache = fresh;
  resp_reply_simple(reply, "OK");
}

static void cmd_info(resp_cache_t *c, const resp_command_t *cmd,
                     resp_reply_t *reply) {
  (void)cmd;
  lc_stats_t stats;
  int rc = c->api.stats(c->cache, &stats);
  if (rc != 0) {
    reply_lc_error(reply, "lc_stats", rc);
    return;
  }
  char text[1024];
  int n = snprintf(
      text, sizeof text,
      "# Server\r\n"
      "server:sdkata\r\n"
      "kata:lru_cache\r\n"
      "implementation:%s\r\n"
      "policy:%s\r\n"
      "max_entries:%llu\r\n"
      "max_bytes:%llu\r\n"
      "\r\n"
      "# Stats\r\n"
      "keyspace_hits:%llu\r\n"
      "keyspace_misses:%llu\r\n"
      "evicted_keys:%llu\r\n"
      "expired_keys:%llu\r\n"
      "\r\n"
      "# Memory\r\n"
      "cache_bytes:%llu\r\n"
      "\r\n"
      "# Keyspace\r\n"
      "db0:keys=%llu,expires=0,avg_ttl=0\r\n",
      c->label, c->config.policy == LC_POLICY_LRU ? "lru" : "own",
      (unsigned long long)c->config.max_entries,
      (unsigned long long)c->config.max_bytes, (unsigned long long)stats.hits,
      (unsigned long long)stats.misses, (unsigned long long)stats.evictions,
      (unsigned long long)stats.expirations, (unsigned long long)stats.bytes,
      (unsigned long long)stats.items);
  resp_reply_bulk(reply, text, (size_t)n);
}

static void cmd_quit(resp_cache_t *c, const resp_command_t *cmd,
                     resp_reply_t *reply) {
  (void)c;
  (void)cmd;
  resp_reply_simple(reply, "OK");
  resp_reply_close(reply);
}

/* CONFIG GET answers the parameters redis-benchmark and redis-cli ask
 * about, as a Redis without persistence would. */
static void cmd_config(resp_cache_t *c, const resp_command_t *cmd,
                       resp_reply_t *reply) {
  if (!resp_arg_is(&cmd->argv[1], "get")) {
    resp_reply_error(reply, "ERR unknown subcommand '%.*s'. Try CONFIG HELP.",
                     (int)(cmd->argv[1].len < 128 ? cmd->argv[1].len : 128),
                     cmd->argv[1].bytes);
    return;
  }
  if (cmd->argc < 3) {
    resp_reply_wrong_arity(reply, "config|get");
    return;
  }
  char maxmemory[32];
  snprintf(maxmemory, sizeof maxmemory, "%llu",
           (unsigned long long)c->config.max_bytes);
  const char *params[][2] = {
      {"save", ""},
      {"appendonly", "no"},
      {"databases", "1"},
      {"maxmemory", maxmemory},
      {"maxmemory-policy",
       c->config.policy == LC_POLICY_LRU ? "allkeys-lru" : "noeviction"},
  };
  enum { PARAMS = sizeof params / sizeof params[0] };
  int matched[PARAMS] = {0};
  size_t count = 0;
  for (size_t i = 2; i < cmd->argc; i++) {
    char pattern[128];
    size_t len = cmd->argv[i].len < sizeof pattern - 1 ? cmd->argv[i].len
                                                       : sizeof pattern - 1;
    memcpy(pattern, cmd->argv[i].bytes, len);
    pattern[len] = '\0';
    for (size_t p = 0; p < PARAMS; p++)
      if (!matched[p] && fnmatch(pattern, params[p][0], FNM_CASEFOLD) == 0) {
        matched[p] = 1;
        count++;
      }
  }
  resp_reply_array(reply, count * 2);
  for (size_t p = 0; p < PARAMS; p++)
    if (matched[p]) {
      resp_reply_bulk_text(reply, params[p][0]);
      resp_reply_bulk_text(reply, params[p][1]);
    }
}

static void cmd_command(resp_cache_t *c, const resp_command_t *cmd,
                        resp_reply_t *reply);

static const cache_command_t commands[] = {
    {"get", 2, "readonly fast", 1, 1, 1, "string", "1.0.0",
     "Returns the string value of a key.", cmd_get},
    {"set", -3, "write denyoom", 1, 1, 1, "string", "1.0.0",
     "Sets the string value of a key (EX, PX, NX, XX).", cmd_set},
    {"del", -2, "write", 1, -1, 1, "generic", "1.0.0",
     "Deletes one or more keys.", cmd_del},
    {"exists", -2, "readonly fast", 1, -1, 1, "generic", "1.0.0",
     "Determines whether one or more keys exist.", cmd_exists},
    {"expire", -3, "write fast", 1, 1, 1, "generic", "1.0.0",
     "Sets the expiration time of a key in seconds.", cmd_expire},
    {"pexpire", -3, "write fast", 1, 1, 1, "generic", "2.6.0",
     "Sets the expiration time of a key in milliseconds.", cmd_pexpire},
    {"ttl", 2, "readonly fast", 1, 1, 1, "generic", "1.0.0",
     "Returns the expiration time in seconds of a key.", cmd_ttl},
    {"pttl", 2, "readonly fast", 1, 1, 1, "generic", "2.6.0",
     "Returns the expiration time in milliseconds of a key.", cmd_pttl},
    {"ping", -1, "fast", 0, 0, 0, "connection", "1.0.0",
     "Returns the server's liveliness response.", cmd_ping},
    {"echo", 2, "fast", 0, 0, 0, "connection", "1.0.0",
     "Returns the given string.", cmd_echo},
    {"dbsize", 1, "readonly fast", 0, 0, 0, "server", "1.0.0",
     "Returns the number of keys in the database.", cmd_dbsize},
    {"flushall", -1, "write", 0, 0, 0, "server", "1.0.0",
     "Removes all keys from all databases.", cmd_flushall},
    {"info", -1, "loading stale", 0, 0, 0, "server", "1.0.0",
     "Returns information and statistics about the server.", cmd_info},
    {"quit", -1, "loading stale fast", 0, 0, 0, "connection", "1.0.0",
     "Closes the connection.", cmd_quit},
    {"config", -2, "loading stale", 0, 0, 0, "server", "2.0.0",
     "A container for server configuration commands (GET only).", cmd_config},
    {"command", -1, "loading stale", 0, 0, 0, "server", "2.8.13",
     "Returns detailed information about all commands.", cmd_command},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

/* One command as COMMAND and COMMAND INFO describe it (Redis 7's ten
 * fields; tips, key specs and subcommands empty). */
static void reply_command_info(resp_reply_t *reply,
                               const cache_command_t *command) {
  resp_reply_array(reply, 10);
  resp_reply_bulk_text(reply, command->name);
  resp_reply_integer(reply, command->arity);
  size_t flags = 1;
  for (const char *f = command->flags; *f; f++)
    flags += *f == ' ';
  resp_reply_array(reply, flags);
  for (const char *f = command->flags; flags > 0; flags--) {
    size_t len = strcspn(f, " ");
    char flag[16];
    snprintf(flag, sizeof flag, "%.*s", (int)len, f);
    resp_reply_simple(reply, flag);
    f += len + (f[len] == ' ');
  }
  resp_reply_integer(reply, command->first_key);
  resp_reply_integer(reply, command->last_key);
  resp_reply_integer(reply, command->step);
  char category[32];
  snprintf(category, sizeof category, "@%s", command->group);
  resp_reply_array(reply, 1);
  resp_reply_simple(reply, category);
  for (int empty = 0; empty < 3; empty++)
    resp_reply_array(reply, 0);
}

/* One command as COMMAND DOCS describes it: its name, then a map (an array
 * of name, value pairs in RESP2) of summary, since and group. */
static void reply_command_docs(resp_reply_t *reply,
                               const cache_command_t *command) {
  resp_reply_bulk_text(reply, command->name);
  resp_reply_array(reply, 6);
  resp_reply_bulk_text(reply, "summary");
  resp_reply_bulk_text(reply, command->summary);
  resp_reply_bulk_text(reply, "since");
  resp_reply_bulk_text(reply, command->since);
  resp_reply_bulk_text(reply, "group");
  resp_reply_bulk_text(reply, command->group);
}

static const cache_command_t *find_command(const resp_arg_t *name) {
  for (size_t i = 0; i < COMMAND_COUNT; i++)
    if (resp_arg_is(name, commands[i].name))
      return &commands[i];
  return NULL;
}

/* COMMAND, COMMAND COUNT, COMMAND INFO [name...], COMMAND DOCS [name...]. */
static void cmd_command(resp_cache_t *c, const resp_command_t *cmd,
                        resp_reply_t *reply) {
  (void)c;
  if (cmd->argc == 1) {
    resp_reply_array(reply, COMMAND_COUNT);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
      reply_command_info(reply, &commands[i]);
    return;
  }
  const resp_arg_t *sub = &cmd->argv[1];
  if (resp_arg_is(sub, "count") && cmd->argc == 2) {
    resp_reply_integer(reply, COMMAND_COUNT);
  } else if (resp_arg_is(sub, "info")) {
    size_t count = cmd->argc == 2 ? COMMAND_COUNT : cmd->argc - 2;
    resp_reply_array(reply, count);
    for (size_t i = 0; i < count; i++) {
      const cache_command_t *found =
          cmd->argc == 2 ? &commands[i] : find_command(&cmd->argv[i + 2]);
      if (found)
        reply_command_info(reply, found);
      else
        resp_reply_null(reply);
    }
  } else if (resp_arg_is(sub, "docs")) {
    size_t count = 0;
    for (size_t i = 0; i < COMMAND_COUNT; i++)
      count += cmd->argc == 2;
    for (size_t i = 2; i < cmd->argc; i++)
      count += find_command(&cmd->argv[i]) != NULL;
    resp_reply_array(reply, count * 2);
    for (size_t i = 0; cmd->argc == 2 && i < COMMAND_COUNT; i++)
      reply_command_docs(reply, &commands[i]);
    for (size_t i = 2; i < cmd->argc; i++) {
      const cache_command_t *found = find_command(&cmd->argv[i]);
      if (found)
        reply_command_docs(reply, found);
    }
  } else if (resp_arg_is(sub, "count")) {
    resp_reply_wrong_arity(reply, "command|count");
  } else {
    resp_reply_error(reply, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.",
                     (int)(sub->len < 128 ? sub->len : 128), sub->bytes);
  }
}

void resp_cache_command(void *state, const resp_command_t *command,
                        resp_reply_t *reply) {
  resp_cache_t *c = state;
  const cache_command_t *found = find_command(&command->argv[0]);
  if (!found) {
    resp_reply_unknown_command(reply, command);
    return;
  }
  int arity = found->arity;
  if ((arity > 0 && command->argc != (size_t)arity) ||
      (arity < 0 && command->argc < (size_t)-arity)) {
    resp_reply_wrong_arity(reply, found->name);
    return;
  }
  found->run(c, command, reply);
}

static const char *const policy_names[] = {"lru", "own", NULL};

const option_spec_t resp_cache_options[RESP_CACHE_OPTION_COUNT] = {
    [RESP_CACHE_MAX_ENTRIES] = {"max_entries", OPTION_COUNT, "0",
                                "at most N entries (0: no entry limit)", NULL,
                                0, 0},
    [RESP_CACHE_MAX_BYTES] = {"max_bytes", OPTION_COUNT, NULL,
                              "at most N bytes of keys and values (default: "
                              "256 MiB when max_entries is 0, else none)",
                              NULL, 0, 0},
    [RESP_CACHE_POLICY] = {"policy", OPTION_CHOICE, "lru",
                           "the eviction policy", policy_names},
};

/* Fills config from values. Returns 0 or -EINVAL (said on stderr). */
static int read_options(const option_value_t *values, lc_config_t *config) {
  *config = (lc_config_t){values[RESP_CACHE_POLICY].number == 0 ? LC_POLICY_LRU
                                                                : LC_POLICY_OWN,
                          values[RESP_CACHE_MAX_ENTRIES].number,
                          values[RESP_CACHE_MAX_BYTES].number};
  if (!values[RESP_CACHE_MAX_BYTES].set && config->max_entries == 0)
    config->max_bytes = DEFAULT_MAX_BYTES;
  if (config->max_entries == 0 && config->max_bytes == 0) {
    fprintf(stderr, "lru_cache serve: max_entries and max_bytes cannot both "
                    "be 0 (no limit at all)\n");
    return -EINVAL;
  }
  return 0;
}

/* Creates the cache; LC_ENOTIMPL becomes -ENOSYS, so that sdkata serve
 * tries the next plug-in of a set (the references: the first that does
 * the policy asked for answers). */
static int create_cache(resp_cache_t *c) {
  int rc = c->api.create(&c->config, &c->cache);
  if (rc == -EINVAL)
    fprintf(stderr,
            "lru_cache serve: lc_create refused policy %d with max_entries "
            "%llu and max_bytes %llu\n",
            (int)c->config.policy, (unsigned long long)c->config.max_entries,
            (unsigned long long)c->config.max_bytes);
  return rc == LC_ENOTIMPL ? -ENOSYS : rc;
}

int resp_cache_open(const plugin_t *plugin, const option_value_t *values,
                    uv_loop_t *loop, void **state) {
  (void)loop; /* every reply is given at once */
  resp_cache_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return -ENOMEM;
  const char *missing;
  int rc = -ENOSYS;
  if (lc_api_bind(plugin, &c->api, &missing) == 0) {
    rc = read_options(values, &c->config);
    if (rc == 0)
      rc = create_cache(c);
  }
  if (rc != 0) {
    free(c);
    return rc;
  }
  snprintf(c->label, sizeof c->label, "%s",
           plugin->label ? plugin->label : "?");
  *state = c;
  return 0;
}

void resp_cache_close(void *state) {
  resp_cache_t *c = state;
  c->api.destroy(c->cache);
  free(c);
}
