"""The catch-up benchmark's limit: the same eth_getLogs ranges the monitor asks for, and
nothing else (no database, no checks), against the same provider. One keep-alive connection;
each answer is parsed with the standard json module and its Transfers counted.

With --blocks, also what a client must ask to check each log against the canonical block at its
height (CHAIN-RULES rule 12), as the gateway does: after each range, the blocks of its logs with
eth_getBlockByNumber in JSON-RPC batches of 100, and each log's blockHash compared. Still no
database and no decoding beyond the json module.

    python Benchmarks/catchup/plain_getlogs.py --url URL --range RANGE.json [--chunk 2000] [--blocks]

Prints {"seconds", "calls", "logs"} (the seconds from the first request to the last answer)."""
import argparse
import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlparse

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def check_blocks(connection: http.client.HTTPConnection, logs: list) -> int:
    """Reads the blocks of `logs` in batches of 100 and compares each log's blockHash; returns
    the number of requests sent."""
    numbers = sorted({int(log["blockNumber"], 16) for log in logs})
    hashes = {}
    requests = 0
    for start in range(0, len(numbers), 100):
        batch = [{"jsonrpc": "2.0", "id": i + 1, "method": "eth_getBlockByNumber", "params": [hex(n), False]}
                 for i, n in enumerate(numbers[start:start + 100])]
        connection.request("POST", "/", body=json.dumps(batch), headers={"Content-Type": "application/json"})
        for answer in json.loads(connection.getresponse().read()):
            block = answer["result"]
            hashes[int(block["number"], 16)] = block["hash"]
        requests += 1
    for log in logs:
        if hashes.get(int(log["blockNumber"], 16)) != log["blockHash"]:
            raise SystemExit(f"plain_getlogs: log in block {log['blockNumber']} is not on the canonical block")
    return requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--range", type=Path, required=True)
    parser.add_argument("--chunk", type=int, default=2_000)
    parser.add_argument("--blocks", action="store_true")
    args = parser.parse_args()
    span = json.loads(args.range.read_text())
    recipients = ["0x" + "0" * 24 + address[2:] for address in span["watched"]]
    parsed = urlparse(args.url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
    started = time.perf_counter()
    calls = logs = 0
    start = span["fromBlock"]
    while start <= span["toBlock"]:
        end = min(span["toBlock"], start + args.chunk - 1)
        flt = {"fromBlock": hex(start), "toBlock": hex(end), "address": span["tokens"], "topics": [TRANSFER, None, recipients]}
        body = json.dumps({"jsonrpc": "2.0", "id": calls + 1, "method": "eth_getLogs", "params": [flt]})
        connection.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
        answer = json.loads(connection.getresponse().read())
        if "result" not in answer:
            raise SystemExit(f"plain_getlogs: eth_getLogs {start}..{end} failed: {answer.get('error')}")
        logs += len(answer["result"])
        calls += 1
        if args.blocks:
            calls += check_blocks(connection, answer["result"])
        start = end + 1
    print(json.dumps({"seconds": round(time.perf_counter() - started, 4), "calls": calls, "logs": logs}))


if __name__ == "__main__":
    main()
