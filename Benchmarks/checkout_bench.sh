#!/usr/bin/env bash
# Payment-session creations per second through the whole gateway (HTTP, key check, validation,
# idempotency record, offset reservation, JSON), measured with wrk, beside the least the database
# itself must do for one creation: the same rows (the Idempotency-Key's row; then the session,
# its held amount, its option, its `payment.created` event and the stored response in a
# transaction of one statement), measured with pgbench on the same PostgreSQL cluster with the
# same number of connections.
#
#   Benchmarks/checkout_bench.sh          after `swift build -c release --product gateway`
#
# Environment: GATEWAY_BIN (default: the release build's gateway), BENCH_DURATION (seconds,
# default 30), BENCH_CONNECTIONS (default 8), BENCH_THREADS (default 2), BENCH_WARMUP (seconds,
# default 5), BENCH_STATE (where checkout.json goes, default .state/bench). Needs wrk and pgbench (Scripts/setup installs both). Starts the private PostgreSQL
# (Scripts/dev-postgres), a database of its own (dropped at the end) and the devchain.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

duration=${BENCH_DURATION:-30}
connections=${BENCH_CONNECTIONS:-8}
threads=${BENCH_THREADS:-2}
warmup=${BENCH_WARMUP:-5}
bench=checkout_bench
. Benchmarks/gateway_setup.sh
command -v wrk >/dev/null || die "wrk is missing (Scripts/setup installs it)"
[ -x "$pgbin/pgbench" ] || die "pgbench is missing (postgresql-15; Scripts/setup installs it)"
echo "== setting up: database, devchain, merchant, API key, gateway serve" >&2
gateway_setup_start "bench_checkout_$$"
usdc=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["tokens"]["USDC"]["address"].lower())' "$work/devchain.json")

# One creation by hand, so a broken setup fails here with the answer shown.
answer=$(curl -sS -w '\n%{http_code}' -X POST "$url/v1/payment_sessions" -H "Authorization: Bearer $api_key" \
  -H 'Content-Type: application/json' -d '{"amount":"1.00","currency":"USDC"}')
[ "${answer##*$'\n'}" = 201 ] || die "creating a session failed: $answer"

run_wrk() { # seconds, run id
  GATEWAY_API_KEY="$api_key" BENCH_RUN_ID="$2" wrk --latency -t "$threads" -c "$connections" -d "${1}s" \
    -s Benchmarks/checkout/create_session.lua "$url/v1/payment_sessions"
}

echo "== warming up the gateway for ${warmup}s" >&2
run_wrk "$warmup" "warmup$$" >/dev/null
echo "== wrk: POST /v1/payment_sessions for ${duration}s, $connections connections, $threads threads" >&2
run_wrk "$duration" "run$$" | tee "$work/wrk.txt" >&2
read -r w_requests w_duration w_status_errors w_socket_errors w_p50 w_p99 < <(
  sed -n 's/^BENCH requests=\([0-9]*\) duration_us=\([0-9]*\) status_errors=\([0-9]*\) socket_errors=\([0-9]*\) p50_us=\([0-9]*\) p99_us=\([0-9]*\)$/\1 \2 \3 \4 \5 \6/p' "$work/wrk.txt") || true
[ -n "${w_requests:-}" ] || die "no summary from wrk"

echo "== pgbench: the same rows for ${duration}s, $connections clients, $threads threads" >&2
"$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -f Benchmarks/checkout/scratch_tables.sql >/dev/null
# The payload and stored response: one `payment.created` payload the gateway just wrote.
"$pgbin/psql" -X -qAt "$DATABASE_URL" -c "SELECT payload::text FROM outbox_events ORDER BY id DESC LIMIT 1" >"$work/payload.json"
api_key_id=$("$pgbin/psql" -X -qAt "$DATABASE_URL" -c "SELECT id FROM api_keys ORDER BY created_at LIMIT 1")
"$python" - Benchmarks/checkout/insert_session.sql "$work/insert_session.sql" "$merchant" "$api_key_id" "$usdc" \
  "${merchant_address,,}" "$work/payload.json" <<'PY'
import sys
template, out, merchant, api_key_id, token, pay_to, payload_file = sys.argv[1:]
payload = open(payload_file).read().strip().replace("'", "''")
text = open(template).read()
for name, value in (("MERCHANT", merchant), ("API_KEY_ID", api_key_id), ("TOKEN", token), ("PAY_TO", pay_to),
                    ("PAYLOAD", payload)):
    text = text.replace(f"@{name}@", value)
open(out, "w").write(text)
PY
(cd "$work" && "$pgbin/pgbench" -n -c "$connections" -j "$threads" -T "$warmup" -f "$work/insert_session.sql" \
  "$DATABASE_URL" >/dev/null)
(cd "$work" && "$pgbin/pgbench" -n -c "$connections" -j "$threads" -T "$duration" -f "$work/insert_session.sql" \
  -l --log-prefix="$work/pgbench_log" "$DATABASE_URL") | tee "$work/pgbench.txt" >&2
p_tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$work/pgbench.txt")
p_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/pgbench.txt")
read -r p_count p_p50 p_p99 < <("$python" Benchmarks/checkout/percentiles.py "$work"/pgbench_log*) || true
[ -n "$p_tps" ] || die "no tps from pgbench"

created=$("$pgbin/psql" -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM payment_sessions")
scratch=$("$pgbin/psql" -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM bench_payment_sessions")

mkdir -p "${BENCH_STATE:-.state/bench}"
"$python" - "$w_requests" "$w_duration" "$w_status_errors" "$w_socket_errors" "$w_p50" "$w_p99" \
  "$p_tps" "$p_count" "$p_p50" "$p_p99" "${p_failed:-0}" "$connections" "$threads" "$duration" "$created" "$scratch" \
  "${BENCH_STATE:-.state/bench}/checkout.json" <<'PY'
import json
import sys
from datetime import datetime, timezone

(w_requests, w_duration_us, w_status_errors, w_socket_errors, w_p50, w_p99, p_tps, p_count, p_p50, p_p99,
 p_failed, connections, threads, duration, created, scratch, result_path) = sys.argv[1:]
w_ok = int(w_requests) - int(w_status_errors)
w_rate = w_ok / (int(w_duration_us) / 1e6)
p_rate = float(p_tps)
rows = [
    ("gateway POST /v1/payment_sessions (wrk)", w_rate, int(w_p50) / 1000, int(w_p99) / 1000,
     int(w_status_errors) + int(w_socket_errors)),
    ("pgbench, the same rows", p_rate, int(p_p50) / 1000, int(p_p99) / 1000, int(p_failed)),
]
print()
print(f"Payment-session creation, {connections} connections, {threads} threads, {duration} s each")
print(f"{'':42} {'creations/s':>12} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
for name, rate, p50, p99, errors in rows:
    print(f"{name:42} {rate:12.1f} {p50:9.2f} {p99:9.2f} {errors:7d}")
print(f"{'ratio gateway / pgbench':42} {w_rate / p_rate:12.3f} {int(w_p50) / max(int(p_p50), 1):9.2f} "
      f"{int(w_p99) / max(int(p_p99), 1):9.2f}")
print(f"(rows written, warm-ups included: gateway sessions {created}, pgbench sessions {scratch})")
# The result file the benchmark table reads (Benchmarks/README.md).
document = {
    "benchmark": "checkout",
    "measuredAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "figures": [{
        "name": f"payment sessions created through the gateway ({connections} connections)", "value": round(w_rate, 1),
        "unit": "sessions/s",
        "reference": {"name": "pgbench, the same rows (key, session, held amount, option, event, response)", "value": round(p_rate, 1), "unit": "tx/s", "kind": "limit"},
        "ratio": round(w_rate / p_rate, 3), "ratioMeans": "gateway / pgbench", "goal": {"ratioAtLeast": 0.5},
        "note": f"p50 {int(w_p50) / 1000:.2f} ms, p99 {int(w_p99) / 1000:.2f} ms",
    }],
}
with open(result_path, "w") as out:
    json.dump(document, out, indent=2)
    out.write("\n")
if int(w_status_errors) or int(w_socket_errors):
    print("the gateway answered some requests with an error: the figure above counts only successful creations",
          file=sys.stderr)
    sys.exit(1)
PY
