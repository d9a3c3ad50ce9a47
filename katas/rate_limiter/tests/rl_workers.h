/* rl_workers.h - stage 7's worker processes: K copies of the stage runner
 * (uv_spawn), each with its own rl_redis handle, driven in lock-step phases
 * at a frozen shared clock so that what they admit together can be checked
 * exactly. */
#ifndef RL_WORKERS_H
#define RL_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RLW_MAX_WORKERS 8
#define RLW_MAX_KEYS 32

/* What the workers did in one phase, summed over them. */
typedef struct rlw_tally {
  uint64_t calls;
  uint64_t admitted[RLW_MAX_KEYS]; /* per shared key */
  uint64_t errors;                 /* calls that returned -EIO */
  /* Calls whose answer broke the contract: a return code other than 0 and
   * -EIO, or an -EIO decision that ignored fail_open. */
  uint64_t broken;
  char first_broken[256]; /* the first of them in words, or "" */
} rlw_tally_t;

typedef struct rlw_pool rlw_pool_t;

/* Starts count workers against Redis at 127.0.0.1:port, each making its
 * own handle with limit, window_ns and fail_open. Fails the test, naming
 * the worker and its words, when one cannot start or make its handle. */
rlw_pool_t *rlw_start(int count, int port, uint64_t limit, uint64_t window_ns,
                      bool fail_open);

/* The name of shared key k as the workers send it ("shared:7"). */
void rlw_key_name(size_t k, char *out, size_t out_size);

/* One phase: every worker makes requests_per_key calls on each of the
 * first key_count shared keys at the frozen time now_ns, key after key
 * round-robin, all workers at once; waits for all of them (failing the
 * test when one dies or takes over 20 s) and sums what they saw. */
void rlw_phase(rlw_pool_t *pool, uint64_t now_ns, size_t key_count,
               uint64_t requests_per_key, rlw_tally_t *tally);

/* Starts an open-ended phase: the workers call round-robin over key_count
 * keys at now_ns until rlw_phase_end. */
void rlw_phase_begin(rlw_pool_t *pool, uint64_t now_ns, size_t key_count);

/* Ends the open-ended phase and sums what the workers saw. */
void rlw_phase_end(rlw_pool_t *pool, rlw_tally_t *tally);

/* Stops the workers, checks that each exited cleanly, and stores the
 * latency of every decision they made (ns, ascending) in *latencies (heap,
 * caller frees) and their number in *count. */
void rlw_stop(rlw_pool_t *pool, uint64_t **latencies, size_t *count);

#endif /* RL_WORKERS_H */
