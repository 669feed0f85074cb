"""Peer measurement: web3.py decoding and filtering the same eth_getLogs response as
GatewayBench. Reads the response body and the watched addresses written by GatewayBench,
then, like a monitor: parses the JSON, decodes every ERC-20 Transfer with web3's event
decoder and keeps those to a watched address. Prints logs per second (best of three)."""
import json
import sys
import time
from pathlib import Path

from hexbytes import HexBytes
from web3 import Web3

ABI = json.loads((Path(__file__).resolve().parents[1] / "ABIs" / "ERC20.json").read_text())
TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def run(body, watched, event):
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


def main(body_path, watched_path):
    body = Path(body_path).read_bytes()
    watched = {Web3.to_checksum_address(a) for a in json.loads(Path(watched_path).read_text())}
    event = Web3().eth.contract(abi=ABI).events.Transfer()
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        count, kept = run(body, watched, event)
        best = max(best, count / (time.perf_counter() - start))
    print(best, kept)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
