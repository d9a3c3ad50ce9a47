#!/bin/sh
# test-repeat.sh - runs the whole suite (ctest) n times on one build with a
# CPU-heavy process beside it, so that a test which depends on an idle
# machine, a shared path or an order between parallel tests shows itself.
# Every failure is reported with its run, its ctest name and the failing
# Criterion tests; each failing run's full output is kept.
# Usage: scripts/test-repeat.sh BUILD_DIR [N]   (make test-repeat n=20)
set -eu

build=${1:?usage: test-repeat.sh BUILD_DIR [N]}
runs=${2:-20}
case "$runs" in
  '' | *[!0-9]*) echo "test-repeat: n=$runs is not a count" >&2; exit 2 ;;
esac
[ "$runs" -ge 1 ] || { echo "test-repeat: n must be at least 1" >&2; exit 2; }

logs="$build/test-repeat"
rm -rf "$logs"
mkdir -p "$logs"

# The hog: one busy loop, a second core's worth of someone else's work.
sh -c 'while :; do :; done' &
hog=$!
trap 'kill "$hog" 2>/dev/null || true' EXIT INT TERM

failed_runs=0
run=1
while [ "$run" -le "$runs" ]; do
  log="$logs/run-$run.log"
  started=$(date +%s)
  if (cd "$build" && ctest --output-on-failure -j2) > "$log" 2>&1; then
    echo "run $run of $runs: pass ($(($(date +%s) - started)) s)"
    rm -f "$log"
  else
    failed_runs=$((failed_runs + 1))
    echo "run $run of $runs: FAIL ($(($(date +%s) - started)) s; log: $log)"
    # ctest's list of failed tests, then Criterion's failing test lines.
    sed -n '/The following tests FAILED/,$p' "$log" | sed -n '2,$p' |
      sed 's/^/    /'
    grep -E '\[(FAIL|----)\].*(FAIL|Assert|crash|Timeout|signal)' "$log" |
      head -n 10 | sed 's/^/    /' || true
  fi
  run=$((run + 1))
done

echo "$((runs - failed_runs)) passed, $failed_runs failed"
[ "$failed_runs" -eq 0 ]
