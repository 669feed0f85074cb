# Shared by the gateway benchmarks (sourced, not run): a database of its own on the private
# PostgreSQL, the devchain, a merchant with a test key, and `gateway serve` on a free port.
# The caller sets `bench` (its name for messages) and may add to `extra_pids`; everything
# started here is stopped and the database dropped on exit.
#
# After `gateway_setup_start NAME [serve options…]`: gateway, python, pgbin, work, cluster_url,
# DATABASE_URL, merchant, api_key, url.

gateway=${GATEWAY_BIN:-"$(swift build -c release --show-bin-path)/gateway"}
pgbin=/usr/lib/postgresql/15/bin
merchant_address=0x00000000000000000000000000000000000d0D01
python=python3
[ -x .venv/bin/python ] && python=.venv/bin/python
server_pid=""
chain_pid=""
extra_pids=()

die() { echo "$bench: $*" >&2; exit 1; }
json_field() { "$python" -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
stop_pid() { [ -z "$1" ] || { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }; }

gateway_setup_cleanup() {
  stop_pid "$server_pid"
  for pid in "${extra_pids[@]}"; do stop_pid "$pid"; done
  stop_pid "$chain_pid"
  "$pgbin/psql" -X -q "$cluster_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}

# gateway_setup_start DATABASE_NAME [gateway serve options…]
gateway_setup_start() {
  database=$1
  shift
  [ -x "$gateway" ] || die "no gateway binary at $gateway (build it: swift build -c release --product gateway)"
  work=$(mktemp -d "${TMPDIR:-/tmp}/$bench.XXXXXX")
  Scripts/dev-postgres start >/dev/null 2>&1 || die "Scripts/dev-postgres start failed"
  cluster_url=$(Scripts/dev-postgres url)
  export DATABASE_URL="${cluster_url%/*}/$database"
  trap gateway_setup_cleanup EXIT
  trap 'exit 130' INT TERM
  "$pgbin/psql" -X -q "$cluster_url" -c "CREATE DATABASE $database" >/dev/null

  Scripts/devchain --port 0 --info "$work/devchain.json" --block-time 1 >"$work/devchain.log" 2>&1 &
  chain_pid=$!
  for _ in $(seq 1 300); do [ -s "$work/devchain.json" ] && break; sleep 0.2; done
  [ -s "$work/devchain.json" ] || { cat "$work/devchain.log" >&2; die "the devchain did not start"; }

  "$gateway" migrate >/dev/null
  merchant=$("$gateway" merchant create --name "Bench Shop" --receive-address "devnet:$merchant_address" | json_field id)
  api_key=$("$gateway" api-key create --merchant "$merchant" --mode test --scopes read,write,admin | json_field secret)

  local port
  port=$(free_port)
  url="http://127.0.0.1:$port"
  "$gateway" serve --host 127.0.0.1 --port "$port" --devchain-info "$work/devchain.json" --public-url "$url" \
    --rate-limit 0 --rate-limit-create 0 --rate-limit-merchant 0 --rate-limit-create-merchant 0 --rate-limit-anonymous 0 \
    --rate-limit-checkout 0 --rate-limit-claims 0 "$@" >"$work/gateway.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/gateway.log" >&2; die "gateway serve exited"; }
    sleep 0.2
  done
  curl -fsS -o /dev/null "$url/health" || { tail -n 50 "$work/gateway.log" >&2; die "gateway serve did not answer /health"; }
}
