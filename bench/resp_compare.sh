#!/bin/bash
# resp_compare.sh - the LRU cache reference served over RESP (sdkata serve
# lru_cache) against a redis-server started for the purpose (maxmemory with
# allkeys-lru, persistence off), under the same redis-benchmark commands,
# one after the other in one run: GET and SET, 50 connections, without and
# with pipelining. About 30 s; stops its servers by itself.
# Usage: bench/resp_compare.sh [impl]   (impl: reference by default;
# run `make build` first, or `make kata=lru_cache bench mode=resp`)
set -euo pipefail

cd "$(dirname "$0")/.."
sdkata=${SDKATA:-build/default/sdkata}
impl=${1:-reference}
requests=${REQUESTS:-200000}
keyspace=100000

if [ ! -x "$sdkata" ]; then
  echo "resp_compare: $sdkata is missing; run make build first" >&2
  exit 2
fi

work=$(mktemp -d /tmp/sdkata-resp.XXXXXX)
pids=""
cleanup() {
  for pid in $pids; do kill "$pid" 2> /dev/null || true; done
  for pid in $pids; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  for _ in $(seq 20); do
    local candidate=$((20000 + RANDOM % 20000))
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2> /dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "resp_compare: no free port" >&2
  exit 1
}

wait_ping() {
  for _ in $(seq 100); do
    redis-cli -p "$1" ping > /dev/null 2>&1 && return
    sleep 0.1
  done
  echo "resp_compare: nothing answers PING on port $1" >&2
  exit 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" \
  --appendonly no --maxmemory 256mb --maxmemory-policy allkeys-lru \
  --dir "$work" --logfile "$work/redis.log" &
pids="$pids $!"
wait_ping "$redis_port"

sdkata_port=$(free_port)
"$sdkata" serve lru_cache --impl "$impl" --port "$sdkata_port" \
  --max-bytes 268435456 > "$work/sdkata.log" 2>&1 &
pids="$pids $!"
wait_ping "$sdkata_port"

# ops/s of one redis-benchmark test on port $1 with extra flags $2.
rate() {
  # shellcheck disable=SC2086
  redis-benchmark -p "$1" -c 50 -n "$requests" -r "$keyspace" $2 -q \
    -t "$3" | tr '\r' '\n' |
    sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -1
}

echo "redis-benchmark -c 50 -n $requests -r $keyspace, 127.0.0.1:"
echo "  sdkata serve lru_cache --impl $impl  against  redis-server" \
  "$(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
  "(allkeys-lru, no persistence)"
printf "%-8s %-6s %14s %14s %8s\n" test "-P" "sdkata ops/s" "redis ops/s" ratio
for pipeline in 1 16; do
  for test in set get; do
    ours=$(rate "$sdkata_port" "-P $pipeline" "$test")
    theirs=$(rate "$redis_port" "-P $pipeline" "$test")
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')
    printf "%-8s %-6s %14.0f %14.0f %7sx\n" "$test" "$pipeline" "$ours" \
      "$theirs" "$ratio"
  done
done
