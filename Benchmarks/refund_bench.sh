#!/usr/bin/env bash
# Refunds at once: 200 refunds requested together through the API, timed until every one is
# broadcast and until every one is final (succeeded: mined with its Transfer log, 3 blocks deep on
# devnet), beside the raw limit measured in the same run on the same devchain: signing (eth-account)
# and sending 200 ERC-20 transfers, and their time until final. Prints both and the ratios, and
# checks that the hot wallet's nonces are contiguous.
#
#   Benchmarks/refund_bench.sh          after `swift build -c release --product gateway`
#
# Environment: GATEWAY_BIN (default: the release build's gateway), BENCH_REFUNDS (default 200),
# BENCH_THREADS (concurrent requests, default 16), BENCH_STATE (where refunds.json goes for
# Scripts/bench's table, default .state/bench). The devchain mines a block a second with
# automine off, so transactions wait in its pool as on a real network. Starts the private
# PostgreSQL (Scripts/dev-postgres), a database of its own (dropped at the end), the devchain and
# `gateway serve` with a new devnet hot wallet.
set -euo pipefail
cd "$(dirname "$0")/.."

refunds=${BENCH_REFUNDS:-200}
threads=${BENCH_THREADS:-16}
bench=refund_bench
. Benchmarks/gateway_setup.sh
keys=$(mktemp -d "${TMPDIR:-/tmp}/refund_bench_keys.XXXXXX")
extra_cleanup() { rm -rf "$keys"; }
trap 'gateway_setup_cleanup; extra_cleanup' EXIT
(umask 077 && "$python" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$keys/passphrase")
wallet=$("$gateway" wallet new --network devnet --keystore-dir "$keys/keystore" --passphrase-file "$keys/passphrase" \
  --scrypt-n 1024 | json_field address)

echo "== setting up: database, devchain, merchant, API key, gateway serve with hot wallet $wallet" >&2
# No merchant-wide limits either: the benchmark's requests and polls all come from one merchant.
gateway_setup_start "bench_refunds_$$" --keystore-dir "$keys/keystore" --wallet-passphrase-file "$keys/passphrase" \
  --rate-limit-merchant 0 --rate-limit-create-merchant 0
trap 'gateway_setup_cleanup; extra_cleanup' EXIT
refund_key=$("$gateway" api-key create --merchant "$merchant" --mode test --scopes read,write,refund --skip-migrations \
  | json_field secret)

"$python" Benchmarks/refunds/bench.py --url "$url" --key "$refund_key" --devchain-info "$work/devchain.json" \
  --database-url "$DATABASE_URL" --wallet "$wallet" --refunds "$refunds" --threads "$threads" \
  --out "${BENCH_STATE:-.state/bench}/refunds.json"
