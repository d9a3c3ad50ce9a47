#!/bin/bash
# redis_compare.sh - the Redis-backed rate limiter reference (stage 7)
# against redis-benchmark running the same GCRA script with EVALSHA, on a
# private redis-server (loopback, no persistence), at the same numbers of
# connections, one after the other in one run. About 40 s; stops its server
# by itself. Usage: bench/redis_compare.sh   (run `make build` first)
set -euo pipefail

cd "$(dirname "$0")/.."
build=${BUILD:-build/default}
decisions=$build/bench/redis_decisions
seconds=${SECONDS_PER_RUN:-4}
keys=100000

if [ ! -x "$decisions" ]; then
  echo "redis_compare: $decisions is missing; run make build first" >&2
  exit 2
fi

work=$(mktemp -d /tmp/sdkata-redis.XXXXXX)
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then
    kill "$redis_pid" 2> /dev/null || true
    wait "$redis_pid" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port: the first of a few random ones nobody listens on.
port=""
for _ in $(seq 20); do
  candidate=$((20000 + RANDOM % 20000))
  if ! (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2> /dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "redis_compare: no free port" >&2; exit 1; }

redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
for _ in $(seq 50); do
  redis-cli -p "$port" ping > /dev/null 2>&1 && break
  sleep 0.1
done
sha=$("$decisions" --port "$port" --sha)

echo "Redis-backed reference (GCRA, one EVALSHA per decision) against"
echo "redis-benchmark running the same script; redis-server $(redis-server \
--version | sed 's/.*v=\([^ ]*\).*/\1/'), 127.0.0.1:$port, $keys keys."
printf "%-12s %16s %16s %8s %10s %10s\n" connections "redis-benchmark" \
  "reference" ratio "ref p50" "ref p99"
for connections in 1 4 16 50; do
  # As many requests as the reference's run makes, roughly: the same time.
  requests=$((connections == 1 ? 60000 : 300000))
  bench_rate=$(redis-benchmark -p "$port" -c "$connections" -n "$requests" \
    -r "$keys" -q EVALSHA "$sha" 1 "rl7:100:1000000000:bench:__rand_int__" \
    1000000000000 100 1000000000 | tr '\r' '\n' |
    sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1)
  line=$("$decisions" --port "$port" --connections "$connections" \
    --seconds "$seconds" --keys "$keys")
  ours=$(echo "$line" | sed 's/.*decisions\/s \([0-9]*\).*/\1/')
  p50=$(echo "$line" | sed 's/.*p50_us \([0-9.]*\).*/\1/')
  p99=$(echo "$line" | sed 's/.*p99_us \([0-9.]*\).*/\1/')
  ratio=$(awk -v a="$ours" -v b="$bench_rate" 'BEGIN { printf "%.2f", a / b }')
  printf "%-12s %16.0f %16.0f %7sx %8s us %8s us\n" "$connections" \
    "$bench_rate" "$ours" "$ratio" "$p50" "$p99"
done
echo "(reference: $decisions, one thread and one connection each;"
echo " redis-benchmark: one thread, the connections multiplexed, -P 1)"
