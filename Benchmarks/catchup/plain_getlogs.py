"""The catch-up benchmark's limit: the same eth_getLogs ranges the monitor asks for, and
nothing else (no database, no checks), against the same provider. One keep-alive connection;
each answer is parsed with the standard json module and its Transfers counted.

    python Benchmarks/catchup/plain_getlogs.py --url URL --range RANGE.json [--chunk 2000]

Prints {"seconds", "calls", "logs"} (the seconds from the first request to the last answer)."""
import argparse
import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlparse

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--range", type=Path, required=True)
    parser.add_argument("--chunk", type=int, default=2_000)
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
        start = end + 1
    print(json.dumps({"seconds": round(time.perf_counter() - started, 4), "calls": calls, "logs": logs}))


if __name__ == "__main__":
    main()
