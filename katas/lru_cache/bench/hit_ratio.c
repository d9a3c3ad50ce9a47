/* hit_ratio.c - hit ratios of eviction policies on seeded traces: FIFO,
 * exact LRU, Belady's MIN and every lru_cache plug-in, at caches of 0.1%,
 * 1% and 10% of the keys, one table per trace. */

/* Three traces over --keys keys (1 M), --requests requests each (10 M):
 * Zipf 0.99; the same with a scan of new keys every so often; a loop over a
 * little more keys than the 1% cache holds, where LRU and FIFO hit nothing
 * at 1% and below.
 * A request is an lc_get and, on a miss, an lc_put of 8 bytes, as stage 6
 * does. FIFO, LRU and MIN are simulated here on key numbers: FIFO and LRU to
 * show what the plug-ins are up against (and, for LRU, to check that a
 * plug-in run as LC_POLICY_LRU hits exactly as often), MIN as the ceiling no
 * policy that stores every missed key can pass. Hit ratios depend on the
 * trace only, never on timing, so the runs share the cores (--jobs). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "keydist.h"
#include "lc_api.h"
#include "lru_cache.h"
#include "plugin.h"
#include "rng.h"

#define SIZES 3
#define TRACES 3
#define MAX_PLUGINS 32
#define MAX_JOBS 16
#define NONE UINT32_MAX /* no next use; not cached */
#define THETA 0.99
/* Keys as text, "key:" and ten digits, so that any 32-bit key number fits
 * and every key has the same length. */
#define KEY_PREFIX 4
#define KEY_DIGITS 10
#define KEY_LEN (KEY_PREFIX + KEY_DIGITS)
#define VALUE_LEN 8
/* The scan trace: a scan of keys/100 new keys (as many as the 1% cache
 * holds) ends every SCAN_PERIOD scan lengths, so 10% of the requests are
 * scans, as in stage 6. */
#define SCAN_PERIOD 10
/* The loop trace cycles over this many times the 1% cache's entries. */
#define LOOP_STRETCH 1.1
#define REFERENCE_DIR SDKATA_BUILD_DIR "/plugins/lru_cache/reference"

/* The cache sizes, in thousandths of the key count. */
static const uint64_t size_permille[SIZES] = {1, 10, 100};
static const char *const size_names[SIZES] = {"0.1%", "1%", "10%"};
/* The column whose distance to MIN each row shows. */
#define MAIN_SIZE 1

typedef struct options {
  uint64_t seed;
  uint64_t requests;
  uint64_t keys;
  int jobs;
  const char *json;
  const char *plugins[MAX_PLUGINS];
  int plugin_count;
} options_t;

typedef struct trace {
  const char *name;   /* for JSON: "zipf", "scans", "loop" */
  char title[200];    /* for the table */
  uint32_t *keys;     /* key numbers, one per request */
  uint64_t length;    /* requests */
  uint32_t key_span;  /* every key number is below this */
  uint32_t *next_use; /* per request: the next request for its key, NONE */
} trace_t;

typedef enum row_kind { ROW_FIFO, ROW_LRU, ROW_MIN, ROW_PLUGIN } row_kind_t;

/* One row of every table: a simulated policy or a plug-in. */
typedef struct row {
  row_kind_t kind;
  char label[64];
  plugin_t plugin;
  lc_api_t api;
  /* Plug-ins: the policy they run, or 0 when lc_create answers LC_ENOTIMPL
   * to both (not attempted) or the .so lacks a function (why says so). */
  lc_policy_t policy;
  char why[160];
} row_t;

/* One run: a row on a trace at a capacity. */
typedef struct cell {
  uint64_t hits;
  int rc;          /* 0, or the error that stopped the run */
  char error[160]; /* what went wrong, for the notes */
} cell_t;

typedef struct job {
  const row_t *row;
  const trace_t *trace;
  uint64_t capacity;
  cell_t *cell;
} job_t;

typedef struct queue {
  job_t *jobs;
  size_t count;
  atomic_size_t next;
} queue_t;

/* FIFO of capacity entries: a hit changes nothing; a miss stores the key
 * and, when full, drops the one stored longest ago. */
static int simulate_fifo(const trace_t *trace, uint64_t capacity,
                         uint64_t *hits) {
  uint32_t *ring = malloc(capacity * sizeof *ring);
  bool *cached = calloc(trace->key_span, sizeof *cached);
  if (ring == NULL || cached == NULL) {
    free(ring);
    free(cached);
    return -ENOMEM;
  }
  uint64_t count = 0, oldest = 0;
  *hits = 0;
  for (uint64_t i = 0; i < trace->length; i++) {
    uint32_t key = trace->keys[i];
    if (cached[key]) {
      ++*hits;
      continue;
    }
    if (count < capacity) {
      ring[count++] = key;
    } else {
      cached[ring[oldest]] = false;
      ring[oldest] = key;
      oldest = oldest + 1 == capacity ? 0 : oldest + 1;
    }
    cached[key] = true;
  }
  free(ring);
  free(cached);
  return 0;
}

/* Exact LRU of capacity entries, a doubly linked list threaded through
 * arrays indexed by key number: head is the most recently used. */
static int simulate_lru(const trace_t *trace, uint64_t capacity,
                        uint64_t *hits) {
  uint32_t *prev = malloc(trace->key_span * sizeof *prev);
  uint32_t *next = malloc(trace->key_span * sizeof *next);
  bool *cached = calloc(trace->key_span, sizeof *cached);
  if (prev == NULL || next == NULL || cached == NULL) {
    free(prev);
    free(next);
    free(cached);
    return -ENOMEM;
  }
  uint32_t head = NONE, tail = NONE;
  uint64_t count = 0;
  *hits = 0;
  for (uint64_t i = 0; i < trace->length; i++) {
    uint32_t key = trace->keys[i];
    if (cached[key]) {
      ++*hits;
      if (key == head)
        continue;
      /* Unlink; key is not the head, so it has a predecessor. */
      next[prev[key]] = next[key];
      if (key == tail)
        tail = prev[key];
      else
        prev[next[key]] = prev[key];
    } else if (count == capacity) {
      uint32_t victim = tail;
      cached[victim] = false;
      tail = prev[victim];
      if (tail == NONE)
        head = NONE;
      else
        next[tail] = NONE;
    } else {
      count++;
    }
    cached[key] = true;
    prev[key] = NONE;
    next[key] = head;
    if (head != NONE)
      prev[head] = key;
    head = key;
    if (tail == NONE)
      tail = key;
  }
  free(prev);
  free(next);
  free(cached);
  return 0;
}

/* A max-heap of the cached keys by next use, with each key's place in it,
 * so that a hit can move its key: O(log capacity) per request. */
typedef struct min_heap {
  uint32_t *key;
  uint32_t *next;
  uint32_t *place; /* per key number: its index in the heap, or NONE */
  uint64_t size;
} min_heap_t;

static void heap_set(min_heap_t *h, uint64_t i, uint32_t key, uint32_t next) {
  h->key[i] = key;
  h->next[i] = next;
  h->place[key] = (uint32_t)i;
}

static void heap_up(min_heap_t *h, uint64_t i) {
  uint32_t key = h->key[i], next = h->next[i];
  while (i > 0 && h->next[(i - 1) / 2] < next) {
    heap_set(h, i, h->key[(i - 1) / 2], h->next[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_set(h, i, key, next);
}

static void heap_down(min_heap_t *h, uint64_t i) {
  uint32_t key = h->key[i], next = h->next[i];
  for (;;) {
    uint64_t child = 2 * i + 1;
    if (child >= h->size)
      break;
    if (child + 1 < h->size && h->next[child + 1] > h->next[child])
      child++;
    if (h->next[child] <= next)
      break;
    heap_set(h, i, h->key[child], h->next[child]);
    i = child;
  }
  heap_set(h, i, key, next);
}

/* Belady's MIN for a cache that stores every missed key: when full, it
 * drops the cached key asked for again furthest in the future. */
static int simulate_min(const trace_t *trace, uint64_t capacity,
                        uint64_t *hits) {
  min_heap_t h = {.key = malloc(capacity * sizeof *h.key),
                  .next = malloc(capacity * sizeof *h.next),
                  .place = malloc(trace->key_span * sizeof *h.place)};
  int rc = h.key && h.next && h.place ? 0 : -ENOMEM;
  if (rc == 0) {
    memset(h.place, 0xff, trace->key_span * sizeof *h.place);
    *hits = 0;
  }
  for (uint64_t i = 0; rc == 0 && i < trace->length; i++) {
    uint32_t key = trace->keys[i], next = trace->next_use[i];
    uint32_t at = h.place[key];
    if (at != NONE) {
      /* Its next use was now, the nearest of all: it only moves up. */
      ++*hits;
      h.next[at] = next;
      heap_up(&h, at);
    } else if (h.size == capacity) {
      h.place[h.key[0]] = NONE;
      heap_set(&h, 0, key, next);
      heap_down(&h, 0);
    } else {
      heap_set(&h, h.size++, key, next);
      heap_up(&h, h.size - 1);
    }
  }
  free(h.key);
  free(h.next);
  free(h.place);
  return rc;
}

static void key_format(char *key, uint32_t number) {
  for (int i = KEY_PREFIX + KEY_DIGITS - 1; i >= KEY_PREFIX; i--) {
    key[i] = (char)('0' + number % 10);
    number /= 10;
  }
}

/* Replays the trace on a plug-in's cache of capacity entries. */
static void run_plugin(const row_t *row, const trace_t *trace,
                       uint64_t capacity, cell_t *cell) {
  const lc_api_t *api = &row->api;
  lc_config_t config = {row->policy, capacity, 0};
  lc_t *cache = NULL;
  int rc = api->create(&config, &cache);
  if (rc != 0) {
    cell->rc = rc;
    snprintf(cell->error, sizeof cell->error,
             "lc_create(max_entries %" PRIu64 ") returned %d", capacity, rc);
    return;
  }
  char key[KEY_LEN] = "key:";
  uint64_t value = 0;
  for (uint64_t i = 0; i < trace->length; i++) {
    key_format(key, trace->keys[i]);
    char buffer[VALUE_LEN];
    size_t value_len = 0;
    bool found = false;
    /* now_ns moves on by 1 ns a request; no entry has a TTL. */
    rc = api->get(cache, key, KEY_LEN, i + 1, buffer, sizeof buffer, &value_len,
                  &found);
    if (rc == 0 && found) {
      cell->hits++;
      continue;
    }
    if (rc == 0)
      rc = api->put(cache, key, KEY_LEN, &value, VALUE_LEN, LC_NO_TTL, i + 1);
    if (rc != 0) {
      cell->rc = rc;
      snprintf(cell->error, sizeof cell->error,
               "request %" PRIu64 " (key %.*s) returned %d", i + 1, KEY_LEN,
               key, rc);
      break;
    }
  }
  lc_stats_t stats = {0};
  if (cell->rc == 0 && api->stats(cache, &stats) == 0 &&
      stats.items > capacity) {
    /* More entries than allowed would be hits no real cache gets. */
    cell->rc = -EOVERFLOW;
    snprintf(cell->error, sizeof cell->error,
             "holds %" PRIu64 " entries after the trace; max_entries %" PRIu64,
             stats.items, capacity);
  }
  api->destroy(cache);
}

static void run_job(const job_t *job) {
  cell_t *cell = job->cell;
  int rc = 0;
  switch (job->row->kind) {
  case ROW_FIFO:
    rc = simulate_fifo(job->trace, job->capacity, &cell->hits);
    break;
  case ROW_LRU:
    rc = simulate_lru(job->trace, job->capacity, &cell->hits);
    break;
  case ROW_MIN:
    rc = simulate_min(job->trace, job->capacity, &cell->hits);
    break;
  case ROW_PLUGIN:
    run_plugin(job->row, job->trace, job->capacity, cell);
    return;
  }
  if (rc != 0) {
    cell->rc = rc;
    snprintf(cell->error, sizeof cell->error, "out of memory");
  }
}

static void *worker_main(void *argument) {
  queue_t *queue = argument;
  size_t i;
  while ((i = atomic_fetch_add(&queue->next, 1)) < queue->count)
    run_job(&queue->jobs[i]);
  return NULL;
}

/* Runs every job on up to jobs threads and waits for them all. */
static void run_jobs(job_t *jobs, size_t count, int threads) {
  queue_t queue = {.jobs = jobs, .count = count};
  atomic_init(&queue.next, 0);
  pthread_t workers[MAX_JOBS];
  int started = 0;
  while (started < threads &&
         pthread_create(&workers[started], NULL, worker_main, &queue) == 0)
    started++;
  if (started == 0)
    worker_main(&queue);
  for (int i = 0; i < started; i++)
    pthread_join(workers[i], NULL);
}

/* Fills next_use in one backward pass over the trace. */
static int trace_index(trace_t *trace) {
  uint32_t *upcoming = malloc(trace->key_span * sizeof *upcoming);
  trace->next_use = malloc(trace->length * sizeof *trace->next_use);
  if (upcoming == NULL || trace->next_use == NULL) {
    free(upcoming);
    return -ENOMEM;
  }
  memset(upcoming, 0xff, trace->key_span * sizeof *upcoming);
  for (uint64_t i = trace->length; i-- > 0;) {
    trace->next_use[i] = upcoming[trace->keys[i]];
    upcoming[trace->keys[i]] = (uint32_t)i;
  }
  free(upcoming);
  return 0;
}

/* Builds trace number which (0 Zipf, 1 Zipf with scans, 2 loop) from seed:
 * the same seed and options give the same keys. */
static int trace_make(trace_t *trace, int which, const options_t *options,
                      uint64_t seed) {
  uint64_t n = options->keys, length = options->requests;
  *trace = (trace_t){.length = length, .key_span = (uint32_t)n};
  trace->keys = malloc(length * sizeof *trace->keys);
  if (trace->keys == NULL)
    return -ENOMEM;
  if (which == 2) {
    /* A seeded sample of the keys, by a partial Fisher-Yates shuffle. */
    uint64_t loop = (uint64_t)(LOOP_STRETCH * (double)(n / 100));
    loop = loop < 2 ? 2 : loop > n ? n : loop;
    uint32_t *deck = malloc(n * sizeof *deck);
    if (deck == NULL)
      return -ENOMEM;
    rng_t rng;
    rng_seed(&rng, seed);
    for (uint64_t i = 0; i < n; i++)
      deck[i] = (uint32_t)i;
    for (uint64_t i = 0; i < loop; i++) {
      uint64_t j = i + rng_below(&rng, n - i);
      uint32_t swap = deck[i];
      deck[i] = deck[j];
      deck[j] = swap;
    }
    for (uint64_t i = 0; i < length; i++)
      trace->keys[i] = deck[i % loop];
    free(deck);
    trace->name = "loop";
    snprintf(trace->title, sizeof trace->title,
             "a loop over %" PRIu64 " of the %" PRIu64 " keys (%.1f x the 1%% "
             "cache), %" PRIu64 " requests",
             loop, n, LOOP_STRETCH, length);
    return trace_index(trace);
  }
  keydist_params_t params = {
      .kind = KEYDIST_ZIPF, .key_count = n, .theta = THETA};
  keydist_shared_t shared;
  int rc = keydist_prepare(&shared, &params);
  if (rc != 0)
    return rc;
  keydist_t chooser;
  keydist_init(&chooser, &shared, seed);
  uint64_t scan = n / 100 > 0 ? n / 100 : 1, period = SCAN_PERIOD * scan;
  uint64_t fresh = n;
  for (uint64_t i = 0; i < length; i++) {
    if (which == 1 && i % period >= period - scan)
      trace->keys[i] = (uint32_t)fresh++;
    else
      trace->keys[i] = (uint32_t)keydist_next(&chooser);
  }
  trace->key_span = (uint32_t)fresh;
  if (which == 0) {
    trace->name = "zipf";
    snprintf(trace->title, sizeof trace->title,
             "Zipf %.2f over %" PRIu64 " keys, %" PRIu64 " requests", THETA, n,
             length);
  } else {
    trace->name = "scans";
    snprintf(trace->title, sizeof trace->title,
             "Zipf %.2f over %" PRIu64 " keys, a scan of %" PRIu64
             " new keys every %" PRIu64 " requests, %" PRIu64 " requests",
             THETA, n, scan, period, length);
  }
  return trace_index(trace);
}

static void trace_free(trace_t *trace) {
  free(trace->keys);
  free(trace->next_use);
}

/* Loads the plug-in at path into row and finds which policy it runs: its
 * own when it has one, else LRU. A load failure or a missing function is
 * reported in row->why and leaves row->policy 0. */
static void row_open_plugin(row_t *row, const char *path) {
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  size_t stem = strcspn(base, ".");
  *row = (row_t){.kind = ROW_PLUGIN};
  snprintf(row->label, sizeof row->label, "%.*s", (int)stem, base);
  const char *why = NULL;
  if (plugin_open(&row->plugin, path, row->label, &why) != 0) {
    snprintf(row->why, sizeof row->why, "cannot load %s: %s", path, why);
    return;
  }
  const char *missing;
  if (lc_api_bind(&row->plugin, &row->api, &missing) != 0) {
    snprintf(row->why, sizeof row->why, "%s does not define %s()", path,
             missing);
    return;
  }
  const lc_policy_t policies[2] = {LC_POLICY_OWN, LC_POLICY_LRU};
  for (int i = 0; i < 2; i++) {
    lc_config_t config = {policies[i], 1, 0};
    lc_t *cache = NULL;
    int rc = row->api.create(&config, &cache);
    if (rc == 0) {
      row->api.destroy(cache);
      row->policy = policies[i];
      return;
    }
    if (rc != LC_ENOTIMPL) {
      snprintf(row->why, sizeof row->why, "lc_create returned %d", rc);
      return;
    }
  }
  snprintf(row->why, sizeof row->why,
           "not attempted (lc_create answers "
           "LC_ENOTIMPL to both policies)");
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds a row for every .so in dir, by name. Returns the rows added. */
static int add_reference_rows(row_t *rows, int room, const char *dir) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    fprintf(stderr, "hit_ratio: no reference plug-ins in %s\n", dir);
    return 0;
  }
  char *names[MAX_PLUGINS];
  int count = 0;
  struct dirent *entry;
  while ((entry = readdir(d)) != NULL && count < room && count < MAX_PLUGINS) {
    size_t len = strlen(entry->d_name);
    if (len > 3 && strcmp(entry->d_name + len - 3, ".so") == 0)
      names[count++] = strdup(entry->d_name);
  }
  closedir(d);
  qsort(names, (size_t)count, sizeof *names, compare_names);
  for (int i = 0; i < count; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    row_open_plugin(&rows[i], path);
    free(names[i]);
  }
  return count;
}

static double percent(uint64_t hits, uint64_t requests) {
  return 100.0 * (double)hits / (double)requests;
}

static const char *row_mode(const row_t *row) {
  if (row->kind != ROW_PLUGIN)
    return "";
  return row->policy == LC_POLICY_OWN   ? " (own)"
         : row->policy == LC_POLICY_LRU ? " (LRU)"
                                        : "";
}

/* Prints one trace's table and its notes (errors, not attempted). */
static void print_table(const trace_t *trace, const uint64_t *capacities,
                        const row_t *rows, int row_count, cell_t *cells,
                        int min_row) {
  printf("\n%s\nhit ratio %%         ", trace->title);
  for (int s = 0; s < SIZES; s++)
    printf("%9s", size_names[s]);
  printf("   vs MIN at %s\n%-20s", size_names[MAIN_SIZE], "max_entries");
  for (int s = 0; s < SIZES; s++)
    printf("%9" PRIu64, capacities[s]);
  printf("\n");
  uint64_t min_hits = cells[min_row * SIZES + MAIN_SIZE].hits;
  for (int r = 0; r < row_count; r++) {
    char label[96];
    snprintf(label, sizeof label, "%s%s", rows[r].label, row_mode(&rows[r]));
    printf("%-20s", label);
    if (rows[r].kind == ROW_PLUGIN && rows[r].policy == 0) {
      printf(" %s\n", rows[r].why);
      continue;
    }
    const cell_t *row_cells = &cells[r * SIZES];
    for (int s = 0; s < SIZES; s++) {
      if (row_cells[s].rc != 0)
        printf("%9s", "error");
      else
        printf("%9.2f", percent(row_cells[s].hits, trace->length));
    }
    if (row_cells[MAIN_SIZE].rc == 0 && r != min_row)
      printf("%+11.2f", percent(row_cells[MAIN_SIZE].hits, trace->length) -
                            percent(min_hits, trace->length));
    printf("\n");
    for (int s = 0; s < SIZES; s++)
      if (row_cells[s].rc != 0)
        printf("  %s at max_entries %" PRIu64 ": %s\n", rows[r].label,
               capacities[s], row_cells[s].error);
  }
}

/* Checks one trace's cells: a plug-in run as LRU hits exactly as often as
 * the simulator, and no row beats MIN. Prints what differs; returns the
 * number of failures. */
static int check_table(const trace_t *trace, const uint64_t *capacities,
                       const row_t *rows, int row_count, const cell_t *cells,
                       int lru_row, int min_row, int *lru_compared) {
  int failures = 0;
  for (int r = 0; r < row_count; r++)
    for (int s = 0; s < SIZES; s++) {
      const cell_t *cell = &cells[r * SIZES + s];
      if (cell->rc != 0 || (rows[r].kind == ROW_PLUGIN && rows[r].policy == 0))
        continue;
      uint64_t lru = cells[lru_row * SIZES + s].hits;
      uint64_t min = cells[min_row * SIZES + s].hits;
      if (rows[r].kind == ROW_PLUGIN && rows[r].policy == LC_POLICY_LRU) {
        ++*lru_compared;
        if (cell->hits != lru) {
          failures++;
          printf("check failed: %s as LC_POLICY_LRU hit %" PRIu64
                 " times on %s at max_entries %" PRIu64 "; exact LRU hits "
                 "%" PRIu64 "\n",
                 rows[r].label, cell->hits, trace->name, capacities[s], lru);
        }
      }
      if (cell->hits > min) {
        failures++;
        printf("check failed: %s hit %" PRIu64 " times on %s at max_entries "
               "%" PRIu64 ", more than Belady's MIN (%" PRIu64 ")\n",
               rows[r].label, cell->hits, trace->name, capacities[s], min);
      }
    }
  return failures;
}

static cJSON *json_table(const trace_t *trace, const uint64_t *capacities,
                         const row_t *rows, int row_count,
                         const cell_t *cells) {
  cJSON *table = cJSON_CreateObject();
  cJSON_AddStringToObject(table, "trace", trace->name);
  cJSON_AddStringToObject(table, "title", trace->title);
  cJSON *sizes = cJSON_AddArrayToObject(table, "max_entries");
  for (int s = 0; s < SIZES; s++)
    cJSON_AddItemToArray(sizes, cJSON_CreateNumber((double)capacities[s]));
  cJSON *list = cJSON_AddArrayToObject(table, "rows");
  for (int r = 0; r < row_count; r++) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddStringToObject(row, "policy", rows[r].label);
    if (rows[r].kind == ROW_PLUGIN)
      cJSON_AddStringToObject(row, "runs",
                              rows[r].policy == LC_POLICY_OWN   ? "own"
                              : rows[r].policy == LC_POLICY_LRU ? "lru"
                                                                : "none");
    cJSON *ratios = cJSON_AddArrayToObject(row, "hit_ratio_pct");
    for (int s = 0; s < SIZES; s++) {
      const cell_t *cell = &cells[r * SIZES + s];
      bool ran =
          cell->rc == 0 && !(rows[r].kind == ROW_PLUGIN && rows[r].policy == 0);
      cJSON_AddItemToArray(
          ratios, ran ? cJSON_CreateNumber(percent(cell->hits, trace->length))
                      : cJSON_CreateNull());
    }
    cJSON_AddItemToArray(list, row);
  }
  return table;
}

static int write_json(const char *path, cJSON *root) {
  char *text = cJSON_Print(root);
  FILE *file = text != NULL ? fopen(path, "w") : NULL;
  int ok = file != NULL && fputs(text, file) >= 0;
  if (file != NULL)
    ok = fclose(file) == 0 && ok;
  free(text);
  if (!ok)
    fprintf(stderr, "hit_ratio: cannot write %s\n", path);
  return ok ? 0 : -EIO;
}

static double seconds_since(const struct timespec *start) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - start->tv_sec) +
         (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* The command line that gives the same tables. */
static void format_command(char *out, size_t size, const char *program,
                           const options_t *options) {
  int used = snprintf(
      out, size, "%s --seed %" PRIu64 " --requests %" PRIu64 " --keys %" PRIu64,
      program, options->seed, options->requests, options->keys);
  for (int i = 0; i < options->plugin_count && used > 0 && (size_t)used < size;
       i++)
    used += snprintf(out + used, size - (size_t)used, " --plugin %s",
                     options->plugins[i]);
}

static int run(const options_t *options, const char *command) {
  static row_t rows[MAX_PLUGINS * 2 + 3];
  int count = 0;
  rows[count++] = (row_t){.kind = ROW_FIFO, .label = "FIFO"};
  int lru_row = count;
  rows[count++] = (row_t){.kind = ROW_LRU, .label = "LRU"};
  count += add_reference_rows(&rows[count], MAX_PLUGINS, REFERENCE_DIR);
  for (int i = 0; i < options->plugin_count; i++)
    row_open_plugin(&rows[count++], options->plugins[i]);
  int min_row = count;
  rows[count++] = (row_t){.kind = ROW_MIN, .label = "Belady's MIN"};

  uint64_t capacities[SIZES];
  for (int s = 0; s < SIZES; s++) {
    capacities[s] = options->keys * size_permille[s] / 1000;
    capacities[s] = capacities[s] > 0 ? capacities[s] : 1;
  }
  cell_t *cells = malloc((size_t)count * SIZES * sizeof *cells);
  job_t *jobs = malloc((size_t)count * SIZES * sizeof *jobs);
  if (cells == NULL || jobs == NULL) {
    fprintf(stderr, "hit_ratio: out of memory\n");
    return 1;
  }
  cJSON *root = cJSON_CreateObject();
  cJSON_AddStringToObject(root, "command", command);
  cJSON *tables = cJSON_AddArrayToObject(root, "tables");
  struct timespec start;
  clock_gettime(CLOCK_MONOTONIC, &start);
  printf("hit ratio of a get, and a put of %d bytes on a miss, per request; "
         "the last column is the distance to Belady's MIN in points\n",
         VALUE_LEN);
  int failures = 0, lru_compared = 0;
  uint64_t seed_state = options->seed;
  for (int t = 0; t < TRACES; t++) {
    trace_t trace;
    fprintf(stderr, "hit_ratio: trace %d of %d ...\n", t + 1, TRACES);
    if (trace_make(&trace, t, options, rng_splitmix64(&seed_state)) != 0) {
      fprintf(stderr, "hit_ratio: out of memory for the trace\n");
      trace_free(&trace);
      failures++;
      break;
    }
    memset(cells, 0, (size_t)count * SIZES * sizeof *cells);
    /* Plug-ins first: they are the slowest, and a long job started last
     * would leave the other threads idle. */
    size_t job_count = 0;
    for (int pass = 0; pass < 2; pass++)
      for (int r = 0; r < count; r++) {
        bool plugin = rows[r].kind == ROW_PLUGIN;
        if (plugin != (pass == 0) || (plugin && rows[r].policy == 0))
          continue;
        for (int s = 0; s < SIZES; s++)
          jobs[job_count++] =
              (job_t){&rows[r], &trace, capacities[s], &cells[r * SIZES + s]};
      }
    run_jobs(jobs, job_count, options->jobs);
    print_table(&trace, capacities, rows, count, cells, min_row);
    failures += check_table(&trace, capacities, rows, count, cells, lru_row,
                            min_row, &lru_compared);
    cJSON_AddItemToArray(tables,
                         json_table(&trace, capacities, rows, count, cells));
    trace_free(&trace);
  }
  printf("\nchecks: %d plug-in runs as LC_POLICY_LRU compared with exact "
         "LRU, every row compared with MIN: %s\n",
         lru_compared, failures == 0 ? "all agree" : "FAILED (see above)");
  printf("%.1f s on %d threads; replay: %s\n", seconds_since(&start),
         options->jobs, command);
  if (options->json != NULL && write_json(options->json, root) != 0)
    failures++;
  cJSON_Delete(root);
  free(cells);
  free(jobs);
  for (int r = 0; r < count; r++)
    if (rows[r].kind == ROW_PLUGIN && rows[r].plugin.path != NULL)
      plugin_close(&rows[r].plugin);
  return failures == 0 ? 0 : 1;
}

static void usage(void) {
  fprintf(stderr,
          "usage: hit_ratio [--seed N] [--requests N] [--keys N] [--jobs N] "
          "[--plugin SO]... [--json FILE]\n"
          "  hit ratios of FIFO, LRU, Belady's MIN, every plug-in in\n"
          "  %s and each --plugin, on three traces\n",
          REFERENCE_DIR);
}

int main(int argc, char **argv) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  options_t options = {.seed = 42,
                       .requests = 10000000,
                       .keys = 1000000,
                       .jobs = cpus < 1          ? 1
                               : cpus > MAX_JOBS ? MAX_JOBS
                                                 : (int)cpus};
  static const struct option long_options[] = {
      {"seed", required_argument, NULL, 's'},
      {"requests", required_argument, NULL, 'r'},
      {"keys", required_argument, NULL, 'k'},
      {"jobs", required_argument, NULL, 'j'},
      {"plugin", required_argument, NULL, 'p'},
      {"json", required_argument, NULL, 'o'},
      {NULL, 0, NULL, 0}};
  int option;
  while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    switch (option) {
    case 's': options.seed = strtoull(optarg, NULL, 0); break;
    case 'r': options.requests = strtoull(optarg, NULL, 10); break;
    case 'k': options.keys = strtoull(optarg, NULL, 10); break;
    case 'j': options.jobs = atoi(optarg); break;
    case 'p':
      if (options.plugin_count == MAX_PLUGINS) {
        fprintf(stderr, "hit_ratio: at most %d --plugin\n", MAX_PLUGINS);
        return 2;
      }
      options.plugins[options.plugin_count++] = optarg;
      break;
    case 'o': options.json = optarg; break;
    default: usage(); return 2;
    }
  }
  /* Key numbers, scan keys included (up to keys + requests / 10), and
   * request numbers are 32-bit, NONE excepted. */
  if (optind != argc || options.keys < 100 || options.requests == 0 ||
      options.requests >= NONE || options.keys + options.requests >= NONE ||
      options.jobs < 1 || options.jobs > MAX_JOBS) {
    usage();
    fprintf(stderr,
            "hit_ratio: keys >= 100, keys + requests < 2^32, jobs "
            "1..%d\n",
            MAX_JOBS);
    return 2;
  }
  char command[8192];
  format_command(command, sizeof command, argv[0], &options);
  return run(&options, command);
}
