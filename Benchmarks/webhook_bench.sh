#!/usr/bin/env bash
# Webhook delivery latency under a steady load: payment sessions are created through the API at
# a fixed rate (100 a second for 60 s by default), each writes a `payment.created` event, and a
# receiver on loopback records when each event's delivery arrives. Latency per event = arrival
# time - the event's created_at in outbox_events. Prints p50, p99 and max, the number delivered,
# and p99 beside the 1 s goal (and the earlier 5 s one).
#
#   Benchmarks/webhook_bench.sh          after `swift build -c release --product gateway`
#
# Environment: GATEWAY_BIN (default: the release build's gateway), BENCH_RATE (sessions a second,
# default 100), BENCH_DURATION (seconds, default 60), BENCH_THREADS (load threads, default 64),
# BENCH_DRAIN (seconds to wait for the last deliveries, default 60). Starts the private
# PostgreSQL (Scripts/dev-postgres), a database of its own (dropped at the end), the devchain,
# `gateway serve` and the receiver (Tests/Support/webhook_receiver.py).
set -euo pipefail
cd "$(dirname "$0")/.."

rate=${BENCH_RATE:-100}
duration=${BENCH_DURATION:-60}
threads=${BENCH_THREADS:-64}
drain=${BENCH_DRAIN:-60}
gateway=${GATEWAY_BIN:-"$(swift build -c release --show-bin-path)/gateway"}
pgbin=/usr/lib/postgresql/15/bin
merchant_address=0x00000000000000000000000000000000000d0D01

die() { echo "webhook_bench: $*" >&2; exit 1; }
[ -x "$gateway" ] || die "no gateway binary at $gateway (build it: swift build -c release --product gateway)"
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python

json_field() { "$python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d "${TMPDIR:-/tmp}/webhook-bench.XXXXXX")
server_pid=""
chain_pid=""
receiver_pid=""
Scripts/dev-postgres start >/dev/null 2>&1 || die "Scripts/dev-postgres start failed"
cluster_url=$(Scripts/dev-postgres url)
database="bench_webhooks_$$"
export DATABASE_URL="${cluster_url%/*}/$database"

stop_pid() { [ -z "$1" ] || { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }; }
cleanup() {
  stop_pid "$server_pid"
  stop_pid "$receiver_pid"
  stop_pid "$chain_pid"
  "$pgbin/psql" -X -q "$cluster_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== setting up: database $database, devchain, merchant, API key, gateway serve, receiver" >&2
"$pgbin/psql" -X -q "$cluster_url" -c "CREATE DATABASE $database" >/dev/null

Scripts/devchain --port 0 --info "$work/devchain.json" --block-time 1 >"$work/devchain.log" 2>&1 &
chain_pid=$!
for _ in $(seq 1 300); do [ -s "$work/devchain.json" ] && break; sleep 0.2; done
[ -s "$work/devchain.json" ] || { cat "$work/devchain.log" >&2; die "the devchain did not start"; }

"$gateway" migrate >/dev/null
merchant=$("$gateway" merchant create --name "Bench Shop" --receive-address "devnet:$merchant_address" | json_field id)
api_key=$("$gateway" api-key create --merchant "$merchant" --mode test --scopes read,write | json_field secret)

port=$(free_port)
url="http://127.0.0.1:$port"
"$gateway" serve --host 127.0.0.1 --port "$port" --devchain-info "$work/devchain.json" --public-url "$url" \
  --rate-limit 0 --rate-limit-create 0 --webhook-allow-private >"$work/gateway.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/gateway.log" >&2; die "gateway serve exited"; }
  sleep 0.2
done
curl -fsS -o /dev/null "$url/health" || { tail -n 50 "$work/gateway.log" >&2; die "gateway serve did not answer /health"; }

# The receiver reads the secret file when it changes: the secret exists only once the endpoint does.
"$python" Tests/Support/webhook_receiver.py --port 0 --path /webhooks --log "$work/received.jsonl" \
  --secret-file "$work/secret" --port-file "$work/receiver.port" >"$work/receiver.log" 2>&1 &
receiver_pid=$!
for _ in $(seq 1 100); do [ -s "$work/receiver.port" ] && break; sleep 0.1; done
[ -s "$work/receiver.port" ] || { cat "$work/receiver.log" >&2; die "the receiver did not start"; }
receiver_url="http://127.0.0.1:$(cat "$work/receiver.port")/webhooks"

endpoint=$(curl -sS -w '\n%{http_code}' -X POST "$url/v1/webhook_endpoints" -H "Authorization: Bearer $api_key" \
  -H 'Content-Type: application/json' -d "{\"url\":\"$receiver_url\",\"events\":[\"payment.created\"]}")
[ "${endpoint##*$'\n'}" = 201 ] || die "registering the endpoint failed: $endpoint"
printf '%s\n' "${endpoint%$'\n'*}" | json_field secret >"$work/secret.tmp"
mv "$work/secret.tmp" "$work/secret"

# One session by hand, so a broken setup fails here with the answer shown; its event must arrive.
answer=$(curl -sS -w '\n%{http_code}' -X POST "$url/v1/payment_sessions" -H "Authorization: Bearer $api_key" \
  -H 'Content-Type: application/json' -d '{"amount":"1.00","currency":"USDC"}')
[ "${answer##*$'\n'}" = 201 ] || die "creating a session failed: $answer"
for _ in $(seq 1 100); do [ -s "$work/received.jsonl" ] && break; sleep 0.1; done
[ -s "$work/received.jsonl" ] || { tail -n 50 "$work/gateway.log" >&2; die "the first webhook did not arrive in 10 s"; }
# Measure only the run's events: note where the outbox stands.
first_id=$("$pgbin/psql" -X -qAt "$DATABASE_URL" -c "SELECT coalesce(max(id), 0) FROM outbox_events")
: >"$work/received.jsonl"

echo "== load: $rate sessions a second for ${duration}s ($threads threads)" >&2
"$python" Benchmarks/webhooks/load.py --url "$url" --key "$api_key" --rate "$rate" --duration "$duration" \
  --threads "$threads" --run "$$" >"$work/load.json"
cat "$work/load.json" >&2

events_sql="SELECT event_id, extract(epoch FROM created_at) FROM outbox_events
  WHERE id > $first_id AND type = 'payment.created' ORDER BY id"
expected=$("$pgbin/psql" -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM ($events_sql) e")
echo "== waiting up to ${drain}s for the deliveries of $expected events" >&2
deadline=$((SECONDS + drain))
while :; do
  delivered=$("$python" -c '
import json, sys
print(len({json.loads(line)["id"] for line in open(sys.argv[1]) if line.strip()}))' "$work/received.jsonl")
  [ "$delivered" -ge "$expected" ] && break
  [ "$SECONDS" -lt "$deadline" ] || { echo "webhook_bench: $delivered of $expected delivered after ${drain}s" >&2; break; }
  sleep 0.5
done
sleep 1  # late duplicates, if any, are counted too

"$pgbin/psql" -X -qAt -F $'\t' "$DATABASE_URL" -c "$events_sql" >"$work/events.tsv"
"$python" Benchmarks/webhooks/latency.py --events "$work/events.tsv" --log "$work/received.jsonl" \
  --load "$work/load.json" --goal 1 --seed-goal 5
