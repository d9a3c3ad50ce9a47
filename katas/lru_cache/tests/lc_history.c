/* lc_history.c - seeded random histories of gets, puts and deletes run
 * against a plug-in beside the model; a failing or crashing history is
 * shrunk to the shortest one found that still fails, and told. */
#include "lc_history.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "lc_model.h"
#include "lc_suite.h"

/* The largest value a history puts, and the room a get gets. */
#define VALUE_MAX 400
#define GET_ROOM 512
#define CANARY 16
/* Histories longer than this are told by their first and last calls. */
#define SHOWN_HEAD 20
#define SHOWN_TAIL 40
/* Shrinking stops after this long, whatever budget of calls is left. */
#define SHRINK_SECONDS 10
/* What a crash note keeps of the step, where a crashing history is told. */
#define STEP_ROOM 511

int lch_keys_make(lch_setup_t *setup, uint32_t count) {
  setup->key_count = count;
  setup->keys = calloc(count, sizeof *setup->keys);
  setup->key_lens = calloc(count, sizeof *setup->key_lens);
  if (setup->keys == NULL || setup->key_lens == NULL)
    return -ENOMEM;
  for (uint32_t k = 0; k < count; k++) {
    char text[32];
    int len = 0;
    /* Some keys hold a NUL byte, inside ("k\0" then the number) or at the
     * end ("k12\0", which differs from "k12" only by it). */
    if (k % 7 == 3)
      len = snprintf(text, sizeof text, "k%c%u", 'x', (unsigned)k);
    else if (k % 7 == 5)
      len = snprintf(text, sizeof text, "k%ux", (unsigned)k);
    else if (k != 0)
      len = snprintf(text, sizeof text, "k%u", (unsigned)k);
    if (k % 7 == 3)
      text[1] = '\0';
    else if (k % 7 == 5)
      text[len - 1] = '\0';
    setup->keys[k] = malloc((size_t)len + 1);
    if (setup->keys[k] == NULL)
      return -ENOMEM;
    memcpy(setup->keys[k], text, (size_t)len);
    setup->key_lens[k] = (size_t)len;
  }
  return 0;
}

void lch_keys_free(lch_setup_t *setup) {
  for (uint32_t k = 0; setup->keys != NULL && k < setup->key_count; k++)
    free(setup->keys[k]);
  free(setup->keys);
  free(setup->key_lens);
  setup->keys = NULL;
  setup->key_lens = NULL;
}

void lch_generate(const lch_setup_t *setup, rng_t *rng, lch_op_t *ops,
                  size_t count) {
  uint32_t hot = setup->key_count < 4 ? setup->key_count : 4;
  for (size_t i = 0; i < count; i++) {
    lch_op_t *op = &ops[i];
    memset(op, 0, sizeof *op);
    /* A fifth of the calls go to four hot keys, which stay recent; the
     * rest spread over all keys, about twice the capacity, so that about
     * half of the gets hit and most puts evict. */
    op->key =
        (uint32_t)(rng_below(rng, 5) == 0 ? rng_below(rng, hot)
                                          : rng_below(rng, setup->key_count));
    uint64_t dice = rng_below(rng, 100);
    if (dice < 45) {
      op->kind = LCH_GET;
    } else if (dice < 48) {
      op->kind = LCH_GET_SMALL;
      op->size = (uint32_t)rng_below(rng, 6);
    } else if (dice < 92) {
      op->kind = LCH_PUT;
      uint64_t shape = rng_below(rng, 20);
      if (shape == 0) {
        op->size = 0; /* the empty value */
      } else if (shape == 1) {
        op->size = 1; /* "0" */
      } else if (shape == 2) {
        op->size = 100 + (uint32_t)rng_below(rng, VALUE_MAX - 100);
        op->seed = 1 + rng_next(rng);
      } else {
        op->size = 1 + (uint32_t)rng_below(rng, 40);
        op->seed = 1 + rng_next(rng);
      }
    } else {
      op->kind = LCH_DELETE;
    }
  }
}

static void make_value(const lch_op_t *op, unsigned char *out) {
  if (op->seed == 0)
    memset(out, '0', op->size);
  else
    lcs_fill_value(out, op->size, op->seed);
}

/* What a replay writes when asked to tell its history. */
typedef struct story {
  char *text;
  size_t used, size;
} story_t;

static void say(story_t *story, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void say(story_t *story, const char *format, ...) {
  if (story == NULL || story->used + 1 >= story->size)
    return;
  va_list args;
  va_start(args, format);
  int n = vsnprintf(story->text + story->used, story->size - story->used,
                    format, args);
  va_end(args);
  if (n > 0)
    story->used += (size_t)n;
  if (story->used >= story->size)
    story->used = story->size - 1;
}

static const char *key_text(const lch_setup_t *setup, uint32_t key) {
  return lcs_bytes_text(setup->keys[key], setup->key_lens[key]);
}

/* One call as C; a put's value by its length alone when value is NULL. */
static void say_call(story_t *story, const lch_setup_t *setup,
                     const lch_op_t *op, const unsigned char *value) {
  switch (op->kind) {
  case LCH_GET: say(story, "lc_get(%s)", key_text(setup, op->key)); break;
  case LCH_GET_SMALL:
    say(story, "lc_get(%s, buffer_size %u)", key_text(setup, op->key),
        (unsigned)op->size);
    break;
  case LCH_PUT:
    if (value == NULL)
      say(story, "lc_put(%s, %u byte%s)", key_text(setup, op->key),
          (unsigned)op->size, op->size == 1 ? "" : "s");
    else
      say(story, "lc_put(%s, %s)", key_text(setup, op->key),
          lcs_bytes_text(value, op->size));
    break;
  case LCH_DELETE: say(story, "lc_delete(%s)", key_text(setup, op->key)); break;
  }
}

/* Why the model expects what it does for a get or delete of key. */
static void say_why(story_t *story, const lch_setup_t *setup,
                    const lcm_t *model, uint32_t key) {
  const lcm_entry_t *entry = &model->entries[key];
  const lc_config_t *config = &setup->config;
  if (entry->present) {
    uint64_t rank = lcm_rank(model, key);
    say(story,
        "%s was put at call #%llu and last used (put or hit) at call "
        "#%llu; %llu other key%s been used since, so it is the %llu%s most "
        "recently used of the %llu entries stored (max_entries %llu, "
        "max_bytes %llu)",
        key_text(setup, key), (unsigned long long)entry->put_at,
        (unsigned long long)entry->used_at, (unsigned long long)rank,
        rank == 1 ? " has" : "s have", (unsigned long long)rank + 1,
        rank == 0   ? "st"
        : rank == 1 ? "nd"
        : rank == 2 ? "rd"
                    : "th",
        (unsigned long long)model->items,
        (unsigned long long)config->max_entries,
        (unsigned long long)config->max_bytes);
    return;
  }
  switch (entry->gone) {
  case LCM_NEVER_PUT:
    say(story,
        "%s was never put: is another key's entry found for it? Keys are "
        "bytes compared in full, with their length (NUL bytes included, "
        "never by hash alone)",
        key_text(setup, key));
    break;
  case LCM_EVICTED:
    say(story,
        "%s was evicted at call #%llu to make room for %s: it was then the "
        "least recently used entry",
        key_text(setup, key), (unsigned long long)entry->gone_at,
        key_text(setup, entry->evicted_for));
    break;
  case LCM_DELETED:
    say(story, "%s was deleted at call #%llu", key_text(setup, key),
        (unsigned long long)entry->gone_at);
    break;
  case LCM_EXPIRED: say(story, "%s expired", key_text(setup, key)); break;
  case LCM_REJECTED:
    say(story, "%s's put at call #%llu was rejected with -E2BIG",
        key_text(setup, key), (unsigned long long)entry->gone_at);
    break;
  }
}

static bool shown(size_t i, size_t count) {
  return count <= SHOWN_HEAD + SHOWN_TAIL || i < SHOWN_HEAD ||
         i >= count - SHOWN_TAIL;
}

/* The outcome the model gives a call, for a line of the history. */
static void say_outcome(story_t *story, const lch_setup_t *setup,
                        const lcm_t *model, const lch_op_t *op,
                        const lcm_entry_t *hit, bool deleted,
                        uint64_t evicted) {
  switch (op->kind) {
  case LCH_GET:
  case LCH_GET_SMALL:
    if (hit != NULL)
      say(story, " -> hit %s", lcs_bytes_text(hit->value, hit->value_len));
    else
      say(story, " -> miss");
    break;
  case LCH_PUT:
    if (evicted > 0) {
      say(story, " -> stored, evicting");
      for (uint32_t k = 0; k < setup->key_count; k++)
        if (!model->entries[k].present &&
            model->entries[k].gone == LCM_EVICTED &&
            model->entries[k].gone_at == model->step)
          say(story, " %s", key_text(setup, k));
    } else {
      say(story, " -> stored");
    }
    break;
  case LCH_DELETE: say(story, " -> %s", deleted ? "deleted" : "not found");
  }
}

static bool same_stats(const lc_stats_t *got, const lcm_t *model) {
  return got->hits == model->stats.hits && got->misses == model->stats.misses &&
         got->evictions == model->stats.evictions &&
         got->expirations == model->stats.expirations &&
         got->items == model->items && got->bytes == model->bytes;
}

static void say_stats(story_t *story, const lc_stats_t *stats) {
  say(story,
      "hits %llu, misses %llu, evictions %llu, expirations %llu, items %llu, "
      "bytes %llu",
      (unsigned long long)stats->hits, (unsigned long long)stats->misses,
      (unsigned long long)stats->evictions,
      (unsigned long long)stats->expirations, (unsigned long long)stats->items,
      (unsigned long long)stats->bytes);
}

/* After a failure, for few keys: which entries the cache holds (asked with
 * gets, which no longer matter) beside those the model holds. */
static void say_contents(story_t *story, const lch_setup_t *setup,
                         const lcm_t *model, lc_t *cache) {
  if (setup->key_count > 200)
    return;
  say(story, "\n  entries the cache holds now:");
  uint64_t found_count = 0;
  for (uint32_t k = 0; k < setup->key_count; k++) {
    unsigned char buffer[GET_ROOM];
    size_t value_len;
    bool found = false;
    if (lcs_api()->get(cache, setup->keys[k], setup->key_lens[k], 1, buffer,
                       sizeof buffer, &value_len, &found) == 0 &&
        found) {
      say(story, " %s", key_text(setup, k));
      found_count++;
    }
  }
  if (found_count == 0)
    say(story, " none");
  say(story, "\n  entries it should hold, most recently used first:");
  for (uint32_t k = model->newest; k != LCM_NONE; k = model->entries[k].older)
    say(story, " %s", key_text(setup, k));
  if (model->newest == LCM_NONE)
    say(story, " none");
}

/* Where a replay is: in memory shared with the child process that runs it,
 * so that a crash is placed at its exact call by one plain store per call
 * (a note in a file per call would cost more than the call). */
typedef enum phase {
  PHASE_CREATE,
  PHASE_CALL,
  PHASE_STATS, /* the lc_stats after a call */
  PHASE_DESTROY
} phase_t;

typedef struct progress {
  size_t call; /* the call running, from 0 */
  int phase;
  long failed;     /* what the replay returned, once it has */
  bool note_steps; /* whether to note the position for a hang now and then */
} progress_t;

/* Runs ops, and tells them in story when story is not NULL; keeps *at
 * current. */
static long replay(const lch_setup_t *setup, const lch_op_t *ops, size_t count,
                   story_t *story, volatile progress_t *at) {
  static unsigned char key_buffer[LC_KEY_MAX + 1];
  static unsigned char value_buffer[VALUE_MAX];
  static unsigned char get_buffer[GET_ROOM + CANARY];
  const lc_api_t *api = lcs_api();
  lc_t *cache = NULL;
  at->call = 0;
  at->phase = PHASE_CREATE;
  int rc = api->create(&setup->config, &cache);
  if (rc != 0 || cache == NULL) {
    say(story, "lc_create returned %s this time", lcs_rc_text(rc));
    return 0;
  }
  lcm_t model;
  if (lcm_init(&model, &setup->config, setup->key_count, setup->key_lens) !=
      0) {
    api->destroy(cache);
    say(story, "out of memory in the test");
    return 0;
  }
  long failed = -1;
  for (size_t i = 0; i < count && failed < 0; i++) {
    const lch_op_t *op = &ops[i];
    size_t key_len = setup->key_lens[op->key];
    uint64_t now = 1000 + i;
    bool tell = story != NULL && shown(i, count);
    if (story != NULL && i == SHOWN_HEAD && !shown(i, count))
      say(story, "\n    ... %zu calls ...", count - SHOWN_HEAD - SHOWN_TAIL);
    memcpy(key_buffer, setup->keys[op->key], key_len);
    if (op->kind == LCH_PUT)
      make_value(op, value_buffer);
    if (tell) {
      say(story, "\n    #%zu ", i + 1);
      say_call(story, setup, op, value_buffer);
    }
    at->call = i;
    at->phase = PHASE_CALL;
    /* A hang ends the test with no handler to run: every 4096th call is
     * also noted in a file, so that a hang says about where it was. */
    if (at->note_steps && i % 4096 == 0)
      stagekit_step("%s: call %zu of a history of %zu", setup->title, i + 1,
                    count);
    const lcm_entry_t *expected = lcm_peek(&model, op->key, now);
    uint64_t evictions_before = model.stats.evictions;
    const lcm_entry_t *hit = NULL;
    bool deleted = false;
    if (op->kind == LCH_GET || op->kind == LCH_GET_SMALL) {
      size_t room = op->kind == LCH_GET ? GET_ROOM : op->size;
      memset(get_buffer, 0xee, sizeof get_buffer);
      size_t value_len = 0xdeadbeef;
      bool found = expected == NULL; /* wrong unless the call sets it */
      rc = api->get(cache, key_buffer, key_len, now,
                    room > 0 ? get_buffer : NULL, room, &value_len, &found);
      memset(key_buffer, 0xcc, key_len);
      bool right = rc == 0 && found == (expected != NULL);
      bool stale_len = right && !found && value_len != 0;
      right &= !stale_len;
      size_t copied = 0;
      if (right && found) {
        copied = expected->value_len < room ? expected->value_len : room;
        right = value_len == expected->value_len &&
                memcmp(get_buffer, expected->value, copied) == 0;
      }
      bool overran = false;
      for (size_t b = copied; right && b < copied + CANARY; b++)
        overran |= get_buffer[b] != 0xee;
      if (!right || overran) {
        failed = (long)i;
        if (story != NULL) {
          say(story, "\n  returned %s", lcs_rc_text(rc));
          if (rc == 0 && found)
            say(story, ", found, value_len %zu, value %s", value_len,
                lcs_bytes_text(get_buffer,
                               value_len < room ? value_len : room));
          else if (rc == 0 && stale_len)
            say(story, ", not found, but value_len %zu (a miss stores 0)",
                value_len);
          else if (rc == 0)
            say(story, ", not found");
          if (overran)
            say(story,
                " and wrote past buffer_size %zu into the caller's "
                "memory",
                room);
          say(story, "; expected 0, ");
          if (expected != NULL)
            say(story, "found, value_len %zu, value %s%s", expected->value_len,
                lcs_bytes_text(expected->value, copied),
                room < expected->value_len
                    ? " (the first buffer_size bytes; value_len is the full "
                      "length)"
                    : "");
          else
            say(story, stale_len ? "not found, value_len 0" : "not found");
          say(story, ":\n  ");
          say_why(story, setup, &model, op->key);
          if (expected != NULL && found && value_len != expected->value_len)
            say(story, "; its last put stored %zu bytes", expected->value_len);
        }
        break;
      }
      hit = lcm_get(&model, op->key, now);
    } else if (op->kind == LCH_PUT) {
      rc = api->put(cache, key_buffer, key_len, value_buffer, op->size,
                    LC_NO_TTL, now);
      /* The caller reuses its buffers at once. */
      memset(key_buffer, 0xcc, key_len);
      memset(value_buffer, 0xcd, op->size);
      make_value(op, value_buffer);
      int expected_rc =
          lcm_put(&model, op->key, value_buffer, op->size, LC_NO_TTL, now);
      if (rc != expected_rc) {
        failed = (long)i;
        say(story, "\n  returned %s; expected %s", lcs_rc_text(rc),
            lcs_rc_text(expected_rc));
        break;
      }
    } else {
      bool got = expected == NULL;
      rc = api->del(cache, key_buffer, key_len, now, &got);
      memset(key_buffer, 0xcc, key_len);
      if (rc != 0 || got != (expected != NULL)) {
        failed = (long)i;
        if (story != NULL) {
          say(story, "\n  returned %s, %s; expected 0, %s:\n  ",
              lcs_rc_text(rc), got ? "deleted" : "not deleted",
              expected != NULL ? "deleted" : "not deleted");
          say_why(story, setup, &model, op->key);
        }
        break;
      }
      deleted = lcm_delete(&model, op->key, now);
    }
    if (tell)
      say_outcome(story, setup, &model, op, hit, deleted,
                  model.stats.evictions - evictions_before);
    lc_stats_t stats;
    memset(&stats, 0xa5, sizeof stats);
    at->phase = PHASE_STATS;
    rc = api->stats(cache, &stats);
    if (rc != 0 || !same_stats(&stats, &model)) {
      failed = (long)i;
      if (story != NULL) {
        say(story, "\n  then lc_stats returned %s: ", lcs_rc_text(rc));
        say_stats(story, &stats);
        say(story, "\n  expected: ");
        lc_stats_t want = model.stats;
        want.items = model.items;
        want.bytes = model.bytes;
        say_stats(story, &want);
        say(story, " (items and bytes count the entries stored: bytes is "
                   "key_len + value_len summed over them; an overwrite is "
                   "not an eviction)");
      }
    }
  }
  if (failed >= 0 && story != NULL)
    say_contents(story, setup, &model, cache);
  lcm_free(&model);
  at->phase = PHASE_DESTROY;
  api->destroy(cache);
  return failed;
}

long lch_replay(const lch_setup_t *setup, const lch_op_t *ops, size_t count) {
  progress_t at = {0, PHASE_CREATE, -1, true};
  return replay(setup, ops, count, NULL, &at);
}

/* How a replay in a child process ended. */
typedef struct outcome {
  long failed; /* the call that answered wrong or crashed; -1: none */
  int phase;   /* where in it a crash came */
  stagekit_exit_t how;
} outcome_t;

static bool crashed(const outcome_t *outcome) {
  return !outcome->how.finished;
}

/* Whether two failed replays failed alike: both answered wrong, or both
 * crashed by the same signal (or exited with the same status). */
static bool same_failure(const outcome_t *a, const outcome_t *b) {
  return a->failed >= 0 && b->failed >= 0 && crashed(a) == crashed(b) &&
         a->how.signal == b->how.signal &&
         a->how.exit_status == b->how.exit_status;
}

typedef struct job {
  const lch_setup_t *setup;
  const lch_op_t *ops;
  size_t count;
  volatile progress_t *at;
} job_t;

static void run_job(void *arg) {
  job_t *job = arg;
  job->at->failed = replay(job->setup, job->ops, job->count, NULL, job->at);
}

/* Replays ops on a fresh cache in a child process, so that a crash ends
 * the child and not the test; seconds bounds a hang (0: the test's own
 * timeout does). Without a child (fork failed) it runs here. */
static outcome_t attempt(const lch_setup_t *setup, const lch_op_t *ops,
                         size_t count, unsigned seconds) {
  static volatile progress_t *at;
  outcome_t outcome = {-1, PHASE_CALL, {1, 0, 0}};
  if (at == NULL)
    at = stagekit_shared(sizeof *at);
  if (at == NULL) {
    outcome.failed = lch_replay(setup, ops, count);
    return outcome;
  }
  *at = (progress_t){0, PHASE_CREATE, -1, true};
  job_t job = {setup, ops, count, at};
  if (stagekit_fork(run_job, &job, seconds, &outcome.how) != 0) {
    outcome.how = (stagekit_exit_t){1, 0, 0};
    outcome.failed = lch_replay(setup, ops, count);
    return outcome;
  }
  if (!crashed(&outcome)) {
    outcome.failed = at->failed;
    return outcome;
  }
  /* A crash in lc_destroy belongs to the whole history. */
  outcome.phase = at->phase;
  outcome.failed = (long)at->call;
  if (at->phase == PHASE_DESTROY && count > 0)
    outcome.failed = (long)count - 1;
  return outcome;
}

/* A shrinking in progress: the failure kept, and what it has spent. */
typedef struct shrinking {
  const lch_setup_t *setup;
  outcome_t failure; /* how the history kept so far fails */
  uint64_t budget, spent, tries;
  uint64_t deadline; /* clock_monotonic_ns after which no more tries */
} shrinking_t;

/* Replays candidate[0..length) on a fresh cache in a child process; when it
 * fails as the kept history does, it is kept instead, cut after its failing
 * call, in ops[0..*n). Returns whether it was. Once the time is up the
 * budget counts as spent. */
static bool keep(shrinking_t *state, lch_op_t *ops, size_t *n,
                 const lch_op_t *candidate, size_t length) {
  uint64_t now = clock_monotonic_ns();
  if (now >= state->deadline) {
    state->spent = state->budget;
    return false;
  }
  unsigned seconds = (unsigned)((state->deadline - now) / 1000000000ULL) + 1;
  outcome_t outcome = attempt(state->setup, candidate, length, seconds);
  state->spent += length + 1;
  state->tries++;
  if (!same_failure(&outcome, &state->failure))
    return false;
  state->failure = outcome;
  *n = (size_t)outcome.failed + 1;
  memcpy(ops, candidate, *n * sizeof *ops);
  return true;
}

/* Removes chunks of ever smaller size from the failing history ops[0..n),
 * keeping each removal after which a fresh cache still fails the same way
 * (then cut at its new first failure), until chunks of one call, or the
 * budget of calls or SHRINK_SECONDS spent. Every candidate runs in a child
 * process, so that a crash is shrunk like a wrong answer. Returns the new
 * length. */
static size_t shrink(shrinking_t *state, lch_op_t *ops, size_t n) {
  lch_op_t *candidate = malloc(n * sizeof *candidate);
  if (candidate == NULL)
    return n;
  /* First whole kinds of calls at once, keeping the failing call: a
   * history that fails only once the cache is full keeps its puts. */
  const uint8_t dropped[] = {LCH_GET, LCH_DELETE, LCH_GET_SMALL};
  for (size_t d = 0; d < sizeof dropped && state->spent < state->budget; d++) {
    size_t length = 0;
    for (size_t i = 0; i + 1 < n; i++)
      if (ops[i].kind != dropped[d])
        candidate[length++] = ops[i];
    candidate[length++] = ops[n - 1];
    if (length < n)
      keep(state, ops, &n, candidate, length);
  }
  for (size_t chunk = n / 2; chunk >= 1 && state->spent < state->budget;) {
    for (size_t start = 0; start < n && state->spent < state->budget;) {
      size_t end = start + chunk < n ? start + chunk : n;
      size_t length = n - (end - start);
      memcpy(candidate, ops, start * sizeof *ops);
      memcpy(candidate + start, ops + end, (n - end) * sizeof *ops);
      stagekit_step("%s: shrinking a failing history of %zu calls, trying "
                    "%zu",
                    state->setup->title, n, length);
      if (!keep(state, ops, &n, candidate, length))
        start = end;
    }
    chunk /= 2;
    if (chunk > n / 2)
      chunk = n / 2;
  }
  free(candidate);
  return n;
}

/* The length of call i (op) told briefly, for a crash note's one line. */
static size_t brief_call(const lch_setup_t *setup, const lch_op_t *op, size_t i,
                         char *out, size_t size) {
  story_t piece = {out, 0, size};
  say(&piece, " #%zu ", i + 1);
  say_call(&piece, setup, op, NULL);
  return piece.used;
}

/* Notes as the step (one line, which a crash note keeps) where the history
 * ops[0..n) crashes and its calls: all of them when they fit, else the
 * first two and as many of the last as fit. */
static void note_crash(const lch_setup_t *setup, const lch_op_t *ops, size_t n,
                       const shrinking_t *state, size_t count,
                       size_t original) {
  static char text[STEP_ROOM + 1];
  story_t line = {text, 0, sizeof text};
  char piece[256];
  const outcome_t *crash = &state->failure;
  say(&line, "%s (%s, max_entries %llu, max_bytes %llu): ", setup->title,
      lcs_policy_title(setup->config.policy),
      (unsigned long long)setup->config.max_entries,
      (unsigned long long)setup->config.max_bytes);
  if (crash->phase == PHASE_DESTROY) {
    say(&line, "lc_destroy after call #%zu", n);
  } else {
    brief_call(setup, &ops[crash->failed], (size_t)crash->failed, piece,
               sizeof piece);
    say(&line, "call%s%s", piece,
        crash->phase == PHASE_STATS ? " (in the lc_stats after it)" : "");
  }
  say(&line,
      ", of the shortest history found that crashes on a fresh cache (%zu "
      "calls, after %llu tries; the random history of %zu calls crashed at "
      "call %zu):",
      n, (unsigned long long)state->tries, count, original);
  size_t room = line.used < STEP_ROOM ? STEP_ROOM - line.used : 0;
  size_t total = 0;
  for (size_t i = 0; i < n && total <= room; i++)
    total += brief_call(setup, &ops[i], i, piece, sizeof piece);
  size_t head = n, tail = 0;
  if (total > room) {
    /* The first two calls, a gap of about 20 characters, then the last. */
    head = n < 2 ? n : 2;
    size_t used = 20;
    for (size_t i = 0; i < head; i++)
      used += brief_call(setup, &ops[i], i, piece, sizeof piece);
    while (tail < n - head) {
      size_t i = n - 1 - tail;
      size_t more = brief_call(setup, &ops[i], i, piece, sizeof piece);
      if (used + more > room)
        break;
      used += more;
      tail++;
    }
  }
  for (size_t i = 0; i < head; i++) {
    brief_call(setup, &ops[i], i, piece, sizeof piece);
    say(&line, "%s", piece);
  }
  if (head + tail < n)
    say(&line, " ... %zu calls ...", n - head - tail);
  for (size_t i = n - tail; i < n; i++) {
    brief_call(setup, &ops[i], i, piece, sizeof piece);
    say(&line, "%s", piece);
  }
  stagekit_step("%s", text);
}

/* After shrinking a crash to ops[0..n): replays it in this process, where
 * the harness explains the crash as it explains any (the signal in words,
 * the function it died in, a sanitizer's report) with the history as the
 * step; when it does not crash here, fails the test with the history. */
static void tell_crash(const lch_setup_t *setup, const lch_op_t *ops, size_t n,
                       const shrinking_t *state, size_t count,
                       size_t original) {
  note_crash(setup, ops, n, state, count, original);
  progress_t at = {0, PHASE_CREATE, -1, false};
  replay(setup, ops, n, NULL, &at);
  const stagekit_exit_t *how = &state->failure.how;
  static char text[65536];
  story_t story = {text, 0, sizeof text};
  say(&story,
      "%s (%s, max_entries %llu, max_bytes %llu): a random history of %zu "
      "calls crashed at call %zu, in a child process replaying it (",
      setup->title, lcs_policy_title(setup->config.policy),
      (unsigned long long)setup->config.max_entries,
      (unsigned long long)setup->config.max_bytes, count, original);
  if (how->signal != 0)
    say(&story, "killed by %s", stagekit_signal_name(how->signal));
  else
    say(&story, "it called exit(%d)", how->exit_status);
  say(&story,
      "). The shortest history found that crashes on a fresh cache (%zu "
      "calls, after %llu tries) is, with what each call should have "
      "answered:",
      n, (unsigned long long)state->tries);
  progress_t told = {0, PHASE_CREATE, -1, false};
  replay(setup, ops, n, &story, &told);
  say(&story,
      "\n  Replayed in the test process it did not crash: the crash "
      "depends on more than the calls, such as uninitialised "
      "memory.\n  %s",
      lcs_replay());
  cr_assert_fail("%s", text);
}

void lch_check(const lch_setup_t *setup, lch_op_t *ops, size_t count,
               uint64_t budget) {
  /* In a child process: a crash there is placed at its call and shrunk. */
  outcome_t first = attempt(setup, ops, count, 0);
  if (first.failed < 0)
    return;
  size_t original = (size_t)first.failed + 1;
  shrinking_t state = {
      setup, first, budget,
      0,     0,     clock_monotonic_ns() + SHRINK_SECONDS * 1000000000ULL};
  size_t n = shrink(&state, ops, original);
  if (crashed(&state.failure)) {
    tell_crash(setup, ops, n, &state, count, original);
    return;
  }
  static char text[65536];
  story_t story = {text, 0, sizeof text};
  say(&story,
      "%s (%s, max_entries %llu, max_bytes %llu): a random history "
      "of %zu calls failed at call %zu. The shortest history found "
      "that fails on a fresh cache (%zu calls, after %llu tries) is, "
      "with what each call should have answered:",
      setup->title, lcs_policy_title(setup->config.policy),
      (unsigned long long)setup->config.max_entries,
      (unsigned long long)setup->config.max_bytes, count, original, n,
      (unsigned long long)state.tries);
  progress_t at = {0, PHASE_CREATE, -1, false};
  if (replay(setup, ops, n, &story, &at) < 0)
    say(&story, "\n  (this time it passed: the failure depends on more than "
                "the calls, such as uninitialised memory)");
  say(&story, "\n  %s", lcs_replay());
  cr_assert_fail("%s", text);
}
