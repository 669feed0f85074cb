"""The devchain answers in the shape real nodes use.

For each method, the devchain's answer is compared with responses recorded from Ethereum
mainnet and Polygon PoS nodes (../shared/vectors, INDEX.md section 7) and geth's own RPC
golden files: the same keys (differences only where listed below, each with its reason),
and every value in the format one schema fixes for both (the recorded responses are
checked against the schema too, so the schema itself is held to real nodes).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from devchain_helpers import VECTORS, Devchain, send, token_transfer

ERIGON = Path("erigon-rpc-tests/integration")
POLYGON_ETL = Path("polygon-etl/cli/tests/resources")
GETH_TESTDATA = Path("go-ethereum/internal/ethapi/testdata")

QTY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]*)$")
ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
HASH = re.compile(r"^0x[0-9a-f]{64}$")
BLOOM = re.compile(r"^0x[0-9a-f]{512}$")
DATA = re.compile(r"^0x([0-9a-f]{2})*$")
NONCE = re.compile(r"^0x[0-9a-f]{16}$")


def qty(v: Any) -> bool:
    return isinstance(v, str) and bool(QTY.match(v))


def address(v: Any) -> bool:
    return isinstance(v, str) and bool(ADDRESS.match(v))


def address_or_null(v: Any) -> bool:
    return v is None or address(v)


def hash32(v: Any) -> bool:
    return isinstance(v, str) and bool(HASH.match(v))


def bloom(v: Any) -> bool:
    return isinstance(v, str) and bool(BLOOM.match(v))


def data(v: Any) -> bool:
    return isinstance(v, str) and bool(DATA.match(v))


def nonce8(v: Any) -> bool:
    return isinstance(v, str) and bool(NONCE.match(v))


def boolean(v: Any) -> bool:
    return isinstance(v, bool)


def number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1


def list_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, list) and all(check(item) for item in v)


ACCESS_LIST_ENTRY = {"address": address, "storageKeys": list_of(hash32)}
WITHDRAWAL = {"address": address, "amount": qty, "index": qty, "validatorIndex": qty}
LOG = {
    "address": address,
    "blockHash": hash32,
    "blockNumber": qty,
    "blockTimestamp": qty,
    "data": data,
    "logIndex": qty,
    "removed": boolean,
    "topics": list_of(hash32),
    "transactionHash": hash32,
    "transactionIndex": qty,
}
TRANSACTION = {
    "accessList": lambda v: isinstance(v, list) and all(conforms(e, ACCESS_LIST_ENTRY) for e in v),
    "blockHash": hash32,
    "blockNumber": qty,
    "blockTimestamp": qty,
    "chainId": qty,
    "from": address,
    "gas": qty,
    "gasPrice": qty,
    "hash": hash32,
    "input": data,
    "maxFeePerGas": qty,
    "maxPriorityFeePerGas": qty,
    "nonce": qty,
    "r": qty,
    "s": qty,
    "to": address_or_null,
    "transactionIndex": qty,
    "type": qty,
    "v": qty,
    "value": qty,
    "yParity": qty,
}
BLOCK = {
    "baseFeePerGas": qty,
    "blobGasUsed": qty,
    "difficulty": qty,
    "excessBlobGas": qty,
    "extraData": data,
    "gasLimit": qty,
    "gasUsed": qty,
    "hash": hash32,
    "logsBloom": bloom,
    "miner": address,
    "mixHash": hash32,
    "nonce": nonce8,
    "number": qty,
    "parentBeaconBlockRoot": hash32,
    "parentHash": hash32,
    "receiptsRoot": hash32,
    "requestsHash": hash32,
    "sha3Uncles": hash32,
    "size": qty,
    "stateRoot": hash32,
    "timestamp": qty,
    "totalDifficulty": qty,
    "transactions": lambda v: isinstance(v, list)
    and (all(hash32(t) for t in v) or all(conforms(t, TRANSACTION) for t in v)),
    "transactionsRoot": hash32,
    "uncles": list_of(hash32),
    "withdrawals": lambda v: isinstance(v, list) and all(conforms(w, WITHDRAWAL) for w in v),
    "withdrawalsRoot": hash32,
}
RECEIPT = {
    "blockHash": hash32,
    "blockNumber": qty,
    "contractAddress": address_or_null,
    "cumulativeGasUsed": qty,
    "effectiveGasPrice": qty,
    "from": address,
    "gasUsed": qty,
    "logs": lambda v: isinstance(v, list) and all(conforms(log, LOG) for log in v),
    "logsBloom": bloom,
    "status": qty,
    "to": address_or_null,
    "transactionHash": hash32,
    "transactionIndex": qty,
    "type": qty,
}
FEE_HISTORY = {
    "oldestBlock": qty,
    "baseFeePerGas": list_of(qty),
    "gasUsedRatio": list_of(number),
    "baseFeePerBlobGas": list_of(qty),
    "blobGasUsedRatio": list_of(number),
    "reward": list_of(list_of(qty)),
}

# Keys the devchain sends that a recorded response lacks, with the reason.
AFTER_LONDON_BLOCK_FIELDS = {
    "withdrawals": "Shanghai (EIP-4895); the recorded block is older",
    "withdrawalsRoot": "Shanghai (EIP-4895); the recorded block is older",
    "blobGasUsed": "Cancun (EIP-4844); the recorded block is older",
    "excessBlobGas": "Cancun (EIP-4844); the recorded block is older",
    "parentBeaconBlockRoot": "Cancun (EIP-4788); the recorded block is older",
    "requestsHash": "Prague (EIP-7685); the recorded block is older",
}
NEWER_LOG_FIELDS = {
    "blockTimestamp": "added to logs and transactions by geth 1.16 and Erigon 3; the recording's node predates it",
}
POLYGON_LEGACY_TX_FIELDS = dict(
    NEWER_LOG_FIELDS,
    chainId="geth prints chainId for every replay-protected legacy transaction; Bor of early 2022 did not",
)
# Keys a recorded response has that the devchain does not send, with the reason.
POLYGON_TOTAL_DIFFICULTY = {
    "totalDifficulty": "dropped from post-merge blocks by geth 1.14 and Erigon 3; Bor (proof of authority) still sends it",
}


def conforms(value: Any, schema: Dict[str, Callable[[Any], bool]]) -> bool:
    return isinstance(value, dict) and all(key in schema and schema[key](v) for key, v in value.items())


def problems(value: Any, schema: Dict[str, Callable[[Any], bool]]) -> list:
    if not isinstance(value, dict):
        return [f"not an object: {value!r}"]
    found = []
    for key, v in value.items():
        if key not in schema:
            found.append(f"unexpected key {key}")
        elif not schema[key](v):
            found.append(f"{key} has the wrong format: {str(v)[:80]}")
    return found


def vector(relative: Path) -> Any:
    path = VECTORS / relative
    if not VECTORS.is_dir():
        pytest.skip(f"recorded node responses not found at {VECTORS}")
    document = json.loads(path.read_text())
    if isinstance(document, list):
        return document[0]["response"]["result"]
    if isinstance(document, dict) and "jsonrpc" in document:
        return document["result"]
    return document


def compare(
    ours: dict,
    recorded: dict,
    schema: Dict[str, Callable[[Any], bool]],
    extra_allowed: Dict[str, str] = {},
    missing_allowed: Dict[str, str] = {},
) -> None:
    assert problems(recorded, schema) == [], "the recorded response does not fit the schema"
    assert problems(ours, schema) == []
    extra = set(ours) - set(recorded)
    missing = set(recorded) - set(ours)
    assert extra <= set(extra_allowed), f"keys real nodes do not send: {sorted(extra - set(extra_allowed))}"
    assert missing <= set(missing_allowed), f"keys real nodes send: {sorted(missing - set(missing_allowed))}"


@pytest.fixture(scope="module")
def sample(devchain: Devchain) -> dict:
    """One block holding a type-2 USDC transfer and a type-0 USDT transfer, and what the devchain says of it."""
    rpc = devchain.rpc
    recipient = devchain.accounts[5]["address"]
    snapshot = rpc("evm_snapshot")
    rpc("evm_setAutomine", False)
    dynamic = send(devchain, token_transfer(devchain, devchain.usdc, 1, recipient, 1_500_000))
    legacy = send(devchain, token_transfer(devchain, devchain.usdt, 2, recipient, 2_500_000, gasPrice=3 * 10**9))
    rpc("evm_mine")
    rpc("evm_setAutomine", True)
    rpc("devchain_mine", 2)
    receipt = rpc("eth_getTransactionReceipt", dynamic)
    number = receipt["blockNumber"]
    result = {
        "block": rpc("eth_getBlockByNumber", number, False),
        "full_block": rpc("eth_getBlockByNumber", number, True),
        "dynamic_tx": rpc("eth_getTransactionByHash", dynamic),
        "legacy_tx": rpc("eth_getTransactionByHash", legacy),
        "dynamic_receipt": receipt,
        "legacy_receipt": rpc("eth_getTransactionReceipt", legacy),
        "logs": rpc("eth_getLogs", {"fromBlock": number, "toBlock": number}),
        "fee_history": rpc("eth_feeHistory", "0x2", hex(int(number, 16) + 1), [10, 50, 90]),
        "fee_history_plain": rpc("eth_feeHistory", "0x2", "latest", []),
        "chain_id": rpc("eth_chainId"),
        "future_block": rpc("eth_getBlockByNumber", "0xfffffffff", False),
        "unknown_receipt": rpc("eth_getTransactionReceipt", "0x" + "ff" * 32),
        "unknown_tx": rpc("eth_getTransactionByHash", "0x" + "ff" * 32),
    }
    assert rpc("evm_revert", snapshot) is True
    assert [t["type"] for t in result["full_block"]["transactions"]] == ["0x2", "0x0"]
    return result


def test_block_with_transaction_hashes_matches_mainnet_cancun_block(sample):
    recorded = vector(ERIGON / "mainnet/eth_getBlockByNumber/test_13.json")
    compare(sample["block"], recorded, BLOCK, extra_allowed={"requestsHash": AFTER_LONDON_BLOCK_FIELDS["requestsHash"]})


def test_block_with_full_transactions_matches_mainnet_london_block(sample):
    recorded = vector(ERIGON / "mainnet/eth_getBlockByNumber/test_04.json")
    compare(sample["full_block"], recorded, BLOCK, extra_allowed=AFTER_LONDON_BLOCK_FIELDS)
    recorded_by_type = {t["type"]: t for t in recorded["transactions"]}
    for ours in sample["full_block"]["transactions"]:
        compare(ours, recorded_by_type[ours["type"]], TRANSACTION)


def test_block_matches_polygon_block(sample):
    recorded = vector(
        POLYGON_ETL
        / "test_export_blocks_job/block_with_transaction_eip_1559/web3_response.eth_getBlockByNumber_0x16c7d38_true.json"
    )
    compare(
        sample["full_block"],
        recorded,
        BLOCK,
        extra_allowed=AFTER_LONDON_BLOCK_FIELDS,
        missing_allowed=POLYGON_TOTAL_DIFFICULTY,
    )
    legacy = sample["full_block"]["transactions"][1]
    compare(legacy, recorded["transactions"][0], TRANSACTION, extra_allowed=POLYGON_LEGACY_TX_FIELDS)


def test_transactions_match_mainnet(sample):
    compare(sample["dynamic_tx"], vector(ERIGON / "mainnet/eth_getTransactionByHash/test_01.json"), TRANSACTION)
    compare(sample["legacy_tx"], vector(ERIGON / "mainnet/eth_getTransactionByHash/test_03.json"), TRANSACTION)
    compare(
        sample["legacy_tx"],
        vector(ERIGON / "polygon-pos/eth_getTransactionByHash/test_01.json"),
        TRANSACTION,
        extra_allowed=NEWER_LOG_FIELDS,
    )


def test_receipts_match_mainnet_and_geth(sample):
    recorded = vector(ERIGON / "mainnet/eth_getTransactionReceipt/test_03.json")
    compare(sample["dynamic_receipt"], recorded, RECEIPT)
    compare(sample["dynamic_receipt"]["logs"][0], recorded["logs"][0], LOG)
    for name in ("eth_getTransactionReceipt-with-logs.json", "eth_getTransactionReceipt-dynamic-tx-with-logs.json"):
        compare(sample["legacy_receipt"], vector(GETH_TESTDATA / name), RECEIPT)


def test_receipts_match_polygon(sample):
    recorded = vector(
        POLYGON_ETL
        / "test_export_receipts_job/receipts_with_logs_eip_1559/web3_response.eth_getTransactionReceipt_0xcc6321f62e241e512bdbf7f466adfd2bd78543ee4a8efb69c2d58a5451ddb25d.json"
    )
    compare(sample["legacy_receipt"], recorded, RECEIPT)
    compare(sample["legacy_receipt"]["logs"][0], recorded["logs"][0], LOG, extra_allowed=NEWER_LOG_FIELDS)
    compare(
        sample["dynamic_receipt"],
        vector(ERIGON / "polygon-pos/eth_getTransactionReceipt/test_01.json"),
        RECEIPT,
    )


def test_logs_match_mainnet_and_polygon(sample):
    assert len(sample["logs"]) == 2
    mainnet = vector(ERIGON / "mainnet/eth_getLogs/test_08.json")
    polygon_filter = vector(
        POLYGON_ETL
        / "test_export_token_transfers_job/block_with_transfers/web3_response.eth_getFilterLogs_0xc06540724558e1036d5e19ae4d05348.json"
    )
    polygon_system = vector(ERIGON / "polygon-pos/eth_getLogs/test_01.json")
    for ours in sample["logs"]:
        compare(ours, mainnet[0], LOG)
        compare(ours, polygon_filter[0], LOG, extra_allowed=NEWER_LOG_FIELDS)
        compare(ours, polygon_system[0], LOG, extra_allowed=NEWER_LOG_FIELDS)


def test_fee_history_matches_mainnet(sample):
    compare(sample["fee_history"], vector(ERIGON / "mainnet/eth_feeHistory/test_02.json"), FEE_HISTORY)
    compare(sample["fee_history_plain"], vector(ERIGON / "mainnet/eth_feeHistory/test_09.json"), FEE_HISTORY)
    assert len(sample["fee_history"]["baseFeePerGas"]) == 3
    assert [len(r) for r in sample["fee_history"]["reward"]] == [3, 3]


def test_scalars_and_nulls_match_mainnet(sample):
    assert qty(vector(ERIGON / "mainnet/eth_chainId/test_01.json")) and sample["chain_id"] == "0x539"
    assert vector(ERIGON / "mainnet/eth_getBlockByNumber/test_03.json") is None and sample["future_block"] is None
    assert vector(ERIGON / "mainnet/eth_getTransactionReceipt/test_02.json") is None
    assert sample["unknown_receipt"] is None
    assert vector(ERIGON / "mainnet/eth_getTransactionByHash/test_02.json") is None and sample["unknown_tx"] is None


def test_every_string_is_lowercase_hex(sample):
    """Walk every string the devchain sent: all are 0x-prefixed lowercase hex, as geth prints them."""
    texts = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, str):
            texts.append(value)

    walk(sample)
    assert texts
    for text in texts:
        assert re.match(r"^0x[0-9a-f]*$", text), text
