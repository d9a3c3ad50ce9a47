#!/bin/bash
# http_compare.sh - the rate limiter's HTTP gateway against nginx, and
# sdkata's httpload against wrk, on loopback, closed loop with the same
# connections and threads. Both servers start once and keep running; ROUNDS
# rounds each run the four pairings (wrk and httpload, each against nginx
# and the gateway) for SECONDS_PER_RUN s, the order reversed every other
# round, so that a busy machine slows both sides of a ratio alike. Prints
# per pairing the median req/s of both sides and the median of the
# per-round ratios gateway / nginx and httpload / wrk with their quartiles
# and min-max (see bench/lib.sh); then one open-loop run at half the
# gateway's median saturation rate (a latency figure, not a comparison).
# About 60 s by default; every run is bounded by a timeout, and the servers
# are stopped on any exit.
# Usage: katas/rate_limiter/bench/http_compare.sh   (from anywhere; builds nothing: run
# `make build` first, or `make kata=rate_limiter bench mode=http`)
# Environment: ROUNDS (default 6), SECONDS_PER_RUN (whole seconds, default
# 2), CONNECTIONS (50), THREADS (2), SDKATA.
set -euo pipefail

cd "$(dirname "$0")/../../.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
sdkata=${SDKATA:-build/default/sdkata}
connections=${CONNECTIONS:-50}
threads=${THREADS:-2}
rounds=${ROUNDS:-6}
seconds=${SECONDS_PER_RUN:-2}
# httpload's warm-up before each run (wrk has none; its connects count).
warmup=0.5

if [ ! -x "$sdkata" ]; then
  echo "http_compare: $sdkata is missing; run make build first" >&2
  exit 2
fi
if ! command -v wrk > /dev/null || ! command -v nginx > /dev/null; then
  scripts/deps.sh wrk nginx-light
fi

bench_init http_compare
work=$bench_work

# nginx: one worker (the gateway serves on one libuv loop), no logging,
# every path answers "ok", and keep-alive connections are never closed
# (nginx closes them after 1000 requests by default; wrk and httpload would
# both reconnect, httpload counting a read error). The port is random; on
# a bind failure nginx exits at once and another port is tried.
start_nginx() {
  local attempt
  for attempt in 1 2 3 4 5; do
    nginx_port=$((20000 + RANDOM % 30000))
    cat > "$work/nginx.conf" << EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 200 "ok\n"; }
  }
}
EOF
    nginx -p "$work" -c "$work/nginx.conf" 2> "$work/nginx-start.log" &
    nginx_pid=$!
    sleep 0.5
    if kill -0 "$nginx_pid" 2> /dev/null; then
      bench_track "$nginx_pid"
      return 0
    fi
    wait "$nginx_pid" 2> /dev/null || true
    echo "http_compare: nginx attempt $attempt failed:" \
      "$(cat "$work/nginx-start.log")" >&2
  done
  exit 1
}

# The gateway on a free port (--port 0), read back from its first line.
start_gateway() {
  "$sdkata" serve rate_limiter --impl reference --port 0 \
    --limit 1000000000 > "$work/gateway.log" 2>&1 &
  gateway_pid=$!
  bench_track "$gateway_pid"
  local waited
  for waited in $(seq 50); do
    gateway_port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' \
      "$work/gateway.log")
    [ -n "$gateway_port" ] && return 0
    kill -0 "$gateway_pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "http_compare: the gateway did not start (after ${waited}x0.1 s):" >&2
  cat "$work/gateway.log" >&2
  exit 1
}

# wrk's req/s (wrk has no warm-up: its whole run counts).
run_wrk() {
  local port=$1
  shift
  timeout $((seconds + 20)) wrk -t"$threads" -c"$connections" \
    -d"${seconds}s" "$@" "http://127.0.0.1:$port/" > "$work/wrk.out"
  awk '/^Requests\/sec:/ { print $2 }' "$work/wrk.out"
}

# httpload's JSON number named $2 from the run written to $1.
json_number() {
  sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\([-0-9.e+]*\),\{0,1\}$/\1/p" \
    "$1" | head -n 1
}

# httpload's req/s, closed loop, 1 s warm-up; the table row goes to stderr.
run_httpload() {
  local port=$1 json=$2
  shift 2
  timeout $((seconds + 20)) "$sdkata" httpload --port "$port" \
    --connections "$connections" --threads "$threads" --seconds "$seconds" \
    --warmup "$warmup" --json "$json" "$@" > "$work/httpload.out" 2>&1 ||
    { cat "$work/httpload.out" >&2; bench_die "httpload failed"; }
  json_number "$json" ops_per_second
}

# The four runs of round $1, in one order or the other, one line of req/s
# each into the rows files: gateway/nginx by client, httpload/wrk by
# server.
round() {
  local wn wg hn hg step
  local steps="wn wg hn hg"
  [ $(($1 % 2)) -eq 1 ] || steps="hg hn wg wn"
  for step in $steps; do
    case $step in
      wn) wn=$(run_wrk "$nginx_port") ;;
      wg) wg=$(run_wrk "$gateway_port" "${key[@]}") ;;
      hn) hn=$(run_httpload "$nginx_port" "$work/hn.json") ;;
      hg)
        hg=$(run_httpload "$gateway_port" "$work/hg.json" \
          --header 'X-Client-Id: a')
        answered=$((answered + $(json_number "$work/hg.json" 200)))
        ;;
    esac
  done
  printf 'wrk\t%s\t%s\nhttpload\t%s\t%s\n' "$wg" "$wn" "$hg" "$hn" \
    >> "$work/servers"
  printf 'nginx\t%s\t%s\ngateway\t%s\t%s\n' "$hn" "$wn" "$hg" "$wg" \
    >> "$work/clients"
  echo "http_compare: round $1/$rounds: wrk -> nginx $(bench_human "$wn")," \
    "-> gateway $(bench_human "$wg"); httpload -> nginx" \
    "$(bench_human "$hn"), -> gateway $(bench_human "$hg")" >&2
}

start_nginx
start_gateway
echo "http_compare: nginx on 127.0.0.1:$nginx_port (1 worker), gateway on" \
  "127.0.0.1:$gateway_port (reference); $connections connections," \
  "$threads client threads, $rounds rounds of ${seconds} s runs" >&2

key=(-H 'X-Client-Id: a')
answered=0
: > "$work/servers"
: > "$work/clients"
for round in $(seq "$rounds"); do
  round "$round"
done

# Half the gateway's saturation rate, as the faster client measured it
# (the median of its rounds).
saturation=$(awk -F '\t' '$1 == "gateway" { print ($2 > $3 ? $2 : $3) }' \
  "$work/clients" | bench_median)
open_rate=$(awk -v s="$saturation" 'BEGIN { printf "%d", s / 2 }')
echo "http_compare: httpload -> gateway, open loop at $open_rate req/s" >&2
run_httpload "$gateway_port" "$work/open.json" --header 'X-Client-Id: a' \
  --rate "$open_rate" > /dev/null
open_p50=$(json_number "$work/open.json" p50_ns)
open_p99=$(json_number "$work/open.json" p99_ns)
open_achieved=$(json_number "$work/open.json" ops_per_second)

echo
echo "HTTP on loopback: GET /, $connections connections, $threads client" \
  "threads, closed loop, ${seconds} s per run, req/s"
bench_summary client gateway nginx "$work/servers"
echo
bench_summary server httpload wrk "$work/clients"
bench_summary_legend "$rounds"
echo "  gateway answered 200 to $answered of httpload's requests"
awk -v rate="$open_rate" -v got="$open_achieved" -v p50="$open_p50" \
  -v p99="$open_p99" 'BEGIN {
    printf "  open loop -> gateway at %d req/s (half of saturation): " \
      "achieved %.0f req/s, p50 %.0f µs, p99 %.0f µs\n",
      rate, got, p50 / 1000, p99 / 1000 }'
echo "targets: gateway/nginx >= 0.80, httpload/wrk >= 0.85"
