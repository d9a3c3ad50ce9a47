/* kata.h - what a kata tells the harness: its stages and its workload. */
#ifndef SDKATA_KATA_H
#define SDKATA_KATA_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h"

/* One stage: a Criterion suite in the kata's stage runner. */
typedef struct kata_stage {
  int number;        /* 1, 2, ... in the order they run */
  const char *suite; /* Criterion suite name, e.g. "sliding_log" */
  const char *title; /* for people, e.g. "sliding log" */
} kata_stage_t;

/* What "under load" means: one kind of instance, driven by key index. */
typedef struct kata_workload {
  const char *title; /* "fixed window" */
  int stage;         /* the stage that proves an implementation of it */
  /* Creates an instance from plugin into *instance. Returns 0, -ENOSYS when
   * the plug-in does not implement this workload, or another error. */
  int (*create)(const plugin_t *plugin, void **instance);
  void (*destroy)(void *instance);
  /* One operation on key number key (< key_count) at time now_ns. Must be
   * thread-safe; returns 0 or a negative error. */
  int (*operate)(void *instance, uint64_t key, uint64_t now_ns);
} kata_workload_t;

typedef struct kata {
  const char *name;   /* folder name under katas/ */
  const char *title;  /* "rate limiter" */
  const char *header; /* the contract file, relative to the kata folder */
  const kata_stage_t *stages;
  size_t stage_count;
  const kata_workload_t *workloads;
  size_t workload_count;
  /* Builds the keys once before load: key_count keys. Returns 0 or error. */
  int (*prepare_keys)(uint64_t key_count);
  void (*release_keys)(void);
} kata_t;

#endif /* SDKATA_KATA_H */
