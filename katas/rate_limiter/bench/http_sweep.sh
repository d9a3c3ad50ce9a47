#!/bin/bash
# http_sweep.sh - latency against load for the rate limiter's HTTP gateway:
# the reference's saturation rate from a short closed-loop run, then
# open-loop runs at 10% ... 110% of it, for the reference and then for the
# learner's implementation (the same schedule for both, one server at a
# time), printed as a table and as an ASCII plot of p99 against the target
# rate. About 60 s (30 s per impl); stops, and stops its servers, by
# itself; loopback only.
# Usage: katas/rate_limiter/bench/http_sweep.sh [IMPL]   (IMPL as for --impl; default
# solution; builds nothing: run `make build` first, or
# `make kata=rate_limiter bench mode=http impl=...`)
set -euo pipefail

cd "$(dirname "$0")/../../.."
sdkata=${SDKATA:-build/default/sdkata}
impl=${1:-${IMPL:-solution}}
connections=${CONNECTIONS:-50}
threads=${THREADS:-2}
saturation_seconds=2
seconds=3
warmup=1
percents="10 25 50 75 90 100 110"

if [ ! -x "$sdkata" ]; then
  echo "http_sweep: $sdkata is missing; run make build first" >&2
  exit 2
fi
if ! command -v jq > /dev/null; then
  scripts/deps.sh jq
fi

work=$(mktemp -d /tmp/sdkata-sweep.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts `sdkata serve` for impl $1 on a free port (--port 0, read back from
# its first line) and sets server_port; returns 1, with the server's own
# words in $work/serve.log, when it cannot serve that impl (a stub exits at
# once). A .c file is compiled first, hence the long wait.
start_server() {
  "$sdkata" serve rate_limiter --impl "$1" --port 0 --limit 1000000000 \
    > "$work/serve.log" 2>&1 &
  server_pid=$!
  local waited
  for waited in $(seq 300); do
    server_port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' \
      "$work/serve.log")
    [ -n "$server_port" ] && return 0
    kill -0 "$server_pid" 2> /dev/null || break
    sleep 0.1
  done
  kill "$server_pid" 2> /dev/null || true
  wait "$server_pid" 2> /dev/null || true
  server_pid=""
  [ "$waited" -lt 300 ] || echo "(no answer after 30 s)" >> "$work/serve.log"
  return 1
}

stop_server() {
  kill "$server_pid" 2> /dev/null || true
  wait "$server_pid" 2> /dev/null || true
  server_pid=""
}

# One httpload run against the server, its JSON written to $1; the rest of
# the arguments go to httpload. Its own table is kept in $work/last.out.
load() {
  local json=$1
  shift
  timeout 30 "$sdkata" httpload --port "$server_port" \
    --connections "$connections" --threads "$threads" \
    --header 'X-Client-Id: a' --json "$json" "$@" > "$work/last.out" 2>&1 \
    || { cat "$work/last.out" >&2; return 1; }
}

saturation() {
  load "$work/saturation.json" --seconds "$saturation_seconds" --warmup 1
  jq -r '.rows[0].ops_per_second | floor' "$work/saturation.json"
}

# The schedule's runs for impl $1 (label $2), one line each into
# $work/rows: label target achieved p50 p99 p99.9 errors timeouts unfinished.
sweep() {
  local label=$2 percent target
  for percent in $percents; do
    target=$((ref_saturation * percent / 100))
    echo "  $label at $target req/s ($percent%)" >&2
    load "$work/run.json" --rate "$target" --seconds "$seconds" \
      --warmup "$warmup"
    jq -r --arg name "$label" --argjson target "$target" \
      '[$name, $target, (.rows[0].ops_per_second | floor),
        .rows[0].p50_ns, .rows[0].p99_ns, .rows[0].p999_ns,
        (.connect_errors + .read_errors + .parse_errors),
        .timeouts, .unfinished] | @tsv' "$work/run.json" >> "$work/rows"
  done
}

label_of() { basename "$1" .c; }

: > "$work/rows"
echo "http_sweep: $connections connections, $threads client threads;" \
  "saturation ${saturation_seconds} s closed loop, then ${seconds} s open" \
  "loop per rate after a ${warmup} s warm-up" >&2

if ! start_server reference; then
  echo "http_sweep: the reference cannot be served:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
ref_saturation=$(saturation)
echo "reference: saturation $ref_saturation req/s (closed loop)" >&2
sweep reference reference
stop_server

learner=""
if [ "$impl" != reference ]; then
  if start_server "$impl"; then
    learner=$(label_of "$impl")
    learner_saturation=$(saturation)
    echo "$learner: saturation $learner_saturation req/s (closed loop)" >&2
    sweep "$impl" "$learner"
    stop_server
  else
    echo "http_sweep: impl $impl cannot be served" \
      "($(head -n 1 "$work/serve.log")); swept only the reference" >&2
  fi
fi

echo
echo "HTTP latency against load: GET /, open loop, $connections connections," \
  "$threads client threads, ${seconds} s per rate after ${warmup} s warm-up"
echo "saturation (closed loop, ${saturation_seconds} s): reference" \
  "$ref_saturation req/s${learner:+, $learner $learner_saturation req/s};" \
  "rates are % of the reference's"
# LC_ALL=C: widths in bytes in every awk, "µ" (2 bytes) padded by hand.
LC_ALL=C awk -F '\t' '
  function us(ns) {
    if (ns >= 1e9) return sprintf("%.2fs", ns / 1e9)
    if (ns >= 1e6) return sprintf("%.1fms", ns / 1e6)
    return sprintf("%.0f\302\265s", ns / 1e3)
  }
  function pad(s, w, visible) {
    visible = length(s)
    if (index(s, "\302\265")) visible--
    while (visible++ < w) s = " " s
    return s
  }
  BEGIN {
    printf "  %-12s %9s %9s %9s %9s %9s  %s\n", "impl", "target/s",
      "achieved", "p50", "p99", "p99.9", "err/timeout/unfinished"
  }
  {
    printf "  %-12s %9d %9d %s %s %s  %d/%d/%d\n", $1, $2, $3,
      pad(us($4), 9), pad(us($5), 9), pad(us($6), 9), $7, $8, $9
  }' "$work/rows"

# p99 against the target rate: x linear from 0 to the highest target, y
# log10 of p99 between the decades around the figures; "*" the reference,
# "o" the learner, "#" both in one cell.
echo
echo "p99 (log scale) against target req/s"
LC_ALL=C awk -F '\t' -v reference=reference '
  function pad(s, w, visible) {
    visible = length(s)
    if (index(s, "\302\265")) visible--
    while (visible++ < w) s = " " s
    return s
  }
  BEGIN { width = 60; height = 15; n = 0 }
  {
    n++; name[n] = $1; x[n] = $2; y[n] = log($5 > 0 ? $5 : 1) / log(10)
    if (n == 1 || x[n] > xmax) xmax = x[n]
    if (n == 1 || y[n] > ymax) ymax = y[n]
    if (n == 1 || y[n] < ymin) ymin = y[n]
  }
  END {
    if (n == 0) exit
    lo = int(ymin); hi = int(ymax); if (hi < ymax) hi++
    if (hi <= lo) hi = lo + 1
    for (r = 0; r < height; r++) for (c = 0; c < width; c++) cell[r, c] = " "
    # a label on the row of every decade
    for (d = lo; d <= hi; d++) {
      ns = 10 ^ d
      if (ns >= 1e9) t = sprintf("%gs", ns / 1e9)
      else if (ns >= 1e6) t = sprintf("%gms", ns / 1e6)
      else if (ns >= 1e3) t = sprintf("%g\302\265s", ns / 1e3)
      else t = sprintf("%gns", ns)
      tick[int((d - lo) / (hi - lo) * (height - 1) + 0.5)] = t
    }
    for (i = 1; i <= n; i++) {
      c = int(x[i] / xmax * (width - 1) + 0.5)
      r = int((y[i] - lo) / (hi - lo) * (height - 1) + 0.5)
      mark = (name[i] == reference ? "*" : "o")
      if (cell[r, c] != " " && cell[r, c] != mark) mark = "#"
      cell[r, c] = mark
      if (name[i] != reference) learner = name[i]
    }
    for (r = height - 1; r >= 0; r--) {
      label = (r in tick ? tick[r] : "")
      line = ""
      for (c = 0; c < width; c++) line = line cell[r, c]
      sub(/ +$/, "", line)
      printf "  %s |%s\n", pad(label, 8), line
    }
    line = ""
    for (c = 0; c < width; c++) line = line "-"
    printf "  %8s +%s\n", "", line
    printf "  %8s  %-30s%30s\n", "", 0, sprintf("%d req/s", xmax)
    printf "  * reference%s%s\n", (learner != "" ? "   o " learner : ""),
      (learner != "" ? "   # both" : "")
  }' "$work/rows"
