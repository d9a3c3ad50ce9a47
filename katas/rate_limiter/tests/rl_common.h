/* rl_common.h - the requirements every algorithm shares (keys, edge times,
 * bad configs, a random run against the model, leaks), as test bodies that
 * each stage file calls with its own algorithm. */
#ifndef RL_COMMON_H
#define RL_COMMON_H

#include "rate_limiter.h"

/* A fresh key gets exactly L requests at one instant, then denials. */
void rlc_allows_exactly_the_limit_at_one_instant(rl_algorithm_t algorithm);

/* Exhausting one key leaves the others untouched. */
void rlc_keys_are_independent(rl_algorithm_t algorithm);

/* Keys whose state still matters are kept while calls on other keys go
 * on at the last ns before they turn idle: forgetting them changes an
 * answer. */
void rlc_keys_are_kept_while_their_state_matters(rl_algorithm_t algorithm);

/* Limit 1 over a run of times. */
void rlc_limit_one_allows_one_request(rl_algorithm_t algorithm);

/* Limit 0 denies every request with retry_after_ns RL_NEVER. */
void rlc_limit_zero_denies_everything(rl_algorithm_t algorithm);

/* The empty key is a key, whether passed as NULL or as a pointer. */
void rlc_empty_key_is_a_key(rl_algorithm_t algorithm);

/* Keys that differ only after a NUL byte are different keys. */
void rlc_binary_keys_differ_after_a_nul(rl_algorithm_t algorithm);

/* Keys equal in their first 16 (or 64) bytes, or prefixes of each other,
 * are different keys. */
void rlc_keys_sharing_a_prefix_are_distinct(rl_algorithm_t algorithm);

/* 1024-byte keys work and are compared in full. */
void rlc_keys_of_1024_bytes_are_accepted(rl_algorithm_t algorithm);

/* A 1025-byte key gets -EINVAL. */
void rlc_keys_longer_than_1024_bytes_are_rejected(rl_algorithm_t algorithm);

/* The caller overwrites its key buffer right after each call. */
void rlc_caller_may_reuse_the_key_buffer(rl_algorithm_t algorithm);

/* now_ns = 0 is an ordinary time. */
void rlc_time_zero_is_a_valid_time(rl_algorithm_t algorithm);

/* Times near 2^62 neither overflow nor wrap. */
void rlc_times_near_2_to_the_62_work(rl_algorithm_t algorithm);

/* With L * W near 2^63, sums of two products below it (a bucket's level
 * plus its refill, the sliding window's two weighted counts) do not wrap. */
void rlc_sums_of_large_products_do_not_overflow(rl_algorithm_t algorithm);

/* After a gap of years a key is fresh again: full, not more. */
void rlc_keys_are_fresh_after_a_gap_of_years(rl_algorithm_t algorithm);

/* An earlier now_ns than the latest seen for the key counts as the latest. */
void rlc_earlier_time_is_treated_as_the_latest_seen(rl_algorithm_t algorithm);

/* rl_create rejects window 0 and L * W >= 2^63, and accepts the largest
 * valid product. */
void rlc_create_rejects_invalid_configs(rl_algorithm_t algorithm);

/* Limit 1 with window_ns 2^63 - 1, the largest valid product, decides as
 * the rule says, up to t = 2^63 - 1. */
void rlc_the_largest_valid_product_decides_exactly(rl_algorithm_t algorithm);

/* rl_destroy(NULL) does nothing. */
void rlc_destroy_accepts_null(rl_algorithm_t algorithm);

/* Seeded random operations over many keys, limits and windows, each
 * decision compared with the model. */
void rlc_matches_the_model_on_random_operations(rl_algorithm_t algorithm);

/* Every byte allocated from rl_create to rl_destroy is freed. */
void rlc_destroy_frees_every_byte(rl_algorithm_t algorithm);

#endif /* RL_COMMON_H */
