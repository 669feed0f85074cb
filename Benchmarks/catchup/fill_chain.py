"""Fills the devchain for the catch-up benchmark: BLOCKS new blocks holding TRANSFERS ERC-20
transfers (USDC and USDT in turn) to WATCHED watched addresses, spread evenly (one transfer
every BLOCKS / TRANSFERS blocks), from the devchain's accounts 1 to 19.

    python Benchmarks/catchup/fill_chain.py --info DEVCHAIN.json [--blocks 10000]
        [--transfers 2000] [--watched 100] --out RANGE.json

Mining is switched to manual for the fill (and back after): each transfer is sent, then
`devchain_mine` mines it and the empty blocks after it, many of these pairs per JSON-RPC batch.
Writes RANGE.json: {"fromBlock", "toBlock", "transfers", "watched": [addresses], "tokens"}."""
import argparse
import hashlib
import http.client
import json
import time
from pathlib import Path
from urllib.parse import urlparse

from eth_account import Account
from eth_utils import to_checksum_address

TRANSFER_SELECTOR = "a9059cbb"


class Node:
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600)
        self.next_id = 0

    def post(self, payload):
        self.connection.request("POST", "/", body=json.dumps(payload), headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return json.loads(response.read())

    def call(self, method, *params):
        self.next_id += 1
        answer = self.post({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)})
        if "error" in answer:
            raise SystemExit(f"fill_chain: {method} failed: {answer['error']}")
        return answer["result"]

    def batch(self, calls):
        payload = []
        for method, params in calls:
            self.next_id += 1
            payload.append({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        answers = self.post(payload)
        for answer in answers:
            if "error" in answer:
                raise SystemExit(f"fill_chain: a batched call failed: {answer['error']}")
        return answers


def watched_addresses(count: int) -> list:
    return ["0x" + hashlib.sha256(f"catch-up watched {i}".encode()).hexdigest()[:40] for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--info", type=Path, required=True)
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--transfers", type=int, default=2_000)
    parser.add_argument("--watched", type=int, default=100)
    parser.add_argument("--per-batch", type=int, default=100)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.transfers < 1 or args.blocks < args.transfers:
        raise SystemExit("fill_chain: need 1 <= transfers <= blocks")

    info = json.loads(args.info.read_text())
    node = Node(info["url"])
    tokens = [info["tokens"]["USDC"]["address"].lower(), info["tokens"]["USDT"]["address"].lower()]
    senders = [Account.from_key(account["privateKey"]) for account in info["accounts"][1:20]]
    nonces = {sender.address: int(node.call("eth_getTransactionCount", sender.address, "pending"), 16) for sender in senders}
    watched = watched_addresses(args.watched)
    chain_id = int(node.call("eth_chainId"), 16)

    started = time.perf_counter()
    signed = []
    for index in range(args.transfers):
        sender = senders[index % len(senders)]
        to = watched[index % len(watched)]
        data = "0x" + TRANSFER_SELECTOR + to[2:].rjust(64, "0") + format(1_000 + index, "064x")
        transaction = {
            "type": 2, "chainId": chain_id, "nonce": nonces[sender.address], "maxPriorityFeePerGas": 1,
            "maxFeePerGas": 10_000_000_000, "gas": 100_000, "to": to_checksum_address(tokens[index % 2]), "value": 0, "data": data,
        }
        nonces[sender.address] += 1
        signed.append("0x" + sender.sign_transaction(transaction).raw_transaction.hex().removeprefix("0x"))
    signing = time.perf_counter() - started

    first = int(node.call("eth_blockNumber"), 16) + 1
    spacing = args.blocks // args.transfers
    node.call("evm_setAutomine", False)
    try:
        mined = 0
        for start in range(0, args.transfers, args.per_batch):
            calls = []
            for index in range(start, min(args.transfers, start + args.per_batch)):
                last = index == args.transfers - 1
                blocks = args.blocks - mined if last else spacing
                calls += [("eth_sendRawTransaction", [signed[index]]), ("devchain_mine", [blocks])]
                mined += blocks
            node.batch(calls)
    finally:
        node.call("evm_setAutomine", True)
    last = int(node.call("eth_blockNumber"), 16)
    if last - first + 1 != args.blocks:
        raise SystemExit(f"fill_chain: mined {last - first + 1} blocks, expected {args.blocks}")
    result = {"fromBlock": first, "toBlock": last, "transfers": args.transfers, "watched": watched, "tokens": tokens}
    args.out.write_text(json.dumps(result))
    print(f"fill_chain: blocks {first}..{last}, {args.transfers} transfers to {len(watched)} watched addresses "
          f"(signing {signing:.1f} s, mining {time.perf_counter() - started - signing:.1f} s)")


if __name__ == "__main__":
    main()
