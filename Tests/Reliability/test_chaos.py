"""Chaos: many sessions paid while reorgs of depth 1-2 remove some payments (some mined again,
some not) and `gateway serve` is killed with SIGKILL and restarted at random. At the end every
session must equal what web3.py reads from the canonical chain: completed exactly when a
transfer of its amount due is there, credited exactly what is there, no payment that is not.

WEB3-independent decoding: eth-abi reads the Transfer logs; the seed is printed and can be
replayed with CHAOS_SEED."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from eth_abi import decode as abi_decode

from conftest import SUMMARY
from gateway_server import MERCHANT_ADDRESS, GatewayServer
from devchain_helpers import send, token_transfer

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
SESSIONS = 36
CHAOS_SECONDS = 45


def canonical_transfers(gateway: GatewayServer) -> dict:
    """Every Transfer of USDC to the merchant on the canonical chain: tx hash → amount."""
    rpc = gateway.chain.rpc
    to_topic = "0x" + "00" * 12 + MERCHANT_ADDRESS[2:].lower()
    logs = rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "address": gateway.chain.usdc,
                               "topics": [TRANSFER_TOPIC, None, to_topic]})
    return {log["transactionHash"]: abi_decode(["uint256"], bytes.fromhex(log["data"][2:]))[0] for log in logs}


def test_sessions_equal_the_canonical_chain_through_reorgs_and_crashes(tmp_path: Path) -> None:
    seed = int(os.environ.get("CHAOS_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    gateway = GatewayServer(tmp_path, block_time="0.5")
    rpc = gateway.chain.rpc
    try:
        sessions = [gateway.create_session(amount=f"{rng.randrange(1, 50)}.{rng.randrange(100):02d}") for _ in range(SESSIONS)]
        unpaid = list(range(SESSIONS))
        rng.shuffle(unpaid)
        kills = reorgs = orphaned = remined = payments = 0
        deadline = time.monotonic() + CHAOS_SECONDS
        sender = 1
        while time.monotonic() < deadline and len(unpaid) > 3:
            action = rng.random()
            if action < 0.15:
                gateway.kill()
                kills += 1
                time.sleep(rng.uniform(0.2, 1.5))
                gateway.start()
            elif action < 0.40 and len(unpaid) >= 2:
                # A reorg of depth 1 or 2 removes one or two payments; half of them come back.
                snapshot = rpc("evm_snapshot")
                victims = [unpaid.pop() for _ in range(rng.randrange(1, 3))]
                raws = []
                for index in victims:
                    option = sessions[index]["payment_options"][0]
                    raw = token_transfer(gateway.chain, option["token_address"], sender, option["pay_to"],
                                         int(option["amount_due_base_units"]))
                    sender = sender % 10 + 1
                    send(gateway.chain, raw)
                    raws.append((index, raw))
                    payments += 1
                time.sleep(rng.uniform(0.3, 1.5))
                rpc("evm_revert", snapshot)
                rpc("devchain_mine", len(victims) + 2)
                reorgs += 1
                orphaned += len(raws)
                for index, raw in raws:
                    if rng.random() < 0.5:
                        send(gateway.chain, raw)
                        remined += 1
                    else:
                        unpaid.insert(0, index)
            else:
                index = unpaid.pop()
                gateway.pay(sessions[index]["payment_options"][0], int(sessions[index]["payment_options"][0]["amount_due_base_units"]),
                            sender=sender)
                sender = sender % 10 + 1
                payments += 1
                time.sleep(rng.uniform(0.05, 0.3))
        if gateway.process.poll() is not None:
            gateway.start()
        rpc("devchain_mine", 6)

        # Settle: until every session agrees with the chain, or the time is up.
        chain = canonical_transfers(gateway)
        by_amount: dict = {}
        for tx_hash, amount in chain.items():
            by_amount.setdefault(amount, []).append(tx_hash)
        settle = time.monotonic() + 90
        while True:
            states = [gateway.request("GET", f"/v1/payment_sessions/{s['id']}").json() for s in sessions]
            mismatches = []
            for session, state in zip(sessions, states):
                due = int(session["payment_options"][0]["amount_due_base_units"])
                expected = sorted(by_amount.get(due, []))
                live = sorted(p["tx_hash"] for p in state["payments"] if p["status"] != "removed")
                confirmed = sorted(p["tx_hash"] for p in state["payments"] if p["status"] == "confirmed")
                want = "completed" if expected else "pending"
                if live != expected or confirmed != expected or state["status"] != want:
                    mismatches.append((session["id"], state["status"], want, live, expected))
            if not mismatches or time.monotonic() > settle:
                break
            rpc("devchain_mine", 1)
            time.sleep(0.5)
        assert not mismatches, f"seed {seed}: {len(mismatches)} sessions differ from the chain, e.g. {mismatches[:3]}"
        completed = sum(1 for s in states if s["status"] == "completed")
        removed_rows = sum(1 for s in states for p in s["payments"] if p["status"] == "removed")
        double = [s["id"] for s in states if s["amount_received"] != s["amount_due"] and s["status"] == "completed"]
        assert not double, f"seed {seed}: credited other than once: {double[:3]}"
        SUMMARY.append(
            f"chaos (seed {seed}): {SESSIONS} sessions, {payments} payments sent, {reorgs} reorgs orphaning {orphaned} payments "
            f"({remined} mined again), {kills} SIGKILLs of gateway serve; at the end {completed} completed, {SESSIONS - completed} "
            f"pending, {len(chain)} canonical transfers, {removed_rows} removed payment rows; 0 false completions, 0 missed, "
            f"0 double credits")
    finally:
        assert gateway.stop() in (0, -9), gateway.log_path.read_text()[-4000:]
