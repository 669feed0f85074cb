#!/usr/bin/env bash
# Mixed traffic against `gateway serve` while payments flow on the devchain: 1,000 requests a
# second for 5 minutes (creations, reads, lists, checkout pages, event streams, claims), with
# errors, p50/p99 per route, RSS after warm-up and at the end, and the time from the block that
# completes a payment's depth to its `payment.completed` webhook under that load.
# Not part of CI (it takes about 6 minutes and the whole machine).
#
#   Benchmarks/load_bench.sh                    the defaults
#   LOAD_RATE=500 LOAD_DURATION=60 Benchmarks/load_bench.sh
#
# Writes .state/bench/load.json for Scripts/bench's table (Benchmarks/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup >/dev/null
if [ -z "${GATEWAY_BIN:-}" ]; then
  swift build -c release --product gateway >&2
  GATEWAY_BIN="$(swift build -c release --show-bin-path)/gateway"
fi
Scripts/dev-postgres start >/dev/null
DATABASE_URL="$(Scripts/dev-postgres url)" GATEWAY_BIN="$GATEWAY_BIN" exec .venv/bin/python Benchmarks/load/run.py "$@"
