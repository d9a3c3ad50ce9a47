/* lc_model.c - an exact, deliberately plain LRU cache over a fixed set of
 * key numbers: the oracle stage suites compare a plug-in against. */
#include "lc_model.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int lcm_init(lcm_t *model, const lc_config_t *config, uint32_t key_count,
             const size_t *key_lens) {
  memset(model, 0, sizeof *model);
  model->config = *config;
  model->key_count = key_count;
  model->newest = model->oldest = LCM_NONE;
  model->key_lens = malloc(key_count * sizeof *model->key_lens);
  model->entries = calloc(key_count, sizeof *model->entries);
  if (model->key_lens == NULL || model->entries == NULL) {
    lcm_free(model);
    return -ENOMEM;
  }
  memcpy(model->key_lens, key_lens, key_count * sizeof *key_lens);
  return 0;
}

void lcm_free(lcm_t *model) {
  if (model->entries != NULL)
    for (uint32_t k = 0; k < model->key_count; k++)
      free(model->entries[k].value);
  free(model->entries);
  free(model->key_lens);
  model->entries = NULL;
  model->key_lens = NULL;
}

/* The deadline of a TTL given at now: none for LC_NO_TTL (0), and
 * UINT64_MAX, the end of time, when now + ttl does not fit in 64 bits. */
static uint64_t deadline_of(uint64_t ttl, uint64_t now) {
  if (ttl == LC_NO_TTL)
    return 0;
  return ttl > UINT64_MAX - now ? UINT64_MAX : now + ttl;
}

static bool expired(const lcm_entry_t *entry, uint64_t now) {
  return entry->deadline != 0 && entry->deadline <= now;
}

static void unlink_entry(lcm_t *model, uint32_t key) {
  lcm_entry_t *entry = &model->entries[key];
  if (entry->newer != LCM_NONE)
    model->entries[entry->newer].older = entry->older;
  else
    model->newest = entry->older;
  if (entry->older != LCM_NONE)
    model->entries[entry->older].newer = entry->newer;
  else
    model->oldest = entry->newer;
}

static void link_newest(lcm_t *model, uint32_t key) {
  lcm_entry_t *entry = &model->entries[key];
  entry->newer = LCM_NONE;
  entry->older = model->newest;
  if (model->newest != LCM_NONE)
    model->entries[model->newest].newer = key;
  else
    model->oldest = key;
  model->newest = key;
  entry->used_at = model->step;
}

static void remove_entry(lcm_t *model, uint32_t key, lcm_gone_t why) {
  lcm_entry_t *entry = &model->entries[key];
  unlink_entry(model, key);
  model->items--;
  model->bytes -= model->key_lens[key] + entry->value_len;
  free(entry->value);
  entry->value = NULL;
  entry->present = false;
  entry->gone = why;
  entry->gone_at = model->step;
  if (why == LCM_EXPIRED)
    model->stats.expirations++;
}

const lcm_entry_t *lcm_get(lcm_t *model, uint32_t key, uint64_t now) {
  model->step++;
  lcm_entry_t *entry = &model->entries[key];
  if (entry->present && expired(entry, now))
    remove_entry(model, key, LCM_EXPIRED);
  if (!entry->present) {
    model->stats.misses++;
    return NULL;
  }
  model->stats.hits++;
  unlink_entry(model, key);
  link_newest(model, key);
  return entry;
}

static bool over_limits(const lcm_t *model, uint64_t extra_bytes) {
  const lc_config_t *config = &model->config;
  return (config->max_entries != 0 && model->items + 1 > config->max_entries) ||
         (config->max_bytes != 0 &&
          model->bytes + extra_bytes > config->max_bytes);
}

int lcm_put(lcm_t *model, uint32_t key, const void *value, size_t value_len,
            uint64_t ttl, uint64_t now) {
  model->step++;
  uint64_t pair = model->key_lens[key] + value_len;
  lcm_entry_t *entry = &model->entries[key];
  if (model->config.max_bytes != 0 && pair > model->config.max_bytes) {
    if (!entry->present) {
      entry->gone = LCM_REJECTED;
      entry->gone_at = model->step;
    }
    return -E2BIG;
  }
  if (entry->present)
    remove_entry(model, key, expired(entry, now) ? LCM_EXPIRED : LCM_DELETED);
  while (model->items > 0 && over_limits(model, pair)) {
    uint32_t victim = model->oldest;
    if (expired(&model->entries[victim], now)) {
      remove_entry(model, victim, LCM_EXPIRED);
    } else {
      remove_entry(model, victim, LCM_EVICTED);
      model->entries[victim].evicted_for = key;
      model->stats.evictions++;
    }
  }
  entry->value = malloc(value_len > 0 ? value_len : 1);
  if (value_len > 0)
    memcpy(entry->value, value, value_len);
  entry->value_len = value_len;
  entry->deadline = deadline_of(ttl, now);
  entry->present = true;
  entry->put_at = model->step;
  link_newest(model, key);
  model->items++;
  model->bytes += pair;
  return 0;
}

bool lcm_delete(lcm_t *model, uint32_t key, uint64_t now) {
  model->step++;
  lcm_entry_t *entry = &model->entries[key];
  if (!entry->present)
    return false;
  if (expired(entry, now)) {
    remove_entry(model, key, LCM_EXPIRED);
    return false;
  }
  remove_entry(model, key, LCM_DELETED);
  return true;
}

bool lcm_expire(lcm_t *model, uint32_t key, uint64_t ttl, uint64_t now) {
  model->step++;
  lcm_entry_t *entry = &model->entries[key];
  if (!entry->present)
    return false;
  if (expired(entry, now)) {
    remove_entry(model, key, LCM_EXPIRED);
    return false;
  }
  entry->deadline = deadline_of(ttl, now);
  return true;
}

const lcm_entry_t *lcm_peek(const lcm_t *model, uint32_t key, uint64_t now) {
  const lcm_entry_t *entry = &model->entries[key];
  if (!entry->present || expired(entry, now))
    return NULL;
  return entry;
}

bool lcm_ttl(const lcm_t *model, uint32_t key, uint64_t now, uint64_t *ttl) {
  const lcm_entry_t *entry = lcm_peek(model, key, now);
  if (entry == NULL)
    return false;
  *ttl = entry->deadline == 0 ? LC_PERSISTENT : entry->deadline - now;
  return true;
}

uint64_t lcm_rank(const lcm_t *model, uint32_t key) {
  uint64_t rank = 0;
  for (uint32_t k = model->newest; k != LCM_NONE && k != key;
       k = model->entries[k].older)
    rank++;
  return rank;
}

uint64_t lcm_live(const lcm_t *model, uint64_t now, uint64_t *bytes) {
  uint64_t count = 0, sum = 0;
  for (uint32_t k = 0; k < model->key_count; k++) {
    const lcm_entry_t *entry = lcm_peek(model, k, now);
    if (entry != NULL) {
      count++;
      sum += model->key_lens[k] + entry->value_len;
    }
  }
  if (bytes != NULL)
    *bytes = sum;
  return count;
}
