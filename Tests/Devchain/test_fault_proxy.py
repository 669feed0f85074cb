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
