"""The fault proxy forwards to the devchain and each fault mode does what it says."""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.parse

import pytest

from devchain_helpers import TRANSFER_TOPIC, Devchain, FaultProxy, RpcClient, bloom_of, send, token_transfer, topic_for


def raw_post(url: str, payload) -> http.client.HTTPResponse:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    connection.request("POST", "/", body=json.dumps(payload).encode(), headers={"Content-Type": "application/json"})
    return connection.getresponse()


def call(method: str, params=None, request_id=1) -> dict:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params or []}


def test_pass_forwards_single_and_batch_calls_and_counts_them(proxy: FaultProxy, chain: Devchain):
    assert proxy.rpc("eth_chainId") == "0x539"
    assert proxy.rpc("eth_blockNumber") == chain.rpc("eth_blockNumber")
    batch = proxy.rpc.raw([call("eth_chainId", request_id="a"), call("eth_blockNumber", request_id="b"),
                           call("eth_chainId", request_id="c")])
    assert [answer["id"] for answer in batch] == ["a", "b", "c"]
    assert proxy.stats() == {"requests": 3, "calls": 5, "byMethod": {"eth_chainId": 3, "eth_blockNumber": 2}}
    proxy.fault("pass")
    assert proxy.rpc("eth_chainId") == "0x539"


def test_refuse_stops_accepting_connections_until_reset(proxy: FaultProxy):
    port = int(proxy.url.rsplit(":", 1)[1])
    assert proxy.rpc("eth_chainId") == "0x539"
    proxy.fault("refuse")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(OSError):
        proxy.rpc("eth_chainId")  # the open keep-alive connection was dropped too
    proxy.reset()
    assert proxy.rpc("eth_chainId") == "0x539"
    proxy.fault("refuse")
    proxy.fault("pass")
    assert proxy.rpc("eth_chainId") == "0x539"


def test_delay_holds_matching_requests(proxy: FaultProxy):
    proxy.fault("delay", seconds=0.5, methods=["eth_blockNumber"])
    started = time.monotonic()
    proxy.rpc("eth_chainId")
    assert time.monotonic() - started < 0.4
    started = time.monotonic()
    proxy.rpc("eth_blockNumber")
    assert time.monotonic() - started >= 0.5


def test_http429_with_retry_after_and_count(proxy: FaultProxy):
    proxy.fault("http429", retryAfter=7, count=2)
    for _ in range(2):
        response = raw_post(proxy.url, call("eth_chainId"))
        body = response.read()
        assert response.status == 429 and response.getheader("Retry-After") == "7"
        assert b"jsonrpc" not in body
    assert proxy.rpc("eth_chainId") == "0x539"  # cleared itself after two requests
    assert proxy.stats()["requests"] == 3


def test_http500(proxy: FaultProxy):
    proxy.fault("http500")
    response = raw_post(proxy.url, call("eth_chainId"))
    assert response.status == 500 and b"jsonrpc" not in response.read()


def test_rpc_error_for_named_methods_inside_a_batch(proxy: FaultProxy):
    proxy.fault("rpc_error", code=-32005, message="query returned more than 10000 results", methods=["eth_getLogs"])
    batch = proxy.rpc.raw([call("eth_chainId", request_id=1), call("eth_getLogs", [{}], request_id=2)])
    assert batch[0] == {"jsonrpc": "2.0", "id": 1, "result": "0x539"}
    assert batch[1] == {"jsonrpc": "2.0", "id": 2,
                        "error": {"code": -32005, "message": "query returned more than 10000 results"}}
    assert proxy.rpc.error("eth_getLogs", {})["code"] == -32005
    assert proxy.stats()["byMethod"] == {"eth_chainId": 1, "eth_getLogs": 2}


def test_truncated_body_breaks_the_response(proxy: FaultProxy):
    proxy.fault("truncated", count=1)
    response = raw_post(proxy.url, call("eth_getBlockByNumber", ["latest", True]))
    assert response.status == 200
    with pytest.raises(http.client.IncompleteRead):
        response.read()
    assert proxy.rpc("eth_getBlockByNumber", "latest", False) is not None


def test_stale_head_serves_an_older_head(proxy: FaultProxy, chain: Devchain):
    recipient = chain.accounts[6]["address"]
    tx_hash = send(chain, token_transfer(chain, chain.usdc, 2, recipient, 99))
    chain.rpc("devchain_mine", 2)
    head = int(chain.rpc("eth_blockNumber"), 16)
    tx_block = head - 2
    proxy.fault("stale_head", behind=3)
    assert proxy.rpc("eth_blockNumber") == hex(head - 3)
    assert proxy.rpc("eth_getBlockByNumber", "latest", False)["number"] == hex(head - 3)
    assert proxy.rpc("eth_getBlockByNumber", hex(head - 2), False) is None
    assert proxy.rpc("eth_getBlockByNumber", hex(head - 4), False)["number"] == hex(head - 4)
    logs_filter = {"fromBlock": hex(tx_block - 1), "toBlock": "latest", "address": chain.usdc}
    assert proxy.rpc("eth_getLogs", logs_filter) == []
    assert proxy.rpc("eth_getTransactionReceipt", tx_hash) is None
    block_hash = chain.rpc("eth_getBlockByNumber", hex(tx_block), False)["hash"]
    assert proxy.rpc.error("eth_getLogs", {"blockHash": block_hash})["message"] == "unknown block"
    above = {"fromBlock": hex(head - 1), "toBlock": "latest"}
    assert proxy.rpc.error("eth_getLogs", above)["message"] == "invalid block range params"
    assert proxy.rpc("eth_getLogs", dict(above, toBlock=hex(head))) == []
    proxy.fault("stale_head", behind=1)
    assert [log["transactionHash"] for log in proxy.rpc("eth_getLogs", logs_filter)] == [tx_hash]
    proxy.fault("stale_head")
    assert proxy.rpc("eth_blockNumber") == hex(head - 5)


def test_empty_logs_for_queries_touching_the_newest_block(proxy: FaultProxy, chain: Devchain):
    recipient = chain.accounts[6]["address"]
    older = send(chain, token_transfer(chain, chain.usdc, 2, recipient, 1))
    newest = send(chain, token_transfer(chain, chain.usdc, 3, recipient, 2))
    newest_block = chain.rpc("eth_getTransactionReceipt", newest)["blockHash"]
    older_block = chain.rpc("eth_getTransactionReceipt", older)["blockHash"]
    head = int(chain.rpc("eth_blockNumber"), 16)
    proxy.fault("empty_logs_newest")
    assert proxy.rpc("eth_getLogs", {"blockHash": newest_block}) == []
    assert proxy.rpc("eth_getLogs", {"fromBlock": hex(head - 1), "toBlock": "latest"}) == []
    assert proxy.rpc("eth_getLogs", {"fromBlock": hex(head - 1), "toBlock": hex(head)}) == []
    assert len(proxy.rpc("eth_getLogs", {"blockHash": older_block})) == 1
    assert len(proxy.rpc("eth_getLogs", {"fromBlock": hex(head - 1), "toBlock": hex(head - 1)})) == 1
    assert len(chain.rpc("eth_getLogs", {"blockHash": newest_block})) == 1
    assert proxy.rpc("eth_getBlockByHash", newest_block, False)["logsBloom"] != "0x" + "00" * 256


def test_fabricated_transfer_log_and_receipt(proxy: FaultProxy, chain: Devchain):
    recipient = chain.accounts[7]["address"]
    chain.rpc("devchain_mine", 3)
    head = chain.rpc("eth_getBlockByNumber", "latest", False)
    proxy.fault("fabricate_transfer", token=chain.usdt, to=recipient, amount="123456789")
    query = {"fromBlock": hex(int(head["number"], 16) - 2), "toBlock": "latest", "address": [chain.usdt],
             "topics": [TRANSFER_TOPIC, None, [topic_for(recipient)]]}
    [log] = proxy.rpc("eth_getLogs", query)
    assert log["address"] == chain.usdt.lower() and log["blockHash"] == head["hash"]
    assert log["topics"][0] == TRANSFER_TOPIC and log["topics"][2] == topic_for(recipient)
    assert int(log["data"], 16) == 123456789
    assert int(log["transactionIndex"], 16) == len(head["transactions"])  # not a transaction of the block
    assert chain.rpc("eth_getLogs", query) == []
    assert chain.rpc("eth_getTransactionReceipt", log["transactionHash"]) is None
    receipt = proxy.rpc("eth_getTransactionReceipt", log["transactionHash"])
    assert receipt["status"] == "0x1" and receipt["logs"] == [log]
    assert int(receipt["logsBloom"], 16) == bloom_of([log])
    assert proxy.rpc("eth_getLogs", dict(query, address=[chain.usdc])) == []
    assert proxy.rpc("eth_getLogs", {"blockHash": head["hash"]})[-1] == log


def test_control_api_rejects_unknown_modes(proxy_process: FaultProxy):
    status, answer = proxy_process.control_call("POST", "/fault", {"mode": "explode"})
    assert status == 400 and "unknown mode" in answer["error"]
    assert proxy_process.control_call("GET", "/fault") == (200, {"mode": "pass"})


def test_proxy_keeps_connections_alive(proxy: FaultProxy):
    client = RpcClient(proxy.url)
    try:
        client("eth_chainId")
        sock = client.connection.sock
        for _ in range(10):
            client("eth_blockNumber")
        assert client.connection.sock is sock
    finally:
        client.close()


# ---------------------------------------------------------------------- forged and dropped logs


def last_log_index(chain: Devchain, block_hash: str) -> int:
    return max((int(log["logIndex"], 16) for log in chain.rpc("eth_getLogs", {"blockHash": block_hash})), default=-1)


def test_forge_log_reuses_a_real_transaction_of_the_block(proxy: FaultProxy, chain: Devchain):
    payer, recipient = chain.accounts[6]["address"], chain.accounts[7]["address"]
    real = send(chain, token_transfer(chain, chain.usdc, 2, payer, 100))
    receipt = chain.rpc("eth_getTransactionReceipt", real)
    chain.rpc("devchain_mine", 2)  # empty blocks after it: the forged log lands in the block with a transaction
    proxy.fault("forge_log", token=chain.usdt, to=recipient, amount="5000000")
    query = {"fromBlock": receipt["blockNumber"], "toBlock": "latest", "address": chain.usdt,
             "topics": [TRANSFER_TOPIC, None, topic_for(recipient)]}
    [log] = proxy.rpc("eth_getLogs", query)
    assert chain.rpc("eth_getLogs", query) == []
    assert log["transactionHash"] == real and log["transactionIndex"] == receipt["transactionIndex"]
    assert log["blockHash"] == receipt["blockHash"] and log["blockNumber"] == receipt["blockNumber"]
    assert log["logIndex"] == hex(last_log_index(chain, receipt["blockHash"]) + 1) == "0x1"
    assert log["address"] == chain.usdt.lower() and int(log["data"], 16) == 5000000
    assert log["topics"][0] == TRANSFER_TOPIC and log["topics"][2] == topic_for(recipient)
    assert log["topics"][1] not in (topic_for(payer), topic_for(recipient))
    assert list(log) == list(chain.rpc("eth_getLogs", {"blockHash": receipt["blockHash"]})[0])  # geth's key order
    # Receipts stay honest without the receipts option.
    assert proxy.rpc("eth_getTransactionReceipt", real) == receipt

    everything = proxy.rpc("eth_getLogs", {"blockHash": receipt["blockHash"]})
    assert [entry["logIndex"] for entry in everything] == ["0x0", "0x1"] and everything[1] == log
    assert proxy.rpc("eth_getLogs", dict(query, address=chain.usdc)) == []  # the filter does not admit it
    head = chain.rpc("eth_getBlockByNumber", "latest", False)
    assert proxy.rpc("eth_getLogs", {"blockHash": head["hash"]}) == []  # no transaction to reuse there

    sender = chain.accounts[11]["address"]
    proxy.fault("forge_log", token=chain.usdt, to=recipient, amount=7, **{"from": sender})
    [named] = proxy.rpc("eth_getLogs", query)
    assert named["topics"][1] == topic_for(sender) and int(named["data"], 16) == 7


def test_forge_log_with_receipts_patches_this_providers_receipts(proxy: FaultProxy, chain: Devchain):
    recipient = chain.accounts[7]["address"]
    real = send(chain, token_transfer(chain, chain.usdc, 2, chain.accounts[6]["address"], 100))
    receipt = chain.rpc("eth_getTransactionReceipt", real)
    proxy.fault("forge_log", token=chain.usdt, to=recipient, amount=42, receipts=True)
    [log] = proxy.rpc("eth_getLogs", {"blockHash": receipt["blockHash"], "address": chain.usdt})
    patched = proxy.rpc("eth_getTransactionReceipt", real)
    assert patched["logs"] == receipt["logs"] + [log]
    assert int(patched["logsBloom"], 16) == bloom_of(patched["logs"])
    assert {k: v for k, v in patched.items() if k not in ("logs", "logsBloom")} == {
        k: v for k, v in receipt.items() if k not in ("logs", "logsBloom")
    }
    assert proxy.rpc("eth_getBlockReceipts", receipt["blockNumber"]) == [patched]
    assert proxy.rpc("eth_getBlockReceipts", receipt["blockHash"]) == [patched]
    assert chain.rpc("eth_getTransactionReceipt", real) == receipt  # the node itself knows nothing of it
    # Asking again forges the same log, not a second one.
    proxy.rpc("eth_getLogs", {"blockHash": receipt["blockHash"], "address": chain.usdt})
    assert proxy.rpc("eth_getTransactionReceipt", real) == patched
    proxy.reset()
    assert proxy.rpc("eth_getTransactionReceipt", real) == receipt


def test_forge_log_in_bloom_copies_a_real_transfer_with_another_amount(proxy: FaultProxy, chain: Devchain):
    recipient = chain.accounts[6]["address"]
    real = send(chain, token_transfer(chain, chain.usdc, 2, recipient, 100))
    receipt = chain.rpc("eth_getTransactionReceipt", real)
    block = chain.rpc("eth_getBlockByHash", receipt["blockHash"], False)
    proxy.fault("forge_log", in_bloom=True, amount="99999999")
    query = {"blockHash": block["hash"], "topics": [TRANSFER_TOPIC, None, topic_for(recipient)]}
    [original, copy] = proxy.rpc("eth_getLogs", query)
    assert original == receipt["logs"][0]
    assert copy == dict(original, data="0x" + (99999999).to_bytes(32, "big").hex(), logIndex="0x1")
    assert bloom_of([copy]) & int(block["logsBloom"], 16) == bloom_of([copy])  # passes the block's bloom
    ranged = proxy.rpc("eth_getLogs", {"fromBlock": block["number"], "toBlock": block["number"], "address": chain.usdc})
    assert ranged == [original, copy]
    proxy.fault("forge_log", in_bloom=True, amount=1, to=chain.accounts[9]["address"])
    assert proxy.rpc("eth_getLogs", query) == [original]  # no Transfer to that recipient to copy


def test_partial_logs_drop_every_but_the_nth_or_those_to_a_recipient(proxy: FaultProxy, chain: Devchain):
    a, b, c = (chain.accounts[i]["address"] for i in (7, 8, 9))
    chain.rpc("evm_setAutomine", False)
    for sender, recipient in ((1, a), (2, b), (3, a), (4, c)):
        send(chain, token_transfer(chain, chain.usdc, sender, recipient, sender))
    chain.rpc("evm_mine")
    block_hash = chain.rpc("eth_getBlockByNumber", "latest", False)["hash"]
    everything = chain.rpc("eth_getLogs", {"blockHash": block_hash})
    assert [int(log["data"], 16) for log in everything] == [1, 2, 3, 4]
    proxy.fault("partial_logs", keep=2)
    assert proxy.rpc("eth_getLogs", {"blockHash": block_hash}) == [everything[1], everything[3]]
    proxy.fault("partial_logs", drop_to=a)
    assert proxy.rpc("eth_getLogs", {"blockHash": block_hash}) == [everything[1], everything[3]]
    proxy.fault("partial_logs", drop_to=b.upper().replace("0X", "0x"), keep=1)
    assert proxy.rpc("eth_getLogs", {"blockHash": block_hash}) == [everything[0], everything[2], everything[3]]
    proxy.fault("partial_logs", drop_to=a, keep=2)
    assert proxy.rpc("eth_getLogs", {"blockHash": block_hash}) == [everything[3]]
    receipts = proxy.rpc("eth_getBlockReceipts", block_hash)
    assert [log for receipt in receipts for log in receipt["logs"]] == everything  # receipts untouched


# ---------------------------------------------------------------------- heads that lie


def test_inflated_finalized_answers_a_block_above_the_head(proxy: FaultProxy, chain: Devchain):
    chain.rpc("devchain_setFinalityDepth", 2)
    chain.rpc("devchain_mine", 3)
    head = chain.rpc("eth_getBlockByNumber", "latest", False)
    proxy.fault("inflated_finalized", ahead=5)
    for tag in ("finalized", "safe"):
        block = proxy.rpc("eth_getBlockByNumber", tag, False)
        assert block["number"] == hex(int(head["number"], 16) + 5)
        assert list(block) == list(head) and block["transactions"] == []
        assert block["hash"] != head["hash"] and chain.rpc("eth_getBlockByHash", block["hash"], False) is None
        assert int(block["timestamp"], 16) > int(head["timestamp"], 16)
    assert proxy.rpc("eth_getBlockByNumber", "finalized", True)["transactions"] == []
    assert proxy.rpc("eth_getBlockByNumber", "latest", False) == head
    assert proxy.rpc("eth_blockNumber") == head["number"]
    assert proxy.rpc("eth_getBlockByNumber", hex(int(head["number"], 16) - 2), False)["number"] == hex(
        int(head["number"], 16) - 2)
    proxy.fault("inflated_finalized", null=True)
    assert proxy.rpc("eth_getBlockByNumber", "finalized", False) is None
    assert proxy.rpc("eth_getBlockByNumber", "safe", False) is None
    assert chain.rpc("eth_getBlockByNumber", "finalized", False)["number"] == hex(int(head["number"], 16) - 2)


@pytest.mark.parametrize("value", ["0xffffffffffffffff", "0x10000000000000000", 12345, None, "latest"])
def test_head_answers_a_fixed_block_number(proxy: FaultProxy, chain: Devchain, value):
    proxy.fault("head", value=value)
    assert proxy.rpc.request("eth_blockNumber")["result"] == value
    assert proxy.rpc("eth_getBlockByNumber", "latest", False)["number"] == chain.rpc("eth_blockNumber")


@pytest.mark.parametrize("retry_after", ["inf", "-1", "1.5", "", "Wed, 21 Oct 2015 07:28:00 GMT", 0, 2**64])
def test_http429_sends_retry_after_verbatim(proxy: FaultProxy, retry_after):
    proxy.fault("http429", retryAfter=retry_after)
    response = raw_post(proxy.url, call("eth_chainId"))
    response.read()
    assert response.status == 429 and response.getheader("Retry-After") == str(retry_after)


def test_http429_without_retry_after(proxy: FaultProxy):
    proxy.fault("http429", retryAfter=None)
    response = raw_post(proxy.url, call("eth_chainId"))
    response.read()
    assert response.status == 429 and response.getheader("Retry-After") is None


# ---------------------------------------------------------------------- junk


def junk_bodies(proxy: FaultProxy, requests: list) -> list:
    answers = []
    for payload in requests:
        response = raw_post(proxy.url, payload)
        answers.append((response.status, response.getheader("X-Fault-Junk"), response.read()))
    return answers


def test_junk_answers_hostile_values_repeatably_from_a_seed(proxy: FaultProxy):
    requests = [call("eth_chainId", request_id=i) if i % 3 else
                [call("eth_chainId", request_id=i), call("net_version", request_id=f"n{i}")] for i in range(60)]
    honest = [raw_post(proxy.url, payload).read() for payload in requests]
    proxy.fault("junk", seed=7)
    first = junk_bodies(proxy, requests)
    proxy.fault("junk", seed=7)
    assert junk_bodies(proxy, requests) == first
    proxy.fault("junk", seed=8)
    assert junk_bodies(proxy, requests) != first
    assert all(status == 200 for status, _, _ in first)
    assert all(body != expected for (_, _, body), expected in zip(first, honest))
    used = {kind for _, kinds, _ in first for kind in kinds.split(",")}
    assert len(used) >= 8, used
    proxy.reset()
    assert proxy.rpc("eth_chainId") == "0x539"


@pytest.mark.parametrize("kind", ["truncated_json", "not_json", "empty_body", "deep_nesting", "non_standard_json"])
def test_junk_body_kinds_are_not_valid_json_rpc(proxy: FaultProxy, kind):
    proxy.fault("junk", seed=1, kinds=[kind])
    for _ in range(5):
        status, kinds, body = junk_bodies(proxy, [call("eth_chainId")])[0]
        assert status == 200 and kinds == kind
        try:
            answer = json.loads(body)
        except (ValueError, RecursionError):
            continue
        assert answer != {"jsonrpc": "2.0", "id": 1, "result": "0x539"}


def test_junk_call_kinds_touch_only_the_matching_calls(proxy: FaultProxy):
    proxy.fault("junk", seed=3, kinds=["wrong_id"])
    for request_id in range(10):
        answer = proxy.rpc.raw(call("eth_chainId", request_id=request_id))
        assert answer.get("id", "missing") != request_id and answer["result"] == "0x539"
    proxy.fault("junk", seed=3, kinds=["huge_number", "bad_hex"], methods=["eth_chainId"])
    for _ in range(10):
        chain_id, version = proxy.rpc.raw([call("eth_chainId", request_id=1), call("net_version", request_id=2)])
        assert chain_id["id"] == 1 and chain_id["result"] != "0x539"
        assert version == {"jsonrpc": "2.0", "id": 2, "result": "1337"}
    assert proxy.rpc("net_version") == "1337"


def test_control_api_checks_new_mode_parameters(proxy_process: FaultProxy):
    for spec in (
        {"mode": "forge_log", "token": "0x" + "11" * 20, "to": "0x" + "22" * 20},
        {"mode": "forge_log", "amount": 1},
        {"mode": "forge_log", "amount": -1, "in_bloom": True},
        {"mode": "forge_log", "amount": 1, "in_bloom": True, "to": "0x12"},
        {"mode": "partial_logs"},
        {"mode": "partial_logs", "keep": 0},
        {"mode": "inflated_finalized", "ahead": -1},
        {"mode": "head"},
        {"mode": "http429", "retryAfter": "1\r\nX-Injected: yes"},
        {"mode": "http429", "retryAfter": {"seconds": 1}},
        {"mode": "junk", "kinds": ["explode"]},
        {"mode": "junk", "seed": "seven"},
    ):
        status, answer = proxy_process.control_call("POST", "/fault", spec)
        assert status == 400 and answer["error"], spec
    assert proxy_process.control_call("GET", "/fault") == (200, {"mode": "pass"})
