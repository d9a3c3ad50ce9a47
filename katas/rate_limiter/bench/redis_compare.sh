#!/bin/bash
# redis_compare.sh - the Redis-backed rate limiter reference (stage 7)
# against redis-benchmark running the same GCRA script with EVALSHA, on a
# private redis-server (loopback, no persistence), at 1, 4, 16 and 50
# connections. After an untimed warm-up run of each, ROUNDS rounds run
# both clients at every connection count, one and at once the other, the
# order flipped each round, so that a busy machine slows both alike: the
# reference for SECONDS_PER_RUN s, redis-benchmark for as many requests as
# it made in that time in its previous run. Prints per connection count
# both clients' median decisions/s and the median of the per-round ratios
# reference / redis-benchmark with their quartiles and min-max (see
# bench/lib.sh), and the reference's median p50 and p99. About 80 s by
# default; every run is bounded by a timeout, and the server is stopped on
# any exit.
# Usage: katas/rate_limiter/bench/redis_compare.sh   (run `make build` first, or
# `make kata=rate_limiter bench mode=redis`)
# Environment: ROUNDS (default 6), SECONDS_PER_RUN (default 1.5), BUILD.
set -euo pipefail

cd "$(dirname "$0")/../../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
build=${BUILD:-build/default}
decisions=$build/katas/rate_limiter/redis_decisions
rounds=${ROUNDS:-6}
seconds=${SECONDS_PER_RUN:-1.5}
keys=100000
connection_counts="1 4 16 50"

if [ ! -x "$decisions" ]; then
  echo "redis_compare: $decisions is missing; run make build first" >&2
  exit 2
fi

bench_init redis_compare
work=$bench_work
# A run still going a minute after ten times its expected length has hung.
limit=$(awk -v s="$seconds" 'BEGIN { printf "%d", s * 10 + 60 }')

port=$(bench_free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
bench_track $!
bench_wait_ping "$port"
sha=$("$decisions" --port "$port" --sha)

# redis-benchmark's requests/s for EVALSHA at $1 connections, $2 requests.
bench_rate() {
  local rate
  rate=$(timeout "$limit" redis-benchmark -p "$port" -c "$1" -n "$2" \
    -r "$keys" -q EVALSHA "$sha" 1 "rl7:100:1000000000:bench:__rand_int__" \
    1000000000000 100 1000000000 | bench_redis_benchmark_rate)
  [ -n "$rate" ] || bench_die "redis-benchmark at $1 connections failed"
  echo "$rate"
}

# The reference's decisions/s at $1 connections for $2 s; its line
# (decisions/s, p50_us, p99_us), after the connection count, is appended to
# the file $3.
reference_rate() {
  local line rate
  line=$(timeout "$limit" "$decisions" --port "$port" --connections "$1" \
    --seconds "$2" --keys "$keys")
  echo "$1 $line" >> "$3"
  rate=$(echo "$line" | sed -n 's/.*decisions\/s \([0-9]*\).*/\1/p')
  [ -n "$rate" ] || bench_die "redis_decisions at $1 connections failed"
  echo "$rate"
}

# Requests for redis-benchmark's next run: its last rate times the seconds.
declare -A requests
resize() {
  requests[$1]=$(awk -v a="$2" -v s="$seconds" \
    'BEGIN { n = int(a * s); print (n < 1000 ? 1000 : n) }')
}

echo "redis_compare: warm-up at $connection_counts connections" >&2
for connections in $connection_counts; do
  resize "$connections" "$(bench_rate "$connections" 10000)"
  reference_rate "$connections" 0.5 /dev/null > /dev/null
done

: > "$work/rows"
: > "$work/reference"
for round in $(seq "$rounds"); do
  for connections in $connection_counts; do
    if [ $((round % 2)) -eq 1 ]; then
      ours=$(reference_rate "$connections" "$seconds" "$work/reference")
      theirs=$(bench_rate "$connections" "${requests[$connections]}")
    else
      theirs=$(bench_rate "$connections" "${requests[$connections]}")
      ours=$(reference_rate "$connections" "$seconds" "$work/reference")
    fi
    printf '%s\t%s\t%s\n' "$connections" "$ours" "$theirs" >> "$work/rows"
    echo "redis_compare: round $round/$rounds, $connections connections:" \
      "reference $(bench_human "$ours"), redis-benchmark" \
      "$(bench_human "$theirs")" >&2
    resize "$connections" "$theirs"
  done
done

echo "Redis-backed reference (GCRA, one EVALSHA per decision) against"
echo "redis-benchmark running the same script; redis-server $(redis-server \
--version | sed 's/.*v=\([^ ]*\).*/\1/'), 127.0.0.1:$port,"
echo "$keys keys, about $seconds s a run, decisions/s:"
bench_summary connections reference redis-benchmark "$work/rows"
bench_summary_legend "$rounds"
echo "  reference latency, median of the rounds:"
for connections in $connection_counts; do
  lines=$(awk -v c="$connections" '$1 == c' "$work/reference")
  p50=$(echo "$lines" | sed -n 's/.*p50_us \([0-9.]*\).*/\1/p' | bench_median)
  p99=$(echo "$lines" | sed -n 's/.*p99_us \([0-9.]*\).*/\1/p' | bench_median)
  printf '    %2s connections: p50 %.0f us, p99 %.0f us\n' "$connections" \
    "$p50" "$p99"
done
echo "  (reference: $decisions, one thread and one connection each;"
echo "  redis-benchmark: one thread, the connections multiplexed, -P 1)"
