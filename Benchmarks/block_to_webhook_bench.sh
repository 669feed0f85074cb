#!/usr/bin/env bash
# From the block that carries a payment to the merchant's `payment.confirming` webhook, and from
# the block that completes its depth to `payment.completed`: 200 payments at two a second on the
# devchain with 1-second blocks, no other load. The devchain records when it mined each block
# (devchain_blockWallTimes); the receiver records each 2xx. Goals: p50 < 250 ms, p99 < 500 ms.
#
#   Benchmarks/block_to_webhook_bench.sh       (writes .state/bench/block-to-webhook.json)
set -euo pipefail
cd "$(dirname "$0")/.."
exec Benchmarks/load_bench.sh --rate 0 --duration 100 --pay-every 0.5 "$@"
