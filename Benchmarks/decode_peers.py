"""The decode benchmark's peer and limit, on the answer Benchmarks/make_logs_answer.py wrote:

- web3.py (the peer): parses the body with the standard json module, decodes every ERC-20
  Transfer with web3's event decoder and keeps those to a watched address, as a Python
  monitor would;
- orjson (the limit for turning these bytes into values): parses the same body, nothing more.

Prints one JSON object: {"web3": {"logsPerSecond", "kept"}, "orjson": {"logsPerSecond"}}, each
the best of several runs.

    python Benchmarks/decode_peers.py [DIRECTORY]      (default .state/bench/inputs)"""
import json
import sys
import time
from pathlib import Path

import orjson
from hexbytes import HexBytes
from web3 import Web3

ABI = json.loads((Path(__file__).resolve().parents[1] / "ABIs" / "ERC20.json").read_text())
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def web3_decode(body, watched, event):
    logs = json.loads(body)["result"]
    kept = 0
    for log in logs:
        topics = log["topics"]
        if len(topics) != 3 or topics[0] != TRANSFER:
            continue
        entry = dict(log)
        entry["topics"] = [HexBytes(t) for t in topics]
        entry["data"] = HexBytes(log["data"])
        entry["blockHash"] = HexBytes(log["blockHash"])
        entry["transactionHash"] = HexBytes(log["transactionHash"])
        entry["blockNumber"] = int(log["blockNumber"], 16)
        entry["logIndex"] = int(log["logIndex"], 16)
        entry["transactionIndex"] = int(log["transactionIndex"], 16)
        decoded = event.process_log(entry)
        if decoded["args"]["to"] in watched:
            kept += 1
    return len(logs), kept


def orjson_parse(body):
    return len(orjson.loads(body)["result"]), None


def best_rate(run, seconds):
    """Runs `run` until `seconds` have passed (at least three times); the best logs per second."""
    best, kept, runs, started = 0.0, None, 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - started < seconds:
        start = time.perf_counter()
        count, kept = run()
        best = max(best, count / (time.perf_counter() - start))
        runs += 1
    return best, kept


def main(directory: Path) -> None:
    body = (directory / "logs-answer.json").read_bytes()
    meta = json.loads((directory / "logs-answer.meta.json").read_text())
    watched = {Web3.to_checksum_address(a) for a in meta["watched"]}
    event = Web3().eth.contract(abi=ABI).events.Transfer()
    web3_rate, kept = best_rate(lambda: web3_decode(body, watched, event), 3.0)
    if kept != meta["kept"]:
        sys.exit(f"web3.py kept {kept} transfers, expected {meta['kept']}")
    orjson_rate, _ = best_rate(lambda: orjson_parse(body), 3.0)
    print(json.dumps({"web3": {"logsPerSecond": round(web3_rate, 1), "kept": kept}, "orjson": {"logsPerSecond": round(orjson_rate, 1)}}))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".state/bench/inputs"))
