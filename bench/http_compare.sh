#!/bin/bash
# http_compare.sh - the rate limiter's HTTP gateway against nginx, and
# sdkata's httpload against wrk, on loopback: four closed-loop runs with the
# same connections and threads, then one open-loop run at half the
# gateway's saturation rate. About 40 s; stops, and stops its servers, by
# itself. Usage: bench/http_compare.sh   (from anywhere; builds nothing:
# run `make build` first, or `make kata=rate_limiter bench mode=http`)
set -euo pipefail

cd "$(dirname "$0")/.."
sdkata=${SDKATA:-build/default/sdkata}
connections=${CONNECTIONS:-50}
threads=${THREADS:-2}
seconds=${SECONDS_PER_RUN:-5}

if [ ! -x "$sdkata" ]; then
  echo "http_compare: $sdkata is missing; run make build first" >&2
  exit 2
fi
if ! command -v wrk > /dev/null || ! command -v nginx > /dev/null; then
  scripts/deps.sh wrk nginx-light
fi

work=$(mktemp -d /tmp/sdkata-http.XXXXXX)
nginx_pid=""
gateway_pid=""
cleanup() {
  for pid in $nginx_pid $gateway_pid; do
    kill "$pid" 2> /dev/null || true
  done
  for pid in $nginx_pid $gateway_pid; do
    wait "$pid" 2> /dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

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
      return 0
    fi
    wait "$nginx_pid" 2> /dev/null || true
    nginx_pid=""
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
    --warmup 1 --json "$json" "$@" >&2
  json_number "$json" ops_per_second
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}
kilo() { awk -v a="$1" 'BEGIN { printf "%.1fK", a / 1000 }'; }

start_nginx
start_gateway
echo "nginx on 127.0.0.1:$nginx_port (1 worker), gateway on" \
  "127.0.0.1:$gateway_port (reference); $connections connections," \
  "$threads client threads, ${seconds} s per run" >&2

key=(-H 'X-Client-Id: a')
echo "(a) wrk -> nginx" >&2
wrk_nginx=$(run_wrk "$nginx_port")
echo "(b) httpload -> nginx" >&2
load_nginx=$(run_httpload "$nginx_port" "$work/b.json")
echo "(c) wrk -> gateway" >&2
wrk_gateway=$(run_wrk "$gateway_port" "${key[@]}")
echo "(d) httpload -> gateway" >&2
load_gateway=$(run_httpload "$gateway_port" "$work/d.json" \
  --header 'X-Client-Id: a')
status_200=$(json_number "$work/d.json" 200)

# Half the gateway's saturation rate, as the faster client measured it.
saturation=$(awk -v a="$wrk_gateway" -v b="$load_gateway" \
  'BEGIN { printf "%d", (a > b ? a : b) }')
open_rate=$((saturation / 2))
echo "(e) httpload -> gateway, open loop at $open_rate req/s" >&2
run_httpload "$gateway_port" "$work/e.json" --header 'X-Client-Id: a' \
  --rate "$open_rate" > /dev/null
open_p50=$(json_number "$work/e.json" p50_ns)
open_p99=$(json_number "$work/e.json" p99_ns)
open_achieved=$(json_number "$work/e.json" ops_per_second)

echo
echo "HTTP on loopback: GET /, $connections connections, $threads client" \
  "threads, ${seconds} s per run, req/s"
printf '  %-10s %10s %10s %16s\n' "client" "nginx" "gateway" "gateway/nginx"
printf '  %-10s %10s %10s %15sx\n' "wrk" "$(kilo "$wrk_nginx")" \
  "$(kilo "$wrk_gateway")" "$(ratio "$wrk_gateway" "$wrk_nginx")"
printf '  %-10s %10s %10s %15sx\n' "httpload" "$(kilo "$load_nginx")" \
  "$(kilo "$load_gateway")" "$(ratio "$load_gateway" "$load_nginx")"
printf '  %-10s %9sx %9sx\n' "httpload/wrk" \
  "$(ratio "$load_nginx" "$wrk_nginx")" \
  "$(ratio "$load_gateway" "$wrk_gateway")"
echo "  gateway answered 200 to ${status_200:-0} of httpload's requests in (d)"
awk -v rate="$open_rate" -v got="$open_achieved" -v p50="$open_p50" \
  -v p99="$open_p99" 'BEGIN {
    printf "  open loop -> gateway at %d req/s (half of saturation): " \
      "achieved %.0f req/s, p50 %.0f µs, p99 %.0f µs\n",
      rate, got, p50 / 1000, p99 / 1000 }'
echo "targets: gateway/nginx >= 0.80, httpload/wrk >= 0.85"
