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
bench=webhook_bench
. Benchmarks/gateway_setup.sh
echo "== setting up: database, devchain, merchant, API key, gateway serve, receiver" >&2
gateway_setup_start "bench_webhooks_$$" --webhook-allow-private

# The receiver reads the secret file when it changes: the secret exists only once the endpoint does.
"$python" Tests/Support/webhook_receiver.py --port 0 --path /webhooks --log "$work/received.jsonl" \
  --secret-file "$work/secret" --port-file "$work/receiver.port" >"$work/receiver.log" 2>&1 &
extra_pids+=($!)
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
