"""Local development chain: a real EVM (py-evm through eth-tester) behind HTTP JSON-RPC.

Usage (normally through Scripts/devchain):
    devchain.py --port PORT --info FILE [--block-time SECONDS] [--finality-depth N] [--chain-id N] [--min-tip WEI]

At start it funds the well-known development accounts, deploys the USDC and USDT
stand-ins, starts serving, and then writes FILE (atomically) with the URL, chain id,
token addresses and account keys. It runs until SIGTERM or SIGINT, then removes FILE
and exits 0. See README.md in this folder.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import List, Optional, Tuple

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import to_checksum_address

import chain_node
from http_body import read_chunked
from rpc_methods import Dispatcher

HERE = Path(__file__).resolve().parent
CONTRACTS = HERE / "contracts"

# The public development mnemonic of Hardhat and anvil: anyone who has used either
# recognises the accounts, and nobody should ever hold value on them.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_ACCOUNT_PATH = "m/44'/60'/0'/0/{}"
ACCOUNT_COUNT = 20
NATIVE_BALANCE_WEI = 1_000_000 * 10**18
TOKEN_BALANCE_UNITS = 1_000_000 * 10**6

# (symbol, fixture, token name, EIP-712 domain version); deployed in this order by
# account 0 at nonces 0 and 1, so their addresses never change.
TOKENS = (
    ("USDC", "StandardToken", "USD Coin", "2"),
    ("USDT", "NoReturnToken", "Tether USD", "1"),
)
TOKEN_DECIMALS = 6
DEPLOY_TIP_WEI = 1_000_000_000
MAX_BODY_BYTES = 5 * 1024 * 1024


def dev_accounts(count: int = ACCOUNT_COUNT) -> List[Tuple[str, str]]:
    """(EIP-55 address, 0x private key) of the first `count` development accounts."""
    Account.enable_unaudited_hdwallet_features()
    accounts = []
    for index in range(count):
        account = Account.from_mnemonic(DEV_MNEMONIC, account_path=DEV_ACCOUNT_PATH.format(index))
        accounts.append((account.address, "0x" + bytes(account.key).hex()))
    return accounts


def deploy_tokens(node: chain_node.ChainNode, deployer_key: str, holders: List[str]) -> dict:
    tokens = {}
    for nonce, (symbol, fixture, name, version) in enumerate(TOKENS):
        compiled = json.loads((CONTRACTS / f"{fixture}.json").read_text())
        arguments = abi_encode(
            ["string", "string", "uint8", "string", "string", "address[]", "uint256"],
            [name, symbol, TOKEN_DECIMALS, name, version, holders, TOKEN_BALANCE_UNITS],
        )
        base_fee = node.next_base_fee()
        tip = max(DEPLOY_TIP_WEI, node.min_tip)
        signed = Account.sign_transaction(
            {
                "type": 2,
                "chainId": node.chain_id,
                "nonce": nonce,
                "maxPriorityFeePerGas": tip,
                "maxFeePerGas": 2 * base_fee + tip,
                "gas": 8_000_000,
                "value": 0,
                "data": bytes.fromhex(compiled["bytecode"][2:]) + arguments,
            },
            deployer_key,
        )
        tx_hash = node.send_raw_transaction(bytes(signed.raw_transaction))
        found = node.find_transaction(tx_hash)
        if found is None:
            raise RuntimeError(f"{symbol} deployment was not mined")
        mined, index = found
        if mined.receipts[index].state_root != b"\x01":
            raise RuntimeError(f"{symbol} deployment failed")
        created = chain_node.wire.contract_address(mined.senders[index], nonce)
        tokens[symbol] = {"address": to_checksum_address(created), "decimals": TOKEN_DECIMALS}
    return tokens


class RpcHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive: every response carries Content-Length."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY the second one
    # waits for the client's delayed ACK (about 40 ms per request).
    disable_nagle_algorithm = True
    server_version = "devchain"
    sys_version = ""
    dispatcher: Dispatcher = None  # set on the subclass made for each server
    timeout = 300

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        answer = self.dispatcher.handle_body(body)
        self._send(200, answer or b"", "application/json")

    def do_GET(self) -> None:
        self._send(405, b"method not allowed\n", "text/plain", extra={"Allow": "POST"})

    def _read_body(self) -> Optional[bytes]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return read_chunked(self.rfile)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._send(413, b"content length too large\n", "text/plain")
            self.close_connection = True
            return None
        return self.rfile.read(length)

    def _send(self, status: int, body: bytes, content_type: str, extra: Optional[dict] = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # requests are not logged
        pass


class RpcServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def write_info(path: Path, info: dict) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(info, indent=2) + "\n")
    os.replace(temporary, path)


def interval_miner(node: chain_node.ChainNode, seconds: float, stop: threading.Event) -> None:
    """A block every `seconds` while mining is on (devchain_setMining false skips the ticks)."""
    while not stop.wait(seconds):
        with node.lock:
            if node.mining:
                node.mine()


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="devchain", description="Local development chain over HTTP JSON-RPC.")
    parser.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--info", type=Path, required=True, help="file to write the chain's details to when ready")
    parser.add_argument("--block-time", type=float, default=None, help="also mine a block every SECONDS")
    parser.add_argument("--finality-depth", type=int, default=0, help="finalized = head - N (default 0)")
    parser.add_argument("--chain-id", type=int, default=chain_node.DEFAULT_CHAIN_ID, help="chain id (default 1337)")
    parser.add_argument(
        "--min-tip", type=int, default=0, help="refuse transactions whose tip cap is below WEI (default 0; bor: 25 gwei)"
    )
    args = parser.parse_args(argv)
    if args.block_time is not None and args.block_time <= 0:
        parser.error("--block-time must be positive")
    if args.finality_depth < 0:
        parser.error("--finality-depth must not be negative")
    if args.chain_id <= 0:
        parser.error("--chain-id must be positive")
    if not 0 <= args.min_tip < 2**256:
        parser.error("--min-tip must be between 0 and 2^256-1")
    return args


def main(argv: List[str]) -> int:
    args = parse_args(argv)
    info_path: Path = args.info
    if info_path.exists():
        info_path.unlink()

    accounts = dev_accounts()
    node = chain_node.ChainNode(
        funded_accounts=[bytes.fromhex(address[2:]) for address, _ in accounts],
        balance_wei=NATIVE_BALANCE_WEI,
        chain_id=args.chain_id,
        finality_depth=args.finality_depth,
        min_tip=args.min_tip,
    )
    with node.lock:
        tokens = deploy_tokens(node, accounts[0][1], [address for address, _ in accounts])

    handler = type("BoundRpcHandler", (RpcHandler,), {"dispatcher": Dispatcher(node)})
    server = RpcServer(("127.0.0.1", args.port), handler)
    port = server.server_address[1]
    serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
    serving.start()

    stop = threading.Event()
    # A parent may start us with these signals blocked (threads of some runtimes block
    # them and children inherit the mask); unblock them so that SIGTERM always stops us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.block_time is not None:
        threading.Thread(target=interval_miner, args=(node, args.block_time, stop), name="miner", daemon=True).start()

    url = f"http://127.0.0.1:{port}"
    write_info(
        info_path,
        {
            "url": url,
            "chainId": args.chain_id,
            "tokens": tokens,
            "accounts": [{"address": address, "privateKey": key} for address, key in accounts],
        },
    )
    print(f"devchain: serving {url} (chain id {args.chain_id}); details in {info_path}", flush=True)

    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    try:
        info_path.unlink()
    except FileNotFoundError:
        pass
    print("devchain: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
