"""Crash safety of the refund sender: `gateway serve` killed at each named point between
reserving a nonce and reading the receipt (GATEWAY_FAILPOINT) and killed with SIGKILL at random
moments while it sends 50 refunds. Afterwards the chain holds exactly 50 transfers, one per
refund, of the exact amount to the exact address, at contiguous nonces; every stored attempt
decodes (eth-account) to the hot wallet at its refund's one nonce."""

from __future__ import annotations

import random
import time

from eth_account import Account

from conftest import SUMMARY
from refund_helpers import decoded_attempt, refund_rows, transfers_from, wait_for

REFUNDS = 50
SEED = 20261122
# (point, abort at the Nth time it is reached), in order; random SIGKILLs go between them.
FAILPOINTS = [
    ("refund.after_reserve", 1), ("refund.after_sign", 2), ("refund.after_commit", 3), ("refund.after_broadcast", 4),
    ("refund.after_reserve", 3), ("refund.after_commit", 1), ("refund.after_sign", 4), ("refund.after_broadcast", 9),
    ("refund.after_commit", 6), ("refund.after_broadcast", 2),
]


def paid_session(gateway, amount: str) -> dict:
    session = gateway.create_session(amount=amount)
    option = session["payment_options"][0]
    gateway.pay(option, int(option["amount_due_base_units"]))
    return gateway.wait_for_status(session["id"], "completed", timeout=90)


def refunds_of(gateway, session_id: str) -> list:
    answer = gateway.request("GET", f"/v1/refunds?payment_session={session_id}&limit=100")
    assert answer.status == 200, answer.body
    return answer.json()["data"]


def wait_exit(gateway, timeout: float) -> bool:
    """True when the process ended by itself within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gateway.process.poll() is not None:
            return True
        time.sleep(0.05)
    return False


def test_fifty_refunds_survive_aborts_and_sigkill(start_gateway) -> None:
    rng = random.Random(SEED)
    # A few refunds per pass, so that the signing points are reached in many runs.
    gateway = start_gateway("--refund-batch-size", "4")
    session = paid_session(gateway, "50.00")
    destinations = [Account.create().address for _ in range(REFUNDS)]
    for index, destination in enumerate(destinations):
        answer = gateway.request("POST", "/v1/refunds", {
            "payment_session": session["id"], "amount": "1.00", "destination": destination, "metadata": {"n": str(index)},
        }, headers={"Idempotency-Key": f"crash-{index}"})
        assert answer.status == 201, answer.body
    time.sleep(rng.uniform(0.0, 1.5))
    gateway.kill()

    aborts, kills = 0, 1
    for point, count in FAILPOINTS:
        gateway.start(env={"GATEWAY_FAILPOINT": f"{point}:{count}"}, wait=False)
        if wait_exit(gateway, 12):
            assert gateway.process.returncode == -9, gateway.process.returncode
            aborts += 1
        else:
            gateway.kill()
            kills += 1
        # And a random SIGKILL in between.
        gateway.start(env={}, wait=False)
        time.sleep(rng.uniform(0.3, 3.0))
        gateway.kill()
        kills += 1

    gateway.start()
    wait_for(lambda: all(r["status"] == "succeeded" for r in refunds_of(gateway, session["id"])), "every refund to succeed", timeout=240)
    refunds = refunds_of(gateway, session["id"])
    assert len(refunds) == REFUNDS
    assert {r["destination"] for r in refunds} == set(destinations)

    # The chain: exactly one transfer per refund, of the exact amount, to the exact address.
    wallet = gateway.wallet.address
    transfers = transfers_from(gateway.chain, gateway.chain.usdc, wallet)
    assert len(transfers) == REFUNDS
    assert sorted((t["to"], t["amount"]) for t in transfers) == sorted((d, 1_000_000) for d in destinations)
    assert {t["tx_hash"] for t in transfers} == {r["tx_hash"] for r in refunds}
    # Nothing else left the wallet, and its nonces are 0…49 without a gap.
    assert int(gateway.chain.rpc("eth_getTransactionCount", wallet, "latest"), 16) == REFUNDS
    nonces = sorted(int(gateway.chain.rpc("eth_getTransactionByHash", r["tx_hash"])["nonce"], 16) for r in refunds)
    assert nonces == list(range(REFUNDS))

    # Every attempt written ahead decodes to the hot wallet, at its refund's one nonce.
    rows = refund_rows(gateway.database_url)
    attempts = 0
    for refund in refunds:
        row = rows[refund["id"]]
        assert row["status"] == "succeeded"
        assert row["attempts"], refund["id"]
        assert refund["tx_hash"] in {a["hash"] for a in row["attempts"]}
        for attempt in row["attempts"]:
            fields = decoded_attempt(attempt["raw"])
            assert fields["from"] == wallet
            assert fields["nonce"] == attempt["nonce"] == row["nonce"]
            assert fields["chainId"] == 1337
            attempts += 1
    SUMMARY.append(
        f"crash test: {REFUNDS} refunds succeeded after {aborts} failpoint aborts and {kills} SIGKILLs; "
        f"{attempts} signed attempts, {len(transfers)} transfers on chain, nonces 0..{REFUNDS - 1}")
