#!/bin/sh
# deps.sh - makes sure Debian's packages that sdkata builds with are
# installed: a quick no-op when they are, apt-get when root, and otherwise
# the one sudo line to run. Usage: scripts/deps.sh [extra-package ...]
set -eu

packages="gcc g++ make cmake pkg-config libuv1-dev libhiredis-dev \
libjemalloc-dev libcriterion-dev libbenchmark-dev libcjson-dev \
libhttp-parser-dev redis-server redis-tools clang-14 libclang-rt-14-dev $*"

missing=""
for package in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  case "$status" in
    "install ok installed") ;;
    *) missing="$missing $package" ;;
  esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "sdkata needs these Debian packages:$missing" >&2
  echo "install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
  exit 1
fi

echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine are empty or stale: update once.
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
