"""A refund transaction that no pool takes is replaced at the same nonce with higher fees; every
attempt's hash is kept, so when an older attempt is the one mined (another node had it), the
refund succeeds with that one."""

from __future__ import annotations

from devchain_helpers import FaultProxy
from refund_helpers import decoded_attempt, refund_rows, transfers_from, wait_for
from test_crash import paid_session


def test_the_older_attempt_mined_wins(start_gateway, tmp_path) -> None:
    gateway = start_gateway("--refund-replace-after", "devnet=2")
    session = paid_session(gateway, "5.00")
    proxy = FaultProxy(tmp_path, gateway.chain.url)
    try:
        # The gateway now reaches the chain through a proxy that swallows every broadcast
        # ("already known", yet the pool never sees it).
        gateway.kill()
        gateway.extra_args += ["--rpc", proxy.url]
        gateway.start()
        proxy.fault("rpc_error", code=-32000, message="already known", methods=["eth_sendRawTransaction"])
        answer = gateway.request("POST", "/v1/refunds", {"payment_session": session["id"], "amount": "2.00", "destination": "payer"})
        assert answer.status == 201, answer.body
        refund_id = answer.json()["id"]
        rows = wait_for(lambda: (lambda r: r if len(r[refund_id]["attempts"]) >= 2 else None)(refund_rows(gateway.database_url)),
                        "a replacement", timeout=90)
        first, second = rows[refund_id]["attempts"][:2]
        one, two = decoded_attempt(first["raw"]), decoded_attempt(second["raw"])
        assert one["nonce"] == two["nonce"] == rows[refund_id]["nonce"]
        assert one["from"] == two["from"] == gateway.wallet.address
        assert two["maxPriorityFeePerGas"] * 100 > one["maxPriorityFeePerGas"] * 110
        assert two["maxFeePerGas"] * 100 > one["maxFeePerGas"] * 110
        assert one["data"] == two["data"]

        # The first attempt reaches the chain after all, past the proxy.
        gateway.chain.rpc("eth_sendRawTransaction", first["raw"])
        done = wait_for(lambda: (lambda r: r if r["status"] == "succeeded" else None)(
            gateway.request("GET", f"/v1/refunds/{refund_id}").json()), "the refund to succeed", timeout=90)
        assert done["tx_hash"] == first["hash"]
        payer = session["payments"][0]["from"]
        assert [(t["to"], t["amount"]) for t in transfers_from(gateway.chain, gateway.chain.usdc, gateway.wallet.address)] == [
            (payer, 2_000_000)]
    finally:
        proxy.stop()
