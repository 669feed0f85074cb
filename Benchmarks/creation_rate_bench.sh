#!/usr/bin/env bash
# Session creations alone at a fixed rate, open loop (a request is sent when it is due, whether
# or not earlier ones have answered), against `gateway serve`: errors, p50 and p99, with the p99
# goal of 25 ms at 500 creations a second. The driver is Benchmarks/load/run.py (Python,
# aiohttp) on the same 2 cores as the gateway, PostgreSQL and the devchain; its own scheduling
# delay is part of each latency, so the figures are an upper bound.
#
#   Benchmarks/creation_rate_bench.sh                      500/s for 60 s after 10 s of warm-up
#   CREATION_RATE=300 CREATION_DURATION=30 Benchmarks/creation_rate_bench.sh
#
# Writes .state/bench/creation-rate.json for Scripts/bench's table (Benchmarks/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
exec Benchmarks/load_bench.sh --mix create=1 --rate "${CREATION_RATE:-500}" --duration "${CREATION_DURATION:-60}" --warmup 10 \
  --sessions 1 --pay-every 0 --p99-goal-ms 25 --out .state/bench/creation-rate.json
