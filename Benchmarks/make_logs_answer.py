"""Writes the eth_getLogs answer the decode benchmarks read, the same on every run: 20,000 logs
of two tokens, 80% ERC-20 Transfers (one in ten to a watched address), 20% Approvals, with
1,000 watched addresses, as a node sends it (compact JSON, lowercase hex, quantities without
leading zeros).

    python Benchmarks/make_logs_answer.py [DIRECTORY]      (default .state/bench/inputs)

Writes DIRECTORY/logs-answer.json (the response body) and DIRECTORY/logs-answer.meta.json
({"logs", "kept", "watched"}: the log count, how many Transfers go to a watched address, and
the watched addresses)."""
import hashlib
import json
import random
import sys
from pathlib import Path

TRANSFER = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
APPROVAL = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
TOKENS = ["0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "0xdac17f958d2ee523a2206206994597c13d831ec7"]
LOGS = 20_000
WATCHED = 1_000


def label_hash(text: str) -> str:
    return "0x" + hashlib.sha256(text.encode()).hexdigest()


def word(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


def main(directory: Path) -> None:
    rng = random.Random(20_000)
    address = lambda: "0x" + rng.randbytes(20).hex()  # noqa: E731
    watched = [address() for _ in range(WATCHED)]
    logs = []
    kept = 0
    for index in range(LOGS):
        is_transfer = index % 5 != 0
        to_watched = is_transfer and index % 10 == 1
        kept += to_watched
        to = watched[index % WATCHED] if to_watched else address()
        logs.append({
            "address": TOKENS[index % 2],
            "topics": [TRANSFER if is_transfer else APPROVAL, word(address()), word(to)],
            "data": "0x%064x" % rng.randint(1, 10_000_000_000),
            "blockNumber": hex(20_000_000 + index // 50),
            "blockHash": label_hash(f"block {index // 50}"),
            "transactionHash": label_hash(f"tx {index}"),
            "transactionIndex": hex(index % 50),
            "logIndex": hex(index % 50),
            "removed": False,
        })
    directory.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "result": logs}, separators=(",", ":"))
    (directory / "logs-answer.json").write_text(body)
    (directory / "logs-answer.meta.json").write_text(json.dumps({"logs": LOGS, "kept": kept, "watched": watched}))
    print(f"{directory / 'logs-answer.json'}: {LOGS} logs, {len(body)} bytes, {kept} transfers to watched addresses")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(".state/bench/inputs"))
