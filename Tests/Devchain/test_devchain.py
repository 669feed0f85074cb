"""Behaviour of the devchain: accounts and tokens, transactions and errors, reorgs, finality, logs."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from pathlib import Path

import pytest
import rlp
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import keccak

from devchain_helpers import (
    APPROVAL_TOPIC,
    REPO,
    TRANSFER_TOPIC,
    Devchain,
    RpcClient,
    balance_of,
    bloom_of,
    send,
    sign,
    token_transfer,
    topic_for,
    transfer_data,
)

CONTRACTS = REPO / "Scripts" / "chain" / "contracts"
ONE_MILLION_ETH = 1_000_000 * 10**18
ONE_MILLION_TOKENS = 1_000_000 * 10**6


def call_data(selector_hex: str, types=(), values=()) -> str:
    return "0x" + selector_hex + abi_encode(list(types), list(values)).hex()


# ---------------------------------------------------------------------- start-up


def test_info_file_describes_chain_accounts_and_tokens(devchain: Devchain):
    info = devchain.info
    assert info["url"].startswith("http://127.0.0.1:")
    assert info["chainId"] == 1337
    assert len(info["accounts"]) >= 10
    for account in info["accounts"]:
        assert Account.from_key(account["privateKey"]).address == account["address"]
    # The development mnemonic's first account, and the CREATE addresses of its nonces 0 and 1.
    assert info["accounts"][0]["address"] == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    assert info["tokens"] == {
        "USDC": {"address": "0x5FbDB2315678afecb367f032d93F642f64180aa3", "decimals": 6},
        "USDT": {"address": "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", "decimals": 6},
    }
    assert devchain.rpc("eth_chainId") == "0x539"
    assert devchain.rpc("net_version") == "1337"


def test_accounts_hold_native_currency_and_both_tokens(chain: Devchain):
    for account in chain.accounts:
        if account is not chain.accounts[0]:
            assert int(chain.rpc("eth_getBalance", account["address"], "latest"), 16) == ONE_MILLION_ETH
        assert balance_of(chain, chain.usdc, account["address"]) == ONE_MILLION_TOKENS
        assert balance_of(chain, chain.usdt, account["address"]) == ONE_MILLION_TOKENS
    # Account 0 paid for deploying the tokens.
    assert 0.999 * ONE_MILLION_ETH < int(chain.rpc("eth_getBalance", chain.accounts[0]["address"]), 16) < ONE_MILLION_ETH


def test_token_metadata(chain: Devchain):
    for token, symbol in ((chain.usdc, "USDC"), (chain.usdt, "USDT")):
        assert int(chain.rpc("eth_call", {"to": token, "data": "0x313ce567"}), 16) == 6  # decimals()
        raw = bytes.fromhex(chain.rpc("eth_call", {"to": token, "data": "0x95d89b41"})[2:])  # symbol()
        assert raw[64 : 64 + raw[63]].decode() == symbol


def test_compiled_fixtures_match_their_sources():
    for name in ("StandardToken", "NoReturnToken"):
        fixture = json.loads((CONTRACTS / f"{name}.json").read_text())
        source = (CONTRACTS / fixture["source"]).read_bytes()
        assert hashlib.sha256(source).hexdigest() == fixture["sourceSha256"], f"recompile {name}.vy"
        assert fixture["compiler"]["vyper"] and fixture["compiler"]["snekmate"]
        transfer = next(e for e in fixture["abi"] if e.get("name") == "transfer")
        assert transfer["outputs"] == ([{"name": "", "type": "bool"}] if name == "StandardToken" else [])


def test_transfer_return_data_usdt_empty_usdc_true(chain: Devchain):
    sender = chain.accounts[1]["address"]
    data = "0x" + transfer_data(chain.accounts[2]["address"], 1).hex()
    assert chain.rpc("eth_call", {"from": sender, "to": chain.usdt, "data": data}) == "0x"
    assert chain.rpc("eth_call", {"from": sender, "to": chain.usdc, "data": data}) == "0x" + "00" * 31 + "01"


# ---------------------------------------------------------------------- transactions


@pytest.mark.parametrize("symbol", ["USDC", "USDT"])
def test_token_transfer_is_mined_with_transfer_log_and_correct_bloom(chain: Devchain, symbol: str):
    token = chain.info["tokens"][symbol]["address"]
    sender, recipient = chain.accounts[3]["address"], chain.accounts[4]["address"]
    head = int(chain.rpc("eth_blockNumber"), 16)
    tx_hash = send(chain, token_transfer(chain, token, 3, recipient, 1234567))
    assert int(chain.rpc("eth_blockNumber"), 16) == head + 1  # automine: a block per transaction
    receipt = chain.rpc("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1" and receipt["blockNumber"] == hex(head + 1)
    assert receipt["from"] == sender.lower() and receipt["to"] == token.lower()
    [log] = receipt["logs"]
    assert log["address"] == token.lower()
    assert log["topics"] == [TRANSFER_TOPIC, topic_for(sender), topic_for(recipient)]
    assert int(log["data"], 16) == 1234567
    assert int(receipt["logsBloom"], 16) == bloom_of(receipt["logs"]) != 0
    block = chain.rpc("eth_getBlockByNumber", receipt["blockNumber"], False)
    assert block["transactions"] == [tx_hash] and int(block["logsBloom"], 16) == bloom_of(receipt["logs"])
    assert balance_of(chain, token, recipient) == ONE_MILLION_TOKENS + 1234567
    assert chain.rpc("eth_getTransactionByHash", tx_hash)["blockHash"] == receipt["blockHash"]
    assert chain.rpc("eth_getRawTransactionByHash", tx_hash) != "0x"


def test_failed_transfer_is_mined_with_status_0_and_no_logs(chain: Devchain):
    too_much = ONE_MILLION_TOKENS + 1
    tx_hash = send(chain, token_transfer(chain, chain.usdt, 4, chain.accounts[5]["address"], too_much, gas=80_000))
    receipt = chain.rpc("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x0" and receipt["logs"] == []
    assert int(receipt["logsBloom"], 16) == 0 and int(receipt["gasUsed"], 16) > 21000
    [same] = chain.rpc("eth_getBlockReceipts", receipt["blockNumber"])
    assert same == receipt


HEADER_FIELDS = (
    "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom",
    "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
    "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot", "requestsHash",
)
INTEGER_FIELDS = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "blobGasUsed",
                  "excessBlobGas"}


def test_block_hash_is_keccak_of_the_header_fields_sent(chain: Devchain):
    send(chain, token_transfer(chain, chain.usdc, 1, chain.accounts[2]["address"], 3))
    for tag in ("earliest", "0x1", "latest"):
        block = chain.rpc("eth_getBlockByNumber", tag, False)
        items = []
        for key in HEADER_FIELDS:
            if key not in block:
                continue  # the genesis header predates requestsHash
            value = int(block[key], 16) if key in INTEGER_FIELDS else None
            items.append(value.to_bytes((value.bit_length() + 7) // 8, "big") if value is not None
                         else bytes.fromhex(block[key][2:]))
        assert "0x" + keccak(rlp.encode(items)).hex() == block["hash"], tag


def test_empty_blocks_have_an_empty_bloom(chain: Devchain):
    chain.rpc("devchain_mine", 1)
    block = chain.rpc("eth_getBlockByNumber", "latest", False)
    assert block["transactions"] == [] and int(block["logsBloom"], 16) == 0
    assert block["gasUsed"] == "0x0"


def test_legacy_and_eip1559_transactions_and_fees(chain: Devchain):
    recipient = chain.accounts[9]["address"]
    legacy = send(chain, sign(chain, 5, to=recipient, value=10**18, gas=21000, gasPrice=2 * 10**9))
    dynamic = send(chain, sign(chain, 6, to=recipient, value=10**18, gas=21000))
    legacy_receipt = chain.rpc("eth_getTransactionReceipt", legacy)
    dynamic_receipt = chain.rpc("eth_getTransactionReceipt", dynamic)
    assert (legacy_receipt["type"], dynamic_receipt["type"]) == ("0x0", "0x2")
    base_fee = int(chain.rpc("eth_getBlockByNumber", dynamic_receipt["blockNumber"], False)["baseFeePerGas"], 16)
    assert int(dynamic_receipt["effectiveGasPrice"], 16) == base_fee + 10**9
    assert int(legacy_receipt["effectiveGasPrice"], 16) == 2 * 10**9
    assert int(chain.rpc("eth_getBalance", recipient), 16) == ONE_MILLION_ETH + 2 * 10**18


def test_contract_creation_receipt_has_contract_address(chain: Devchain):
    # Init code returning the one-byte runtime code 0x00.
    init = bytes.fromhex("600060005360016000f3")
    sender = chain.accounts[7]["address"]
    tx_hash = send(chain, sign(chain, 7, data=init, gas=100_000))
    receipt = chain.rpc("eth_getTransactionReceipt", tx_hash)
    assert receipt["to"] is None and receipt["status"] == "0x1"
    assert chain.rpc("eth_getTransactionByHash", tx_hash)["to"] is None
    assert chain.rpc("eth_getCode", receipt["contractAddress"], "latest") == "0x00"
    assert receipt["contractAddress"] != sender.lower()


def test_estimate_gas_is_enough_and_tight(chain: Devchain):
    recipient = chain.accounts[8]["address"]
    call = {"from": chain.accounts[4]["address"], "to": chain.usdc, "data": "0x" + transfer_data(recipient, 77).hex()}
    estimate = int(chain.rpc("eth_estimateGas", call), 16)
    assert chain.rpc("eth_estimateGas", {"from": call["from"], "to": recipient, "value": "0x1"}) == hex(21000)
    tx_hash = send(chain, token_transfer(chain, chain.usdc, 4, recipient, 77, gas=estimate))
    receipt = chain.rpc("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) <= estimate < int(receipt["gasUsed"], 16) + 5000


def test_reverts_answer_code_3_with_reason_and_data(chain: Devchain):
    poor = Account.create().address
    data = "0x" + transfer_data(chain.accounts[1]["address"], 1).hex()
    for method in ("eth_call", "eth_estimateGas"):
        error = chain.rpc.error(method, {"from": poor, "to": chain.usdc, "data": data})
        assert error["code"] == 3
        assert error["message"] == "execution reverted: erc20: transfer amount exceeds balance"
        assert error["data"].startswith("0x08c379a0")


def test_transaction_pool_errors(chain: Devchain):
    recipient = chain.accounts[9]["address"]
    first = sign(chain, 2, to=recipient, value=1, gas=21000)
    send(chain, first)
    nonce_error = chain.rpc.error("eth_sendRawTransaction", "0x" + first.hex())
    assert nonce_error["code"] == -32000 and nonce_error["message"].startswith("nonce too low")

    empty = Account.create()
    raw = Account.sign_transaction(
        {"type": 2, "chainId": 1337, "nonce": 0, "to": recipient, "value": 1, "gas": 21000,
         "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 10**9},
        empty.key,
    ).raw_transaction
    funds = chain.rpc.error("eth_sendRawTransaction", "0x" + bytes(raw).hex())
    assert funds["code"] == -32000
    assert funds["message"].startswith("insufficient funds for gas * price + value")

    wrong_chain = sign(chain, 2, to=recipient, value=1, gas=21000, chainId=1)
    assert "invalid chain id" in chain.rpc.error("eth_sendRawTransaction", "0x" + wrong_chain.hex())["message"]

    unprotected = Account.sign_transaction(
        {"nonce": 5, "to": recipient, "value": 1, "gas": 21000, "gasPrice": 10**9},
        chain.accounts[2]["privateKey"],
    ).raw_transaction
    assert chain.rpc.error("eth_sendRawTransaction", "0x" + bytes(unprotected).hex()) == {
        "code": -32000,
        "message": "only replay-protected (EIP-155) transactions allowed over RPC",
    }

    low_gas = sign(chain, 2, to=recipient, value=1, gas=20000)
    assert chain.rpc.error("eth_sendRawTransaction", "0x" + low_gas.hex())["message"].startswith("intrinsic gas too low")
    assert chain.rpc.error("eth_sendRawTransaction", "0xd4") == {
        "code": -32000,
        "message": "rlp: value size exceeds available input length",
    }


def test_queued_transactions_replacement_and_already_known(chain: Devchain):
    rpc = chain.rpc
    sender = chain.accounts[6]["address"]
    recipient = chain.accounts[9]["address"]
    rpc("evm_setAutomine", False)
    head = rpc("eth_blockNumber")
    nonce = int(rpc("eth_getTransactionCount", sender, "latest"), 16)
    original = sign(chain, 6, to=recipient, value=1, gas=21000, maxFeePerGas=10 * 10**9, maxPriorityFeePerGas=10**9)
    original_hash = send(chain, original)
    assert rpc("eth_blockNumber") == head
    assert rpc("eth_getTransactionReceipt", original_hash) is None
    pending = rpc("eth_getTransactionByHash", original_hash)
    assert pending["blockHash"] is None and pending["blockNumber"] is None and pending["transactionIndex"] is None
    assert rpc("eth_getTransactionCount", sender, "pending") == hex(nonce + 1)
    assert rpc("eth_getTransactionCount", sender, "latest") == hex(nonce)

    assert rpc.error("eth_sendRawTransaction", "0x" + original.hex()) == {"code": -32000, "message": "already known"}
    too_cheap = sign(chain, 6, nonce=nonce, to=recipient, value=2, gas=21000,
                     maxFeePerGas=10_900_000_000, maxPriorityFeePerGas=1_100_000_000)
    assert rpc.error("eth_sendRawTransaction", "0x" + too_cheap.hex()) == {
        "code": -32000,
        "message": "replacement transaction underpriced",
    }
    bumped = sign(chain, 6, nonce=nonce, to=recipient, value=3, gas=21000,
                  maxFeePerGas=11 * 10**9, maxPriorityFeePerGas=1_100_000_000)
    bumped_hash = send(chain, bumped)
    second_hash = send(chain, sign(chain, 6, to=recipient, value=4, gas=21000))  # nonce + 1

    rpc("evm_mine")
    block = rpc("eth_getBlockByNumber", "latest", False)
    assert block["transactions"] == [bumped_hash, second_hash]
    assert rpc("eth_getTransactionByHash", original_hash) is None
    assert rpc("eth_getTransactionCount", sender, "latest") == hex(nonce + 2)


def test_evm_mine_with_timestamp_and_devchain_mine_count(chain: Devchain):
    rpc = chain.rpc
    latest = rpc("eth_getBlockByNumber", "latest", False)
    future = int(latest["timestamp"], 16) + 1000
    assert rpc("evm_mine", future) == "0x0"
    assert rpc("eth_getBlockByNumber", "latest", False)["timestamp"] == hex(future)
    assert rpc.error("evm_mine", future)["code"] == -32000
    head = int(rpc("eth_blockNumber"), 16)
    assert rpc("devchain_mine", 5) == hex(head + 5)
    assert rpc("devchain_mine") == hex(head + 6)


# ---------------------------------------------------------------------- reorgs and finality


def test_reorg_re_includes_the_same_transaction_in_another_block(chain: Devchain):
    rpc = chain.rpc
    recipient = chain.accounts[8]["address"]
    head = int(rpc("eth_blockNumber"), 16)
    snapshot = rpc("evm_snapshot")
    raw = token_transfer(chain, chain.usdc, 5, recipient, 4242)
    tx_hash = send(chain, raw)
    first = rpc("eth_getTransactionReceipt", tx_hash)
    assert first["blockNumber"] == hex(head + 1)
    orphan = first["blockHash"]

    assert rpc("evm_revert", snapshot) is True
    assert rpc("eth_blockNumber") == hex(head)
    assert rpc("eth_getTransactionReceipt", tx_hash) is None
    assert rpc("eth_getBlockByHash", orphan, False) is None
    assert rpc.error("eth_getLogs", {"blockHash": orphan}) == {"code": -32000, "message": "unknown block"}
    assert rpc("evm_revert", snapshot) is False  # a snapshot is used up by reverting to it

    rpc("devchain_mine", 1)
    replacement = rpc("eth_getBlockByNumber", hex(head + 1), False)
    assert replacement["hash"] != orphan and replacement["transactions"] == []
    assert send(chain, raw) == tx_hash
    second = rpc("eth_getTransactionReceipt", tx_hash)
    assert second["blockNumber"] == hex(head + 2) and second["blockHash"] != orphan
    assert rpc("eth_getBlockByHash", orphan, False) is None
    [log] = rpc("eth_getLogs", {"blockHash": second["blockHash"]})
    assert log["transactionHash"] == tx_hash and log["blockHash"] == second["blockHash"]
    assert rpc("eth_getBlockByNumber", hex(head + 2), False)["parentHash"] == replacement["hash"]


def test_reverted_empty_blocks_get_new_hashes(chain: Devchain):
    rpc = chain.rpc
    snapshot = rpc("evm_snapshot")
    rpc("devchain_mine", 2)
    old = [rpc("eth_getBlockByNumber", "latest", False)["hash"]]
    old.append(rpc("eth_getBlockByNumber", "latest", False)["parentHash"])
    rpc("evm_revert", snapshot)
    rpc("devchain_mine", 2)
    new_head = rpc("eth_getBlockByNumber", "latest", False)
    assert {new_head["hash"], new_head["parentHash"]}.isdisjoint(old)
    for block_hash in old:
        assert rpc("eth_getBlockByHash", block_hash, False) is None


def test_finality_depth(chain: Devchain):
    rpc = chain.rpc
    rpc("devchain_mine", 6)
    head = int(rpc("eth_blockNumber"), 16)
    assert rpc("eth_getBlockByNumber", "finalized", False)["number"] == hex(head)
    assert rpc("devchain_setFinalityDepth", 4) is True
    assert rpc("eth_getBlockByNumber", "finalized", False)["number"] == hex(head - 4)
    assert rpc("eth_getBlockByNumber", "safe", False)["number"] == hex(head - 4)
    assert rpc("eth_getBlockByNumber", "latest", False)["number"] == hex(head)
    rpc("devchain_setFinalityDepth", head + 100)
    assert rpc("eth_getBlockByNumber", "finalized", False)["number"] == "0x0"
    assert rpc("eth_getBlockByNumber", "earliest", False)["number"] == "0x0"


# ---------------------------------------------------------------------- logs


def test_logs_by_block_hash_with_address_list_and_or_topics(chain: Devchain):
    rpc = chain.rpc
    rpc("evm_setAutomine", False)
    a, b, c = (chain.accounts[i]["address"] for i in (7, 8, 9))
    send(chain, token_transfer(chain, chain.usdc, 1, a, 11))
    send(chain, token_transfer(chain, chain.usdt, 2, b, 22))
    send(chain, token_transfer(chain, chain.usdc, 3, c, 33))
    rpc("evm_mine")
    block = rpc("eth_getBlockByNumber", "latest", False)
    assert len(block["transactions"]) == 3
    everything = rpc("eth_getLogs", {"blockHash": block["hash"]})
    assert [int(log["logIndex"], 16) for log in everything] == [0, 1, 2]
    assert int(block["logsBloom"], 16) == bloom_of(everything)

    both_tokens = {"blockHash": block["hash"], "address": [chain.usdc, chain.usdt],
                   "topics": [TRANSFER_TOPIC, None, [topic_for(a), topic_for(b)]]}
    assert [int(log["data"], 16) for log in rpc("eth_getLogs", both_tokens)] == [11, 22]
    only_usdc = dict(both_tokens, address=chain.usdc)
    assert [int(log["data"], 16) for log in rpc("eth_getLogs", only_usdc)] == [11]
    approvals = {"blockHash": block["hash"], "topics": [[APPROVAL_TOPIC]]}
    assert rpc("eth_getLogs", approvals) == []
    either = {"blockHash": block["hash"], "topics": [[APPROVAL_TOPIC, TRANSFER_TOPIC]]}
    assert len(rpc("eth_getLogs", either)) == 3
    by_range = rpc("eth_getLogs", {"fromBlock": block["number"], "toBlock": "latest", "address": [chain.usdt]})
    assert [int(log["data"], 16) for log in by_range] == [22]


def test_log_query_errors(chain: Devchain):
    rpc = chain.rpc
    head = rpc("eth_getBlockByNumber", "latest", False)
    both = rpc.error("eth_getLogs", {"blockHash": head["hash"], "fromBlock": "0x0"})
    assert both["code"] == -32602 and "cannot specify both BlockHash and FromBlock/ToBlock" in both["message"]
    backwards = rpc.error("eth_getLogs", {"fromBlock": "0x3", "toBlock": "0x2"})
    assert backwards == {"code": -32000, "message": "invalid block range params"}
    assert rpc.error("eth_getLogs", {"blockHash": "0x" + "ab" * 32}) == {"code": -32000, "message": "unknown block"}
    assert rpc.error("eth_getLogs", {"topics": [None] * 5})["code"] == -32602
    assert rpc("eth_getLogs", {"fromBlock": hex(int(head["number"], 16) + 10), "toBlock": hex(int(head["number"], 16) + 20)}) == []


# ---------------------------------------------------------------------- fees


def test_fee_history_from_blocks(chain: Devchain):
    rpc = chain.rpc
    send(chain, sign(chain, 3, to=chain.accounts[4]["address"], value=1, gas=21000,
                     maxFeePerGas=50 * 10**9, maxPriorityFeePerGas=2 * 10**9))
    head = int(rpc("eth_blockNumber"), 16)
    history = rpc("eth_feeHistory", "0x3", "latest", [0, 50, 100])
    assert history["oldestBlock"] == hex(head - 2)
    assert len(history["baseFeePerGas"]) == 4 and len(history["gasUsedRatio"]) == 3
    latest = rpc("eth_getBlockByNumber", "latest", False)
    assert history["baseFeePerGas"][2] == latest["baseFeePerGas"]
    assert history["gasUsedRatio"][2] == int(latest["gasUsed"], 16) / int(latest["gasLimit"], 16)
    assert history["reward"][2] == [hex(2 * 10**9)] * 3
    # The next block's base fee follows EIP-1559 from the newest block.
    base = int(latest["baseFeePerGas"], 16)
    target = int(latest["gasLimit"], 16) // 2
    expected = base - base * (target - int(latest["gasUsed"], 16)) // target // 8
    assert int(history["baseFeePerGas"][3], 16) == expected
    assert "reward" not in rpc("eth_feeHistory", "0x1", "latest", [])
    assert rpc("eth_maxPriorityFeePerGas").startswith("0x")
    assert int(rpc("eth_gasPrice"), 16) > 0
    assert rpc.error("eth_feeHistory", "0x1", hex(head + 5), [])["code"] == -32000


# ---------------------------------------------------------------------- JSON-RPC envelopes


def test_envelope_errors_and_batches(chain: Devchain):
    rpc = chain.rpc
    assert rpc.raw(b"{not json") == {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
    assert rpc.raw([]) == {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "empty batch"}}
    assert rpc.raw({"jsonrpc": "2.0", "id": 7})["error"] == {"code": -32600, "message": "invalid request"}
    assert rpc.raw({"jsonrpc": "2.0", "id": "x", "method": "eth_nope", "params": []}) == {
        "jsonrpc": "2.0",
        "id": "x",
        "error": {"code": -32601, "message": "the method eth_nope does not exist/is not available"},
    }
    bad_hex = rpc.raw({"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": ["0x12", "latest"]})
    assert bad_hex["error"]["code"] == -32602
    missing = rpc.raw({"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest"]})
    assert missing["error"] == {"code": -32602, "message": "missing value for required argument 1"}
    batch = rpc.raw([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_nope", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBlockByNumber", "params": ["0xffffff", False]},
        5,
    ])
    assert batch[0] == {"jsonrpc": "2.0", "id": 1, "result": "0x539"}
    assert batch[1]["error"]["code"] == -32601
    assert batch[2] == {"jsonrpc": "2.0", "id": 3, "result": None}
    assert batch[3]["error"]["code"] == -32600
    assert rpc.error("eth_getBalance", chain.accounts[0]["address"], "0xffffff") == {
        "code": -32000,
        "message": "header not found",
    }


def test_keep_alive_serves_many_requests_on_one_connection(chain: Devchain):
    client = RpcClient(chain.url)
    try:
        client("eth_chainId")
        connection_socket = client.connection.sock
        for _ in range(20):
            client("eth_blockNumber")
        assert client.connection.sock is connection_socket
    finally:
        client.close()


# ---------------------------------------------------------------------- command line


def test_command_line_options_interval_mining_and_clean_exit(tmp_path: Path):
    chain = Devchain(tmp_path, "--chain-id", "31337", "--finality-depth", "2", "--block-time", "0.2")
    try:
        assert chain.info["chainId"] == 31337 and chain.rpc("eth_chainId") == hex(31337)
        start = int(chain.rpc("eth_blockNumber"), 16)
        time.sleep(1.0)
        head = int(chain.rpc("eth_blockNumber"), 16)
        assert head >= start + 3
        finalized = int(chain.rpc("eth_getBlockByNumber", "finalized", False)["number"], 16)
        later_head = int(chain.rpc("eth_blockNumber"), 16)
        assert head - 2 <= finalized <= later_head - 2
        # Signatures are checked against the configured chain id.
        tx_hash = send(chain, token_transfer(chain, chain.usdc, 1, chain.accounts[2]["address"], 5))
        assert chain.rpc("eth_getTransactionReceipt", tx_hash)["status"] == "0x1"
        foreign = token_transfer(chain, chain.usdc, 1, chain.accounts[2]["address"], 5, chainId=1337)
        assert "invalid chain id" in chain.rpc.error("eth_sendRawTransaction", "0x" + foreign.hex())["message"]
    finally:
        assert chain.stop() == 0
    assert not chain.info_path.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(chain.url.rsplit(":", 1)[1])), timeout=1)
