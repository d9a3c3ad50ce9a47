/* test_verdict.c - the load verdict respects noise: the ratio comes from
 * paired rounds with its spread, rounds that straddle a band's line make a
 * tie, and advice appears only when a measured figure points at a cause. */
#include <criterion/criterion.h>
#include <string.h>

#include "verdict.h"

/* A row measured in rounds with these throughputs, and these figures. */
static report_load_row_t row(const char *label, const double *round_ops,
                             unsigned rounds, uint64_t p50, uint64_t p99,
                             int64_t bytes_per_key) {
  report_load_row_t r;
  memset(&r, 0, sizeof r);
  snprintf(r.label, sizeof r.label, "%s", label);
  for (unsigned i = 0; i < rounds; i++)
    r.round_ops[i] = round_ops[i];
  r.rounds = rounds;
  r.ops_per_second = round_ops[rounds / 2];
  r.p50 = p50;
  r.p99 = p99;
  r.bytes_per_key = bytes_per_key;
  return r;
}

static void assert_says(const char *verdict, const char *words) {
  cr_assert(strstr(verdict, words) != NULL,
            "expected the verdict to say \"%s\"; it said \"%s\"", words,
            verdict);
}

static void assert_does_not_say(const char *verdict, const char *words) {
  cr_assert(strstr(verdict, words) == NULL,
            "expected the verdict not to say \"%s\"; it said \"%s\"", words,
            verdict);
}

Test(verdict, the_ratio_pairs_rounds_so_a_machine_that_slows_moves_both) {
  /* The machine halves its speed in round 2: both halve, the ratio holds. */
  double mine[] = {5e6, 2.5e6, 5e6}, ref[] = {10e6, 5e6, 10e6};
  report_load_row_t a = row("mine", mine, 3, 100, 300, 50);
  report_load_row_t b = row("reference", ref, 3, 100, 300, 50);
  verdict_ratio_t ratio;
  cr_assert_eq(verdict_ratio(&a, &b, &ratio), 0);
  cr_assert(ratio.median == 0.5 && ratio.low == 0.5 && ratio.high == 0.5 &&
                ratio.rounds == 3,
            "rounds 5M/10M, 2.5M/5M, 5M/10M: expected 0.5x with no spread "
            "over 3 rounds; got %gx (%g-%g) over %u",
            ratio.median, ratio.low, ratio.high, ratio.rounds);
}

Test(verdict, rounds_that_straddle_a_line_are_a_tie_within_noise) {
  double mine[] = {4.5e6, 5.2e6, 5.8e6}, ref[] = {10e6, 10e6, 10e6};
  report_load_row_t a = row("mine", mine, 3, 100, 300, 50);
  report_load_row_t b = row("reference", ref, 3, 100, 300, 50);
  char verdict[1024];
  verdict_write(&a, &b, 2, verdict, sizeof verdict);
  assert_says(verdict, "0.52x the reference's throughput (0.45x–0.58x over 3 "
                       "rounds)");
  assert_says(verdict, "a tie within noise between \"well behind the "
                       "reference\" and \"within 2x of the reference\"");
}

Test(verdict, rounds_inside_one_band_get_its_words_and_no_advice_unmeasured) {
  double mine[] = {2.1e6, 2.2e6, 2.3e6}, ref[] = {10e6, 10e6, 10e6};
  report_load_row_t a = row("mine", mine, 3, 100, 300, 50);
  report_load_row_t b = row("reference", ref, 3, 100, 300, 50);
  char verdict[1024];
  verdict_write(&a, &b, 2, verdict, sizeof verdict);
  assert_says(verdict, "- well behind the reference");
  assert_does_not_say(verdict, "tie");
  /* Same p50, p99 and bytes as the reference: nothing to point at. */
  assert_does_not_say(verdict, ";");
}

Test(verdict, a_tail_far_above_the_median_on_threads_is_named_contention) {
  double mine[] = {2e6, 2e6, 2e6}, ref[] = {10e6, 10e6, 10e6};
  report_load_row_t a = row("mine", mine, 3, 100, 20000, 50);
  report_load_row_t b = row("reference", ref, 3, 100, 300, 50);
  char verdict[1024];
  verdict_write(&a, &b, 2, verdict, sizeof verdict);
  assert_says(verdict, "p99 is 200x its p50 on 2 threads where the "
                       "reference's is 3x: calls wait for each other");
  /* One thread cannot contend with itself. */
  verdict_write(&a, &b, 1, verdict, sizeof verdict);
  assert_does_not_say(verdict, "wait for each other");
}

Test(verdict, bytes_per_key_far_above_the_references_point_at_layout) {
  double mine[] = {9.5e6, 9.6e6, 9.7e6}, ref[] = {10e6, 10e6, 10e6};
  report_load_row_t a = row("mine", mine, 3, 100, 300, 400);
  report_load_row_t b = row("reference", ref, 3, 100, 300, 60);
  char verdict[1024];
  verdict_write(&a, &b, 2, verdict, sizeof verdict);
  assert_says(verdict, "on par with the reference");
  assert_says(verdict, "keeps 400 bytes per key where the reference keeps 60");
}

Test(verdict, a_slow_call_is_named_only_when_behind_and_measured_so) {
  double mine[] = {1e6, 1e6, 1e6}, ref[] = {10e6, 10e6, 10e6};
  report_load_row_t a = row("mine", mine, 3, 900, 2700, 50);
  report_load_row_t b = row("reference", ref, 3, 100, 300, 50);
  char verdict[1024];
  verdict_write(&a, &b, 1, verdict, sizeof verdict);
  assert_says(verdict, "a call takes 900ns at p50 where the reference's "
                       "takes 100ns");
}

Test(verdict, the_same_figures_always_give_the_same_words) {
  double mine[] = {4.5e6, 5.2e6, 5.8e6, 5.0e6, 4.9e6};
  double ref[] = {10e6, 9e6, 11e6, 10e6, 10.5e6};
  report_load_row_t a = row("mine", mine, 5, 150, 9000, 300);
  report_load_row_t b = row("reference", ref, 5, 100, 300, 60);
  char first[1024], second[1024];
  verdict_write(&a, &b, 2, first, sizeof first);
  verdict_write(&a, &b, 2, second, sizeof second);
  cr_assert_str_eq(first, second);
}

Test(verdict, rows_without_a_shared_round_have_no_ratio) {
  double mine[] = {1e6};
  report_load_row_t a = row("mine", mine, 1, 100, 300, 50);
  report_load_row_t b = row("reference", mine, 1, 100, 300, 50);
  b.rounds = 0;
  verdict_ratio_t ratio;
  cr_assert_eq(verdict_ratio(&a, &b, &ratio), -EINVAL,
               "a reference measured in no round: expected -EINVAL");
}
