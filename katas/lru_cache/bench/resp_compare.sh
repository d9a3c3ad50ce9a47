#!/bin/bash
# resp_compare.sh - the LRU cache reference served over RESP (sdkata serve
# lru_cache) against a redis-server started for the purpose (maxmemory with
# allkeys-lru, persistence off), under the same redis-benchmark commands:
# SET and GET, 50 connections, 100 000 random keys, without and with
# pipelining (-P 16). Both servers start once and keep running. After an
# untimed warm-up (both filled with every key, then one short run of each
# command), ROUNDS rounds run every command on one server and at once on
# the other, the order flipped each round, so that a busy machine slows
# both alike; each pair runs the same request count, sized from the
# previous pair to last about SECONDS_PER_RUN s. Prints per command both
# servers' median ops/s and the median of the per-round ratios sdkata /
# redis-server with their quartiles and min-max (see bench/lib.sh). About
# 100 s by default (2 minutes on a busy machine); every run is bounded by
# a timeout, and the servers are stopped on any exit.
# Usage: katas/lru_cache/bench/resp_compare.sh [impl]   (impl: reference by default;
# run `make build` first, or `make kata=lru_cache bench mode=resp`)
# Environment: ROUNDS (default 8), SECONDS_PER_RUN (default 1.25), SDKATA.
set -euo pipefail

cd "$(dirname "$0")/../../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
sdkata=${SDKATA:-build/default/sdkata}
impl=${1:-reference}
rounds=${ROUNDS:-8}
seconds=${SECONDS_PER_RUN:-1.25}
keyspace=100000
commands="set:1 get:1 set:16 get:16"

if [ ! -x "$sdkata" ]; then
  echo "resp_compare: $sdkata is missing; run make build first" >&2
  exit 2
fi

bench_init resp_compare
work=$bench_work
# A run still going a minute after ten times its expected length has hung.
limit=$(awk -v s="$seconds" 'BEGIN { printf "%d", s * 10 + 60 }')

redis_port=$(bench_free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" \
  --appendonly no --maxmemory 256mb --maxmemory-policy allkeys-lru \
  --dir "$work" --logfile "$work/redis.log" &
bench_track $!
bench_wait_ping "$redis_port"

sdkata_port=$(bench_free_port)
"$sdkata" serve lru_cache --impl "$impl" --port "$sdkata_port" \
  --max-bytes 268435456 > "$work/sdkata.log" 2>&1 &
bench_track $!
bench_wait_ping "$sdkata_port"

# ops/s of `redis-benchmark -t $2 -P $3 -n $4` on port $1; a run that
# hangs or fails ends the script.
rate() {
  local rate
  rate=$(timeout "$limit" redis-benchmark -p "$1" -c 50 \
    -n "$4" -r "$keyspace" -P "$3" -q -t "$2" | bench_redis_benchmark_rate)
  [ -n "$rate" ] || bench_die "redis-benchmark -t $2 -P $3 on port $1 failed"
  echo "$rate"
}

label() { echo "${1%:*}" "-P ${1#*:}" | tr '[:lower:]' '[:upper:]'; }

echo "resp_compare: warm-up: filling both servers, sizing the runs" >&2
for port in "$sdkata_port" "$redis_port"; do
  rate "$port" set 16 $((keyspace * 5)) > /dev/null
done
# Requests for the next run of a command: both servers' last rates,
# averaged, times the seconds asked for; the same count for both.
declare -A requests
resize() {
  requests[$1]=$(awk -v a="$2" -v b="$3" -v s="$seconds" \
    'BEGIN { n = int((a + b) / 2 * s); print (n < 10000 ? 10000 : n) }')
}
for command in $commands; do
  test=${command%:*} pipeline=${command#*:}
  probe=$((pipeline == 1 ? 30000 : 300000))
  ours=$(rate "$sdkata_port" "$test" "$pipeline" "$probe")
  theirs=$(rate "$redis_port" "$test" "$pipeline" "$probe")
  resize "$command" "$ours" "$theirs"
done

: > "$work/rows"
for round in $(seq "$rounds"); do
  for command in $commands; do
    test=${command%:*} pipeline=${command#*:} n=${requests[$command]}
    if [ $((round % 2)) -eq 1 ]; then
      ours=$(rate "$sdkata_port" "$test" "$pipeline" "$n")
      theirs=$(rate "$redis_port" "$test" "$pipeline" "$n")
    else
      theirs=$(rate "$redis_port" "$test" "$pipeline" "$n")
      ours=$(rate "$sdkata_port" "$test" "$pipeline" "$n")
    fi
    printf '%s\t%s\t%s\n' "$(label "$command")" "$ours" "$theirs" \
      >> "$work/rows"
    echo "resp_compare: round $round/$rounds $(label "$command")" \
      "(-n $n): sdkata $(bench_human "$ours"), redis" \
      "$(bench_human "$theirs")" >&2
    resize "$command" "$ours" "$theirs"
  done
done

echo "redis-benchmark -c 50 -r $keyspace, about $seconds s a run, 127.0.0.1:"
echo "  sdkata serve lru_cache --impl $impl  against  redis-server" \
  "$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
  "(allkeys-lru, no persistence), ops/s"
bench_summary command sdkata redis "$work/rows"
bench_summary_legend "$rounds"
