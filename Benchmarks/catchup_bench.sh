#!/usr/bin/env bash
# Catch-up: how long the gateway takes to backfill a gap of 10,000 blocks holding 2,000
# transfers to watched addresses (`gateway scan` over the range: ranged eth_getLogs through the
# provider pool, decoding, the watched-address filter, and the rows committed to Postgres),
# beside the time a plain script needs for the same eth_getLogs ranges against the same
# provider (Benchmarks/catchup/plain_getlogs.py: the limit). Ratio = plain / gateway; goal >= 0.8.
# For context, a second reference: the same script asking also for the blocks that prove each
# log (--blocks: what rule 12 of CHAIN-RULES makes any checking client ask; no goal). All are
# timed as whole processes, best of BENCH_ROUNDS alternating rounds; each gateway round starts
# from an empty database of its own.
#
#   Benchmarks/catchup_bench.sh          after `swift build -c release --product gateway`
#
# Environment: GATEWAY_BIN (default: the release build's gateway), BENCH_BLOCKS (10000),
# BENCH_TRANSFERS (2000), BENCH_WATCHED (100), BENCH_ROUNDS (3), BENCH_STATE (where catchup.json
# goes, default .state/bench). Starts the private PostgreSQL (Scripts/dev-postgres) and a devchain.
set -euo pipefail
cd "$(dirname "$0")/.."

gateway=${GATEWAY_BIN:-"$(swift build -c release --show-bin-path)/gateway"}
blocks=${BENCH_BLOCKS:-10000}
transfers=${BENCH_TRANSFERS:-2000}
watched=${BENCH_WATCHED:-100}
rounds=${BENCH_ROUNDS:-3}
state=${BENCH_STATE:-.state/bench}
chunk=2000
pgbin=/usr/lib/postgresql/15/bin
python=.venv/bin/python
database="bench_catchup_$$"
chain_pid=""

die() { echo "catchup_bench: $*" >&2; exit 1; }
[ -x "$gateway" ] || die "no gateway binary at $gateway (build it: swift build -c release --product gateway)"
[ -x "$python" ] || die ".venv is missing (Scripts/setup)"
work=$(mktemp -d "${TMPDIR:-/tmp}/catchup_bench.XXXXXX")
cleanup() {
  [ -z "$chain_pid" ] || { kill "$chain_pid" 2>/dev/null || true; wait "$chain_pid" 2>/dev/null || true; }
  [ -z "${cluster_url:-}" ] || "$pgbin/psql" -X -q "$cluster_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

Scripts/dev-postgres start >/dev/null 2>&1 || die "Scripts/dev-postgres start failed"
cluster_url=$(Scripts/dev-postgres url)
database_url="${cluster_url%/*}/$database"

Scripts/devchain --port 0 --info "$work/devchain.json" >"$work/devchain.log" 2>&1 &
chain_pid=$!
for _ in $(seq 1 300); do [ -s "$work/devchain.json" ] && break; sleep 0.2; done
[ -s "$work/devchain.json" ] || { cat "$work/devchain.log" >&2; die "the devchain did not start"; }
chain_url=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["url"])' "$work/devchain.json")

echo "== catch-up: filling the devchain with $blocks blocks and $transfers transfers to $watched watched addresses" >&2
"$python" Benchmarks/catchup/fill_chain.py --info "$work/devchain.json" --blocks "$blocks" --transfers "$transfers" \
  --watched "$watched" --out "$work/range.json" >&2
read -r from_block to_block < <("$python" -c '
import json, sys
r = json.load(open(sys.argv[1])); print(r["fromBlock"], r["toBlock"])' "$work/range.json")
watch_args=()
while read -r address; do watch_args+=(--watch "$address"); done < <("$python" -c '
import json, sys
print("\n".join(json.load(open(sys.argv[1]))["watched"]))' "$work/range.json")

now() { date +%s%N; }  # nanoseconds
: >"$work/times"
for round in $(seq 1 "$rounds"); do
  start=$(now)
  plain=$("$python" Benchmarks/catchup/plain_getlogs.py --url "$chain_url" --range "$work/range.json" --chunk "$chunk")
  plain_ns=$(($(now) - start))
  plain_logs=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["logs"])' "$plain")
  [ "$plain_logs" = "$transfers" ] || die "the plain script found $plain_logs transfers, expected $transfers"
  start=$(now)
  checked=$("$python" Benchmarks/catchup/plain_getlogs.py --url "$chain_url" --range "$work/range.json" --chunk "$chunk" --blocks)
  checked_ns=$(($(now) - start))
  checked_logs=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["logs"])' "$checked")
  [ "$checked_logs" = "$transfers" ] || die "the checking script found $checked_logs transfers, expected $transfers"

  "$pgbin/psql" -X -q "$cluster_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null
  "$pgbin/psql" -X -q "$cluster_url" -c "CREATE DATABASE $database" >/dev/null
  DATABASE_URL="$database_url" "$gateway" migrate >/dev/null
  start=$(now)
  scan=$(DATABASE_URL="$database_url" "$gateway" scan --network devnet --devchain-info "$work/devchain.json" \
    --from-block "$from_block" --to-block "$to_block" --chunk "$chunk" "${watch_args[@]}")
  scan_ns=$(($(now) - start))
  found=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["newTransfers"])' "$scan")
  [ "$found" = "$transfers" ] || die "gateway scan recorded $found transfers, expected $transfers"
  echo "round $round: plain script $((plain_ns / 1000000)) ms, checking script $((checked_ns / 1000000)) ms," \
    "gateway scan $((scan_ns / 1000000)) ms" >&2
  echo "$plain_ns $scan_ns $checked_ns" >>"$work/times"
done

mkdir -p "$state"
"$python" - "$work/times" "$state/catchup.json" "$blocks" "$transfers" "$watched" "$chunk" <<'PY'
import json, sys
from datetime import datetime, timezone
times_path, out, blocks, transfers, watched, chunk = sys.argv[1:]
rounds = [tuple(int(n) / 1e9 for n in line.split()) for line in open(times_path) if line.strip()]
plain = min(r[0] for r in rounds)
scan = min(r[1] for r in rounds)
checked = min(r[2] for r in rounds)
ratio = plain / scan
checked_ratio = checked / scan
print()
print(f"Catch-up over {int(blocks):,} blocks with {int(transfers):,} transfers to {watched} watched addresses "
      f"(eth_getLogs in {chunk}-block ranges), best of {len(rounds)}")
print(f"{'gateway scan (decode, filter, store)':42} {scan:9.3f} s")
print(f"{'plain eth_getLogs script (limit)':42} {plain:9.3f} s")
print(f"{'ratio plain / gateway (goal >= 0.8)':42} {ratio:9.3f}   {'met' if ratio >= 0.8 else 'NOT met'}")
print(f"{'checking script (getLogs + proving blocks)':42} {checked:9.3f} s")
print(f"{'ratio checking / gateway (context)':42} {checked_ratio:9.3f}")
document = {
    "benchmark": "catchup",
    "measuredAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "figures": [{
        "name": f"catch-up, {int(blocks):,} blocks, {int(transfers):,} transfers (gateway scan)", "value": round(scan, 3),
        "unit": "s", "reference": {"name": "plain eth_getLogs script", "value": round(plain, 3), "unit": "s", "kind": "limit"},
        "ratio": round(ratio, 3), "ratioMeans": "plain script time / gateway time", "goal": {"ratioAtLeast": 0.8},
    }, {
        "name": f"catch-up, {int(blocks):,} blocks (gateway scan) beside a script that also reads the proving blocks",
        "value": round(scan, 3), "unit": "s",
        "reference": {"name": "eth_getLogs + eth_getBlockByNumber batches script", "value": round(checked, 3), "unit": "s",
                      "kind": "peer"},
        "ratio": round(checked_ratio, 3), "ratioMeans": "checking script time / gateway time",
    }],
    "rounds": [{"plainSeconds": round(p, 4), "gatewaySeconds": round(s, 4), "checkingSeconds": round(c, 4)} for p, s, c in rounds],
}
with open(out, "w") as f:
    json.dump(document, f, indent=2)
    f.write("\n")
PY
