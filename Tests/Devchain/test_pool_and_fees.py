"""The pool's admission floor and replacement rule, paused block production, wall-clock mining
times, and the fee and nonce methods a refund sender relies on, against geth's behaviour."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from eth_account import Account

from devchain_helpers import REPO, Devchain, send, sign, token_transfer, transfer_data

GWEI = 10**9
BOR_MIN_TIP = 25 * GWEI


def raw_hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def head_number(chain: Devchain) -> int:
    return int(chain.rpc("eth_blockNumber"), 16)


# ---------------------------------------------------------------------- admission floor


def test_min_tip_refuses_lower_tips_with_geths_message(chain: Devchain):
    rpc = chain.rpc
    recipient = chain.accounts[9]["address"]
    assert rpc("devchain_setMinTip", hex(BOR_MIN_TIP)) is True
    below = sign(chain, 2, to=recipient, value=1, gas=21000, maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=BOR_MIN_TIP - 1)
    assert rpc.error("eth_sendRawTransaction", raw_hex(below)) == {
        "code": -32000,
        "message": "transaction underpriced: gas tip cap 24999999999, minimum needed 25000000000",
    }
    legacy = sign(chain, 2, to=recipient, value=1, gas=21000, gasPrice=24 * GWEI)
    assert rpc.error("eth_sendRawTransaction", raw_hex(legacy)) == {
        "code": -32000,
        "message": "transaction underpriced: gas tip cap 24000000000, minimum needed 25000000000",
    }
    # Checked before the nonce, as geth's stateless validation comes first.
    stale = sign(chain, 0, nonce=0, to=recipient, value=1, gas=21000, maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=GWEI)
    assert rpc.error("eth_sendRawTransaction", raw_hex(stale))["message"].startswith("transaction underpriced: ")
    at_floor = sign(chain, 2, to=recipient, value=1, gas=21000, maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=BOR_MIN_TIP)
    assert rpc("eth_getTransactionReceipt", send(chain, at_floor))["status"] == "0x1"
    legacy_at_floor = sign(chain, 3, to=recipient, value=1, gas=21000, gasPrice=BOR_MIN_TIP)
    assert rpc("eth_getTransactionReceipt", send(chain, legacy_at_floor))["status"] == "0x1"

    assert rpc("devchain_setMinTip", 0) is True
    cheap = sign(chain, 2, to=recipient, value=1, gas=21000, maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=0)
    assert rpc("eth_getTransactionReceipt", send(chain, cheap))["status"] == "0x1"


@pytest.mark.parametrize("argument", [-1, "0x", "gwei", True, 2**256])
def test_min_tip_rejects_bad_arguments(chain: Devchain, argument):
    assert chain.rpc.error("devchain_setMinTip", argument)["code"] == -32602


def test_tip_oracle_skips_tips_below_the_floor(chain: Devchain):
    rpc = chain.rpc
    send(chain, sign(chain, 4, to=chain.accounts[9]["address"], value=1, gas=21000))  # a 1 gwei tip
    rpc("devchain_setMinTip", hex(BOR_MIN_TIP))
    assert rpc("eth_maxPriorityFeePerGas") == hex(BOR_MIN_TIP)
    base_fee = int(rpc("eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
    assert rpc("eth_gasPrice") == hex(BOR_MIN_TIP + base_fee)


# ---------------------------------------------------------------------- replacement rule


def replacement(chain: Devchain, nonce: int, fee_cap: int, tip: int, value: int) -> bytes:
    return sign(chain, 6, nonce=nonce, to=chain.accounts[9]["address"], value=value, gas=21000,
                maxFeePerGas=fee_cap, maxPriorityFeePerGas=tip)


@pytest.mark.parametrize(
    "old, new, accepted",
    [
        ((10 * GWEI, GWEI), (11 * GWEI, 1_100_000_000), True),  # exactly +10% on both
        ((10 * GWEI, GWEI), (11 * GWEI - 1, 1_100_000_000), False),  # fee cap one wei short
        ((10 * GWEI, GWEI), (11 * GWEI, 1_100_000_000 - 1), False),  # tip one wei short
        ((10 * GWEI, GWEI), (20 * GWEI, GWEI), False),  # tip not raised at all
        # Thresholds round down: 15 * 110 / 100 = 16.5 -> 16, 10_000_000_005 * 1.1 -> 11_000_000_005.
        ((10_000_000_005, 15), (11_000_000_005, 16), True),
        ((10_000_000_005, 15), (11_000_000_004, 16), False),
        ((10_000_000_005, 15), (11_000_000_005, 15), False),
        # A zero tip: the percentage asks for nothing, the strict raise for one wei.
        ((10 * GWEI, 0), (11 * GWEI, 0), False),
        ((10 * GWEI, 0), (11 * GWEI, 1), True),
    ],
)
def test_replacement_needs_both_fees_raised_by_ten_percent(chain: Devchain, old, new, accepted):
    rpc = chain.rpc
    rpc("evm_setAutomine", False)
    nonce = int(rpc("eth_getTransactionCount", chain.accounts[6]["address"], "pending"), 16)
    original = send(chain, replacement(chain, nonce, *old, value=1))
    raw = replacement(chain, nonce, *new, value=2)
    if accepted:
        bumped = send(chain, raw)
        assert [entry["hash"] for entry in rpc("devchain_pendingTransactions")] == [bumped]
    else:
        assert rpc.error("eth_sendRawTransaction", raw_hex(raw)) == {
            "code": -32000,
            "message": "replacement transaction underpriced",
        }
        assert [entry["hash"] for entry in rpc("devchain_pendingTransactions")] == [original]


def test_legacy_replacement_uses_gas_price_for_both(chain: Devchain):
    rpc = chain.rpc
    rpc("evm_setAutomine", False)
    recipient = chain.accounts[9]["address"]
    nonce = int(rpc("eth_getTransactionCount", chain.accounts[5]["address"], "pending"), 16)
    send(chain, sign(chain, 5, nonce=nonce, to=recipient, value=1, gas=21000, gasPrice=20 * GWEI))
    short = sign(chain, 5, nonce=nonce, to=recipient, value=2, gas=21000, gasPrice=22 * GWEI - 1)
    assert rpc.error("eth_sendRawTransaction", raw_hex(short))["message"] == "replacement transaction underpriced"
    enough = send(chain, sign(chain, 5, nonce=nonce, to=recipient, value=3, gas=21000, gasPrice=22 * GWEI))
    rpc("evm_mine")
    assert rpc("eth_getBlockByNumber", "latest", False)["transactions"] == [enough]


# ---------------------------------------------------------------------- paused block production


def test_paused_mining_keeps_transactions_in_the_pool(chain: Devchain):
    rpc = chain.rpc
    sender = chain.accounts[7]["address"].lower()
    recipient = chain.accounts[9]["address"]
    head = head_number(chain)
    nonce = int(rpc("eth_getTransactionCount", sender, "latest"), 16)
    assert rpc("devchain_setMining", False) is True

    first = send(chain, sign(chain, 7, to=recipient, value=1, gas=21000))
    second = send(chain, sign(chain, 7, to=recipient, value=2, gas=21000))
    gapped = send(chain, sign(chain, 7, nonce=nonce + 3, to=recipient, value=3, gas=21000))
    assert head_number(chain) == head
    assert rpc("eth_getTransactionReceipt", first) is None
    assert rpc("eth_getTransactionByHash", first)["blockHash"] is None
    assert rpc("eth_getTransactionCount", sender, "pending") == hex(nonce + 2)  # stops at the gap
    assert rpc("eth_getTransactionCount", sender, "latest") == hex(nonce)
    pool = rpc("devchain_pendingTransactions")
    assert [(e["hash"], e["nonce"], e["status"]) for e in pool] == [
        (first, hex(nonce), "pending"),
        (second, hex(nonce + 1), "pending"),
        (gapped, hex(nonce + 3), "queued"),
    ]
    assert pool[0] == {
        "hash": first, "from": sender, "nonce": hex(nonce), "type": "0x2", "status": "pending",
        "maxFeePerGas": hex(10 * GWEI), "maxPriorityFeePerGas": hex(GWEI),
    }

    # Automine cannot start block production while mining is off.
    assert rpc("evm_setAutomine", True) is True
    assert head_number(chain) == head

    # Resuming with automine on mines what waits, a block per transaction; the gap stays.
    assert rpc("devchain_setMining", True) is True
    assert head_number(chain) == head + 2
    assert rpc("eth_getTransactionReceipt", first)["blockNumber"] == hex(head + 1)
    assert rpc("eth_getTransactionReceipt", second)["blockNumber"] == hex(head + 2)
    assert [(e["hash"], e["status"]) for e in rpc("devchain_pendingTransactions")] == [(gapped, "queued")]


def test_explicit_mining_works_while_paused(chain: Devchain):
    rpc = chain.rpc
    rpc("devchain_setMining", False)
    head = head_number(chain)
    tx_hash = send(chain, sign(chain, 8, to=chain.accounts[9]["address"], value=1, gas=21000))
    assert rpc("devchain_mine", 2) == hex(head + 2)
    assert rpc("eth_getTransactionReceipt", tx_hash)["blockNumber"] == hex(head + 1)
    assert rpc("devchain_pendingTransactions") == []
    assert rpc.error("devchain_setMining", "no")["code"] == -32602


def test_paused_mining_with_automine_off_resumes_without_mining(chain: Devchain):
    rpc = chain.rpc
    rpc("evm_setAutomine", False)
    rpc("devchain_setMining", False)
    head = head_number(chain)
    tx_hash = send(chain, sign(chain, 8, to=chain.accounts[9]["address"], value=1, gas=21000))
    rpc("devchain_setMining", True)
    assert head_number(chain) == head  # automine is off: the transaction waits for the next block
    rpc("evm_mine")
    assert rpc("eth_getTransactionReceipt", tx_hash)["blockNumber"] == hex(head + 1)


# ---------------------------------------------------------------------- wall-clock mining times


def test_block_wall_times_for_a_range(chain: Devchain):
    rpc = chain.rpc
    before = time.time()
    rpc("devchain_mine", 3)
    after = time.time()
    head = head_number(chain)
    times = rpc("devchain_blockWallTimes", hex(head - 2), hex(head))
    assert list(times) == [hex(head - 2), hex(head - 1), hex(head)]
    values = list(times.values())
    assert all(isinstance(v, float) and round(v, 3) == v for v in values)
    assert before - 0.001 <= values[0] <= values[1] <= values[2] <= after + 0.001
    assert rpc("devchain_blockWallTimes", head, "latest") == {hex(head): values[2]}
    assert list(rpc("devchain_blockWallTimes", hex(head - 1), hex(head + 50))) == [hex(head - 1), hex(head)]
    assert list(rpc("devchain_blockWallTimes")) == [hex(head)]
    assert rpc("devchain_blockWallTimes", "0x0", "0x0")["0x0"] <= values[0]
    assert rpc.error("devchain_blockWallTimes", hex(head), hex(head - 1)) == {
        "code": -32000,
        "message": "invalid block range params",
    }


def test_block_wall_time_of_the_block_carrying_a_payment(chain: Devchain):
    before = time.time()
    tx_hash = send(chain, token_transfer(chain, chain.usdc, 2, chain.accounts[9]["address"], 5))
    after = time.time()
    number = chain.rpc("eth_getTransactionReceipt", tx_hash)["blockNumber"]
    mined_at = chain.rpc("devchain_blockWallTimes", number, number)[number]
    assert before - 0.001 <= mined_at <= after + 0.001


def test_block_wall_times_follow_a_reorg(chain: Devchain):
    rpc = chain.rpc
    snapshot = rpc("evm_snapshot")
    rpc("devchain_mine", 1)
    head = head_number(chain)
    orphaned = rpc("devchain_blockWallTimes", head, head)[hex(head)]
    rpc("evm_revert", snapshot)
    assert rpc("devchain_blockWallTimes", head, head) == {}
    time.sleep(0.01)
    rpc("devchain_mine", 1)
    assert rpc("devchain_blockWallTimes", head, head)[hex(head)] > orphaned


def test_wall_times_are_kept_for_a_bounded_number_of_blocks(monkeypatch: pytest.MonkeyPatch):
    sys.path.insert(0, str(REPO / "Scripts" / "chain"))
    try:
        import chain_node
    finally:
        sys.path.pop(0)
    monkeypatch.setattr(chain_node, "WALL_TIME_BLOCKS", 5)
    node = chain_node.ChainNode(funded_accounts=[], balance_wei=0)
    with node.lock:
        node.mine_blocks(9)
        assert len(node.wall_times) == 5
        assert [number for number, _ in node.wall_times_between(0, 100)] == [5, 6, 7, 8, 9]
        assert node.wall_times_between(0, 4) == []


# ---------------------------------------------------------------------- what a refund sender uses


def test_block_receipts_by_every_block_reference(chain: Devchain):
    rpc = chain.rpc
    rpc("evm_setAutomine", False)
    hashes = [send(chain, token_transfer(chain, chain.usdc, i, chain.accounts[9]["address"], i)) for i in (1, 2)]
    rpc("evm_mine")
    block = rpc("eth_getBlockByNumber", "latest", False)
    receipts = rpc("eth_getBlockReceipts", block["number"])
    assert [r["transactionHash"] for r in receipts] == hashes
    assert receipts == [rpc("eth_getTransactionReceipt", h) for h in hashes]
    assert [r["logs"][0]["logIndex"] for r in receipts] == ["0x0", "0x1"]
    assert int(receipts[1]["cumulativeGasUsed"], 16) == sum(int(r["gasUsed"], 16) for r in receipts)
    for reference in (block["hash"], "latest", {"blockHash": block["hash"]}, {"blockNumber": block["number"]},
                      {"blockHash": block["hash"], "requireCanonical": True}):
        assert rpc("eth_getBlockReceipts", reference) == receipts, reference
    assert rpc("eth_getBlockReceipts", hex(int(block["number"], 16) + 100)) is None
    assert rpc("eth_getBlockReceipts", "0x" + "ab" * 32) is None
    assert rpc("eth_getBlockReceipts", "earliest") == []


def test_fee_history_rewards_follow_geths_gas_weighted_percentiles(chain: Devchain):
    rpc = chain.rpc
    rpc("evm_setAutomine", False)
    cheap = send(chain, sign(chain, 3, to=chain.accounts[9]["address"], value=1, gas=21000,
                             maxFeePerGas=50 * GWEI, maxPriorityFeePerGas=GWEI))
    dear = send(chain, token_transfer(chain, chain.usdc, 4, chain.accounts[9]["address"], 7,
                                      maxFeePerGas=50 * GWEI, maxPriorityFeePerGas=3 * GWEI))
    rpc("evm_mine")
    block = rpc("eth_getBlockByNumber", "latest", False)
    used = {r["transactionHash"]: int(r["gasUsed"], 16) for r in rpc("eth_getBlockReceipts", "latest")}
    total = int(block["gasUsed"], 16)
    percentiles = [0, 10, 20.5, 36.9, 50, 99.99, 100]
    history = rpc("eth_feeHistory", 1, "latest", percentiles)
    # Tips ascending, each weighted by its gas: a percentile is answered by the first
    # transaction whose cumulative gas reaches int(float(gasUsed) * p / 100).
    expected = [hex(GWEI) if int(float(total) * p / 100) <= used[cheap] else hex(3 * GWEI) for p in percentiles]
    assert history["reward"] == [expected]
    assert expected[0] == hex(GWEI) and expected[-1] == hex(3 * GWEI)
    assert set(used) == {cheap, dear}
    assert history["oldestBlock"] == block["number"]
    assert rpc("eth_feeHistory", "1", "latest", percentiles) == history  # decimal strings are counts too


def test_fee_history_edge_cases_answer_like_geth(chain: Devchain):
    rpc = chain.rpc
    head = head_number(chain)
    assert rpc("eth_feeHistory", "0x0", "latest", [50]) == {"oldestBlock": "0x0", "gasUsedRatio": None}
    assert rpc("eth_feeHistory", "0x0", hex(head + 10), []) == {"oldestBlock": "0x0", "gasUsedRatio": None}
    assert rpc.error("eth_feeHistory", "0x1", "latest", list(range(101))) == {
        "code": -32000,
        "message": "invalid reward percentile: over the query limit 100",
    }
    assert rpc.error("eth_feeHistory", "0x1", "latest", [10, 5]) == {
        "code": -32000,
        "message": "invalid reward percentile: #0:10.000000 >= #1:5.000000",
    }
    assert rpc.error("eth_feeHistory", "0x1", "latest", [101]) == {
        "code": -32000,
        "message": "invalid reward percentile: 101.000000",
    }
    assert rpc.error("eth_feeHistory", "0x1", hex(head + 1), []) == {
        "code": -32000,
        "message": f"request beyond head block: requested {head + 1}, head {head}",
    }
    whole = rpc("eth_feeHistory", "0x10000", "latest", [])
    assert whole["oldestBlock"] == hex(max(0, head - 1023))
    assert len(whole["gasUsedRatio"]) == min(head + 1, 1024)
    empty = rpc("eth_feeHistory", 1, "0x0", [25, 75])
    assert empty["reward"] == [["0x0", "0x0"]] and empty["gasUsedRatio"] == [0]


def test_max_priority_fee_follows_geths_oracle(chain: Devchain):
    rpc = chain.rpc
    rpc("devchain_setMinTip", 0)  # the oracle starts over at its default
    rpc("evm_setAutomine", False)
    recipient = chain.accounts[9]["address"]
    # Twenty blocks of two transactions each, tips i and 100 + i gwei: forty samples, so
    # no block is sampled twice and the 60th percentile is sample (40 - 1) * 60 // 100 = 23.
    for i in range(1, 21):
        for sender, tip in ((10, i * GWEI), (11, (100 + i) * GWEI)):
            send(chain, sign(chain, sender, to=recipient, value=1, gas=21000,
                             maxFeePerGas=300 * GWEI, maxPriorityFeePerGas=tip))
        rpc("evm_mine")
    samples = sorted([i * GWEI for i in range(1, 21)] + [(100 + i) * GWEI for i in range(1, 21)])
    assert samples[23] == 104 * GWEI
    assert rpc("eth_maxPriorityFeePerGas") == hex(104 * GWEI)
    base_fee = int(rpc("eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
    assert rpc("eth_gasPrice") == hex(104 * GWEI + base_fee)
    # Empty blocks contribute the last answer.
    rpc("devchain_mine", 20)
    assert rpc("eth_maxPriorityFeePerGas") == hex(104 * GWEI)


def test_estimate_gas_for_a_refund_within_the_senders_funds(chain: Devchain):
    rpc = chain.rpc
    poor = Account.create()
    send(chain, token_transfer(chain, chain.usdc, 1, poor.address, 10**6))
    funds = 30_000 * 10 * GWEI
    send(chain, sign(chain, 1, to=poor.address, value=funds, gas=21000))
    refund = {"from": poor.address, "to": chain.usdc, "data": "0x" + transfer_data(chain.accounts[9]["address"], 5).hex()}
    needed = int(rpc("eth_estimateGas", refund), 16)
    assert needed > 30_000
    assert rpc("eth_estimateGas", dict(refund, maxFeePerGas=hex(GWEI), maxPriorityFeePerGas=hex(GWEI))) == hex(needed)
    assert rpc.error("eth_estimateGas", dict(refund, maxFeePerGas=hex(10 * GWEI))) == {
        "code": -32000,
        "message": "gas required exceeds allowance (30000)",
    }
    assert rpc.error("eth_estimateGas", dict(refund, gasPrice=hex(10 * GWEI)))["message"] == (
        "gas required exceeds allowance (30000)"
    )
    assert rpc.error("eth_estimateGas", dict(refund, value=hex(funds), maxFeePerGas=hex(GWEI))) == {
        "code": -32000,
        "message": "insufficient funds for transfer",
    }
    # A gas below 21000 is ignored; one above it is the bound.
    assert rpc("eth_estimateGas", dict(refund, gas="0x1")) == hex(needed)
    assert rpc.error("eth_estimateGas", dict(refund, gas=hex(22_000)))["message"] == "gas required exceeds allowance (22000)"
    # The refund goes through with the estimate and a fee cap the sender can pay.
    signed = Account.sign_transaction(
        {"type": 2, "chainId": chain.info["chainId"], "nonce": 0, "to": chain.usdc, "value": 0, "gas": needed,
         "maxFeePerGas": 5 * GWEI, "maxPriorityFeePerGas": GWEI,
         "data": transfer_data(chain.accounts[9]["address"], 5)},
        poor.key,
    )
    receipt = rpc("eth_getTransactionReceipt", send(chain, bytes(signed.raw_transaction)))
    assert receipt["status"] == "0x1" and int(receipt["gasUsed"], 16) <= needed


def test_estimate_gas_is_within_geths_error_ratio(chain: Devchain):
    rpc = chain.rpc
    recipient = chain.accounts[8]["address"]
    call = {"from": chain.accounts[4]["address"], "to": chain.usdc, "data": "0x" + transfer_data(recipient, 77).hex()}
    estimate = int(rpc("eth_estimateGas", call), 16)
    receipt = rpc("eth_getTransactionReceipt", send(chain, token_transfer(chain, chain.usdc, 4, recipient, 77, gas=estimate)))
    used = int(receipt["gasUsed"], 16)
    assert receipt["status"] == "0x1"
    assert used <= estimate <= used * 1.015 + 1


def test_estimate_gas_fee_field_errors_answer_like_geth(chain: Devchain):
    rpc = chain.rpc
    sender = chain.accounts[4]["address"]
    transfer = {"from": sender, "to": chain.accounts[9]["address"], "value": "0x1"}
    assert rpc("eth_estimateGas", transfer) == hex(21000)
    assert rpc.error("eth_estimateGas", dict(transfer, gasPrice="0x1", maxFeePerGas="0x1")) == {
        "code": -32000,
        "message": "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified",
    }
    base_fee = int(rpc("eth_getBlockByNumber", "latest", False)["baseFeePerGas"], 16)
    assert rpc.error("eth_estimateGas", dict(transfer, maxFeePerGas="0x1")) == {
        "code": -32000,
        "message": f"failed with 30000000 gas: max fee per gas less than block base fee: address {sender}, "
        f"maxFeePerGas: 1, baseFee: {base_fee}",
    }
    assert rpc.error("eth_estimateGas", dict(transfer, maxFeePerGas=hex(10 * GWEI), maxPriorityFeePerGas=hex(11 * GWEI))) == {
        "code": -32000,
        "message": f"failed with 30000000 gas: max priority fee per gas higher than max fee per gas: address {sender}, "
        f"maxPriorityFeePerGas: {11 * GWEI}, maxFeePerGas: {10 * GWEI}",
    }
    empty = Account.create().address
    assert rpc.error("eth_estimateGas", {"from": empty, "to": sender, "value": "0x2"}) == {
        "code": -32000,
        "message": f"failed with 30000000 gas: insufficient funds for gas * price + value: address {empty} have 0 want 2",
    }
    assert rpc.error("eth_estimateGas", dict(transfer, maxFeePerGas="0xzz"))["code"] == -32602


# ---------------------------------------------------------------------- command line


def test_command_line_min_tip_and_paused_interval_mining(tmp_path: Path):
    chain = Devchain(tmp_path, "--min-tip", str(30 * GWEI), "--block-time", "0.1")
    try:
        recipient = chain.accounts[2]["address"]
        assert chain.info["tokens"]["USDC"]["address"] == "0x5FbDB2315678afecb367f032d93F642f64180aa3"
        low = sign(chain, 1, to=recipient, value=1, gas=21000)  # a 1 gwei tip
        assert chain.rpc.error("eth_sendRawTransaction", raw_hex(low))["message"] == (
            "transaction underpriced: gas tip cap 1000000000, minimum needed 30000000000"
        )
        assert int(chain.rpc("eth_maxPriorityFeePerGas"), 16) >= 30 * GWEI

        chain.rpc("devchain_setMining", False)
        paused_at = head_number(chain)
        tx_hash = send(chain, sign(chain, 1, to=recipient, value=1, gas=21000,
                                   maxFeePerGas=100 * GWEI, maxPriorityFeePerGas=30 * GWEI))
        time.sleep(0.5)
        assert head_number(chain) == paused_at
        assert chain.rpc("eth_getTransactionReceipt", tx_hash) is None
        chain.rpc("devchain_setMining", True)
        assert chain.rpc("eth_getTransactionReceipt", tx_hash)["blockNumber"] == hex(paused_at + 1)
        time.sleep(0.5)
        assert head_number(chain) >= paused_at + 3  # interval blocks again
    finally:
        assert chain.stop() == 0
