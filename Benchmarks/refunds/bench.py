"""The refund benchmark's measurements (Benchmarks/refund_bench.sh starts everything).

1. The raw limit, on the same devchain: sign N ERC-20 transfers with eth-account, send them one
   after another to the node, and wait until all are mined 3 blocks deep (devnet's depth).
2. The gateway: a session paid with N + 1 USDC, then N refunds of 1.00 to N new addresses
   requested at once (a thread pool), timed until every refund's transaction is broadcast (its
   first attempt taken by the pool) and until every refund has succeeded. Nonces must be
   0…N-1 without a gap.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "Devchain"))

from devchain_helpers import RpcClient, transfer_data  # noqa: E402

DEPTH = 3
TOKENS = 1_000_000 * 10**6


class Chain:
    def __init__(self, info_path: str) -> None:
        self.info = json.load(open(info_path))
        self.rpc = RpcClient(self.info["url"])
        self.usdc = self.info["tokens"]["USDC"]["address"]

    def __call__(self, method: str, *params):
        return self.rpc(method, *params)

    def head(self) -> int:
        return int(self("eth_blockNumber"), 16)

    def send(self, account: int, **fields) -> str:
        key = self.info["accounts"][account]["privateKey"]
        address = self.info["accounts"][account]["address"]
        tx = {"chainId": self.info["chainId"], "type": 2, "maxFeePerGas": 50 * 10**9, "maxPriorityFeePerGas": 2 * 10**9,
              "gas": 100_000, "value": 0, "nonce": int(self("eth_getTransactionCount", address, "pending"), 16)}
        tx.update(fields)
        return self("eth_sendRawTransaction", "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex())

    def wait_mined(self, hashes, depth: int = 1, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        pending = list(hashes)
        highest = 0
        while pending:
            head = self.head()
            still = []
            for tx_hash in pending:
                receipt = self("eth_getTransactionReceipt", tx_hash)
                if receipt is None:
                    still.append(tx_hash)
                    continue
                assert int(receipt["status"], 16) == 1, tx_hash
                highest = max(highest, int(receipt["blockNumber"], 16))
            pending = still
            if not pending and head - highest + 1 >= depth:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"refund_bench: {len(pending)} transactions not mined in {timeout}s")
            time.sleep(0.1)
        while self.head() - highest + 1 < depth:
            time.sleep(0.1)


class Api:
    def __init__(self, url: str, key: str) -> None:
        self.url = urllib.parse.urlsplit(url)
        self.key = key

    def call(self, method: str, path: str, body=None):
        connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=60)
        try:
            headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
            connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            answer = connection.getresponse()
            return answer.status, json.loads(answer.read() or b"null")
        finally:
            connection.close()


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-qAt", url, "-c", sql], check=True, capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("--url", "--key", "--devchain-info", "--database-url", "--wallet"):
        parser.add_argument(name, required=True)
    parser.add_argument("--refunds", type=int, default=200)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--out", help="where to write the result file for Scripts/bench's table")
    args = parser.parse_args()
    n = args.refunds
    chain = Chain(args.devchain_info)
    api = Api(args.url, args.key)

    # Funds: the hot wallet and the raw sender, from devchain accounts 19 and 18.
    funding = [chain.send(19, to=args.wallet, value=100 * 10**18, gas=21_000),
               chain.send(19, to=chain.usdc, data=transfer_data(args.wallet, TOKENS))]
    chain.wait_mined(funding)
    chain("evm_setAutomine", False)

    # 1. The raw limit.
    raw_account = chain.info["accounts"][18]
    nonce = int(chain("eth_getTransactionCount", raw_account["address"], "pending"), 16)
    destinations = [Account.create().address for _ in range(n)]
    started = time.perf_counter()
    signed = [Account.sign_transaction({
        "chainId": chain.info["chainId"], "type": 2, "nonce": nonce + i, "to": chain.usdc, "value": 0, "gas": 80_000,
        "maxFeePerGas": 50 * 10**9, "maxPriorityFeePerGas": 2 * 10**9, "data": transfer_data(destinations[i], 1_000_000),
    }, raw_account["privateKey"]).raw_transaction for i in range(n)]
    raw_signed = time.perf_counter() - started
    hashes = [chain("eth_sendRawTransaction", "0x" + bytes(raw).hex()) for raw in signed]
    raw_sent = time.perf_counter() - started
    chain.wait_mined(hashes, depth=DEPTH)
    raw_final = time.perf_counter() - started

    # 2. The gateway.
    status, session = api.call("POST", "/v1/payment_sessions", {"amount": f"{n + 1}.00", "currency": "USDC"})
    assert status == 201, session
    option = session["payment_options"][0]
    payment = chain.send(1, to=option["token_address"], data=transfer_data(option["pay_to"], int(option["amount_due_base_units"])))
    chain.wait_mined([payment])
    deadline = time.monotonic() + 120
    while api.call("GET", f"/v1/payment_sessions/{session['id']}")[1]["status"] != "completed":
        if time.monotonic() > deadline:
            raise SystemExit("refund_bench: the session did not complete")
        time.sleep(0.2)
    targets = [Account.create().address for _ in range(n)]

    def request(index: int) -> str:
        status, refund = api.call("POST", "/v1/refunds", {
            "payment_session": session["id"], "amount": "1.00", "destination": targets[index]})
        assert status == 201, refund
        return refund["id"]

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.threads) as pool:
        ids = list(pool.map(request, range(n)))
    requested = time.perf_counter() - started
    id_list = ",".join(f"'{i}'" for i in ids)
    broadcast_sql = (f"SELECT count(*) FROM refund_attempts a JOIN hot_wallet_nonces w ON w.network = a.network "
                     f"AND w.address = a.address AND w.nonce = a.nonce WHERE w.refund_id IN ({id_list}) AND a.attempt = 1 "
                     f"AND a.last_outcome IN ('accepted', 'maybe_sent')")
    final_sql = f"SELECT count(*) FROM refunds WHERE id IN ({id_list}) AND status = 'succeeded'"
    broadcast = final = None
    deadline = time.monotonic() + 900
    while final is None:
        now = time.perf_counter() - started
        if broadcast is None and int(psql(args.database_url, broadcast_sql)) == n:
            broadcast = now
        if int(psql(args.database_url, final_sql)) == n:
            final = now
            broadcast = broadcast or now
        if time.monotonic() > deadline:
            raise SystemExit("refund_bench: not every refund succeeded in 900 s")
        time.sleep(0.05)

    nonces = [int(x) for x in psql(args.database_url, f"SELECT nonce FROM refunds WHERE id IN ({id_list}) ORDER BY nonce").split()]
    contiguous = nonces == list(range(n))
    on_chain = int(chain("eth_getTransactionCount", args.wallet, "latest"), 16)
    attempts = int(psql(args.database_url, "SELECT count(*) FROM refund_attempts"))
    print(f"refunds: {n} requested at once ({args.threads} concurrent requests), all created in {requested:.2f} s")
    print(f"  all broadcast after {broadcast:.2f} s; all final (succeeded, {DEPTH} blocks deep) after {final:.2f} s")
    print(f"  nonces 0..{n - 1} contiguous: {'yes' if contiguous else 'NO'}; wallet nonce on chain {on_chain}; "
          f"{attempts} signed attempts ({attempts - n} replacements)")
    print(f"raw limit, same devchain: {n} transfers signed (eth-account) in {raw_signed:.2f} s, "
          f"signed and sent in {raw_sent:.2f} s, final after {raw_final:.2f} s")
    print(f"ratio gateway/raw: broadcast {broadcast / raw_sent:.2f}x, final {final / raw_final:.2f}x")
    if args.out:
        write_result(args.out, n=n, threads=args.threads, broadcast=broadcast, final=final, raw_sent=raw_sent,
                     raw_final=raw_final, contiguous=contiguous, replacements=attempts - n)
    if not contiguous or on_chain != n:
        raise SystemExit("refund_bench: the hot wallet's nonces are not contiguous")


def write_result(path: str, *, n: int, threads: int, broadcast: float, final: float, raw_sent: float, raw_final: float,
                 contiguous: bool, replacements: int) -> None:
    """The figures for Scripts/bench's table (Benchmarks/README.md gives the format); times, so
    the ratios are the raw limit's time over the gateway's (higher is better)."""
    limit = "signed (eth-account) and sent straight to the node, same devchain"
    note = f"{threads} concurrent requests; nonces contiguous: {'yes' if contiguous else 'NO'}; {replacements} replacements"
    result = {
        "benchmark": "refunds",
        "measuredAt": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "figures": [
            {"name": f"refunds, {n} requested at once, until all broadcast", "value": round(broadcast, 2), "unit": "s",
             "reference": {"name": f"{n} transfers {limit}", "value": round(raw_sent, 2), "unit": "s", "kind": "limit"},
             "ratio": round(raw_sent / broadcast, 3), "ratioMeans": "raw send time / gateway broadcast time", "note": note},
            {"name": f"refunds, {n} requested at once, until all final ({DEPTH} blocks deep)", "value": round(final, 2),
             "unit": "s",
             "reference": {"name": f"{n} transfers {limit}, until final", "value": round(raw_final, 2), "unit": "s",
                           "kind": "limit"},
             "ratio": round(raw_final / final, 3), "ratioMeans": "raw final time / gateway final time", "note": note},
        ],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
