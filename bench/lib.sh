# lib.sh - what bench/'s comparison scripts share: a scratch folder and the
# servers they start, stopped on any exit; a free loopback port; and the
# statistics of interleaved rounds (per-side medians, the median ratio, its
# spread and a verdict that names no winner inside the noise).
# Sourced, not run: `. bench/lib.sh`, then `bench_init NAME` once.
# shellcheck shell=bash

# Makes the scratch folder $bench_work and installs the traps that stop every
# server bench_track was given and remove the folder, on success, failure or
# Ctrl-C. NAME prefixes the script's messages.
bench_init() {
  bench_name=$1
  bench_pids=""
  bench_work=$(mktemp -d "/tmp/sdkata-$bench_name.XXXXXX")
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local pid
  for pid in $bench_pids; do kill "$pid" 2> /dev/null || true; done
  for pid in $bench_pids; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$bench_work"
}

# Remembers a server's pid so that the exit trap stops it.
bench_track() { bench_pids="$bench_pids $1"; }

bench_die() {
  echo "$bench_name: $*" >&2
  exit 1
}

# Prints a loopback port nobody listens on: the first of a few random ones.
bench_free_port() {
  local candidate
  for _ in $(seq 20); do
    candidate=$((20000 + RANDOM % 20000))
    if ! (exec 3<> "/dev/tcp/127.0.0.1/$candidate") 2> /dev/null; then
      echo "$candidate"
      return
    fi
  done
  bench_die "no free port"
}

# Waits up to 10 s for a RESP server on port $1 to answer PING.
bench_wait_ping() {
  for _ in $(seq 100); do
    redis-cli -p "$1" ping > /dev/null 2>&1 && return
    sleep 0.1
  done
  bench_die "nothing answers PING on port $1"
}

# The last "N requests per second" of a `redis-benchmark -q` run on stdin.
bench_redis_benchmark_rate() {
  tr '\r' '\n' | sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' |
    tail -n 1
}

# A rate as text: 1234 -> 1.2K, 1234567 -> 1.23M.
bench_human() {
  awk -v a="$1" 'BEGIN {
    if (a >= 1e6) printf "%.2fM", a / 1e6
    else if (a >= 1e3) printf "%.1fK", a / 1e3
    else printf "%.0f", a }'
}

# The summary of interleaved rounds, one row per case, from the file $4 of
# tab-separated lines "case  a  b", one line per case and round, where a and
# b are rates (higher is better) measured back to back in that round. $1 is
# the case column's title, $2 and $3 the names of a and b. Per case: the
# medians of a and of b, the median of the per-round ratios a/b, their
# min-max and interquartile range (linear interpolation between the sorted
# ratios), and the verdict: a winner only when every round's ratio is on
# the same side of 1.0 (the min-max excludes it), else "tie within noise".
bench_summary() {
  awk -F '\t' -v title="$1" -v name_a="$2" -v name_b="$3" '
    function human(x) {
      if (x >= 1e6) return sprintf("%.2fM", x / 1e6)
      if (x >= 1e3) return sprintf("%.1fK", x / 1e3)
      return sprintf("%.0f", x)
    }
    # Sorts v[1..n] in place (insertion sort: a handful of rounds).
    function sort(v, n,    i, j, t) {
      for (i = 2; i <= n; i++) {
        t = v[i]
        for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
        v[j + 1] = t
      }
    }
    # The p-quantile of the sorted v[1..n], interpolated (R type 7).
    function quantile(v, n, p,    h, lo) {
      h = (n - 1) * p + 1
      lo = int(h)
      if (lo >= n) return v[n]
      return v[lo] + (h - lo) * (v[lo + 1] - v[lo])
    }
    {
      if (!($1 in n)) { order[++cases] = $1; n[$1] = 0 }
      k = ++n[$1]
      a[$1, k] = $2; b[$1, k] = $3
      r[$1, k] = ($3 > 0 ? $2 / $3 : 0)
    }
    END {
      wa = length(name_a) > 9 ? length(name_a) : 9
      wb = length(name_b) > 9 ? length(name_b) : 9
      printf "  %-20s %*s %*s %7s %13s %13s  %s\n", title, wa, name_a,
        wb, name_b, "ratio", "IQR", "min-max", "verdict"
      for (c = 1; c <= cases; c++) {
        name = order[c]; m = n[name]
        for (k = 1; k <= m; k++) {
          va[k] = a[name, k]; vb[k] = b[name, k]; vr[k] = r[name, k]
        }
        sort(va, m); sort(vb, m); sort(vr, m)
        lo = vr[1]; hi = vr[m]
        if (lo > 1) verdict = name_a " faster"
        else if (hi < 1) verdict = name_b " faster"
        else verdict = "tie within noise"
        printf "  %-20s %*s %*s %6.2fx %6.2f-%-6.2f %6.2f-%-6.2f  %s\n",
          name, wa, human(quantile(va, m, 0.5)),
          wb, human(quantile(vb, m, 0.5)),
          quantile(vr, m, 0.5), quantile(vr, m, 0.25), quantile(vr, m, 0.75),
          lo, hi, verdict
      }
    }' "$4"
}

# The median of the numbers on stdin, one a line.
bench_median() {
  sort -g | awk '{ v[++n] = $1 }
    END {
      if (n) print (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
    }'
}

# The lines under a summary that say what its columns are ($1 rounds).
bench_summary_legend() {
  echo "($1 rounds. The two rates: the median of the rounds. ratio: the" \
    "median of the per-round ratio of the first to the second; IQR: its" \
    "quartiles; min-max: its extremes. A winner is named only when every" \
    "round's ratio is on its side of 1.0.)" | fmt -w 76 | sed 's/^/  /'
}
