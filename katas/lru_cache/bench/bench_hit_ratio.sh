#!/bin/sh
# bench_hit_ratio.sh - the hit-ratio table of hit_ratio.c (FIFO, LRU,
# Belady's MIN and every reference on seeded traces), with the learner's
# file beside them when it compiles; run by make kata=lru_cache bench after
# the load (about 30 s). Environment: BUILD, SDKATA, SEED (optional).
set -eu
cd "$(dirname "$0")/../../.."
build=${BUILD:-build/default}
sdkata=${SDKATA:-$build/sdkata}
# check builds the learner's file (the stub answers "not attempted").
so=$build/learner/lru_cache/solution.so
rm -f "$so"
"$sdkata" check lru_cache --no-load --stage 1 > /dev/null 2>&1 || true
set --
[ -n "${SEED:-}" ] && set -- --seed "$SEED"
[ -f "$so" ] && set -- "$@" --plugin "$so"
exec "$build/katas/lru_cache/hit_ratio" "$@"
