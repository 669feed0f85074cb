"""Test helpers: devchain and fault-proxy processes on free ports, a JSON-RPC client, signing."""

from __future__ import annotations

import http.client
import json
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any, List, Optional

from eth_abi import encode as abi_encode
from eth_account import Account

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO.parent / "shared" / "vectors"
DEVCHAIN = REPO / "Scripts" / "devchain"
FAULT_PROXY = REPO / "Tests" / "Support" / "fault_proxy.py"
START_TIMEOUT = 60

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
APPROVAL_TOPIC = "0x8c5be1e5ebec7d5bd14b71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925"
TRANSFER_SELECTOR = bytes.fromhex("a9059cbb")
BALANCE_OF_SELECTOR = bytes.fromhex("70a08231")


class RpcFailure(Exception):
    def __init__(self, error: dict) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")


class RpcClient:
    """A keep-alive JSON-RPC client over one HTTP connection."""

    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.host, self.port = parsed.hostname, parsed.port
        self.connection: Optional[http.client.HTTPConnection] = None
        self.next_id = 1

    def post(self, body: bytes) -> http.client.HTTPResponse:
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request("POST", "/", body=body, headers={"Content-Type": "application/json"})
                return self.connection.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection: one more try on a new one.
                self.close()
                if attempt:
                    raise
            except Exception:
                self.close()
                raise
        raise AssertionError("unreachable")

    def raw(self, payload: Any) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        response = self.post(body)
        text = response.read()
        assert response.status == 200, (response.status, text)
        return json.loads(text) if text else None

    def request(self, method: str, params: Optional[list] = None) -> dict:
        self.next_id += 1
        return self.raw({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or []})

    def __call__(self, method: str, *params: Any) -> Any:
        answer = self.request(method, list(params))
        if "error" in answer:
            raise RpcFailure(answer["error"])
        return answer["result"]

    def error(self, method: str, *params: Any) -> dict:
        answer = self.request(method, list(params))
        assert "error" in answer, answer
        return answer["error"]

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def wait_for_file(path: Path, process: subprocess.Popen, what: str) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"{what} exited with {process.returncode}: {output}")
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"{what} did not become ready within {START_TIMEOUT}s")


def stop_process(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class Devchain:
    def __init__(self, tmp: Path, *args: str) -> None:
        self.info_path = tmp / "devchain.json"
        self.process = subprocess.Popen(
            [str(DEVCHAIN), "--port", "0", "--info", str(self.info_path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.info = wait_for_file(self.info_path, self.process, "devchain")
        self.url = self.info["url"]
        self.rpc = RpcClient(self.url)
        self.usdc = self.info["tokens"]["USDC"]["address"]
        self.usdt = self.info["tokens"]["USDT"]["address"]
        self.accounts = self.info["accounts"]

    def stop(self) -> int:
        self.rpc.close()
        return stop_process(self.process)


class FaultProxy:
    def __init__(self, tmp: Path, upstream: str) -> None:
        self.info_path = tmp / "proxy.json"
        self.process = subprocess.Popen(
            [sys.executable, str(FAULT_PROXY), "--upstream", upstream, "--port", "0", "--control-port", "0",
             "--info", str(self.info_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        info = wait_for_file(self.info_path, self.process, "fault proxy")
        self.url = info["url"]
        self.control = info["control"]
        self.rpc = RpcClient(self.url)

    def control_call(self, method: str, path: str, body: Optional[dict] = None) -> tuple:
        parsed = urllib.parse.urlsplit(self.control)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
        try:
            payload = json.dumps(body).encode() if body is not None else b""
            connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def fault(self, mode: str, **params: Any) -> dict:
        status, answer = self.control_call("POST", "/fault", dict(params, mode=mode))
        assert status == 200, answer
        return answer

    def reset(self) -> None:
        status, _ = self.control_call("POST", "/reset")
        assert status == 200

    def stats(self) -> dict:
        return self.control_call("GET", "/stats")[1]

    def stop(self) -> int:
        self.rpc.close()
        return stop_process(self.process)


# ---------------------------------------------------------------------- transactions


def sign(chain: Devchain, sender: int, **fields: Any) -> bytes:
    """A signed raw transaction from account `sender`; EIP-1559 unless gasPrice is given."""
    tx = {"chainId": chain.info["chainId"], "value": 0, "gas": 100_000}
    if "gasPrice" not in fields:
        tx.update({"type": 2, "maxFeePerGas": 10 * 10**9, "maxPriorityFeePerGas": 10**9})
    tx.update(fields)
    if "nonce" not in tx:
        tx["nonce"] = int(chain.rpc("eth_getTransactionCount", chain.accounts[sender]["address"], "pending"), 16)
    return bytes(Account.sign_transaction(tx, chain.accounts[sender]["privateKey"]).raw_transaction)


def transfer_data(to: str, amount: int) -> bytes:
    return TRANSFER_SELECTOR + abi_encode(["address", "uint256"], [to, amount])


def token_transfer(chain: Devchain, token: str, sender: int, to: str, amount: int, **fields: Any) -> bytes:
    return sign(chain, sender, to=token, data=transfer_data(to, amount), **fields)


def send(chain: Devchain, raw: bytes) -> str:
    return chain.rpc("eth_sendRawTransaction", "0x" + raw.hex())


def balance_of(chain: Devchain, token: str, holder: str, block: str = "latest") -> int:
    data = BALANCE_OF_SELECTOR + abi_encode(["address"], [holder])
    return int(chain.rpc("eth_call", {"to": token, "data": "0x" + data.hex()}, block), 16)


def topic_for(address: str) -> str:
    return "0x" + address[2:].lower().rjust(64, "0")


def keccak(data: bytes) -> bytes:
    from eth_utils import keccak as eth_keccak

    return eth_keccak(data)


def bloom_of(logs: List[dict]) -> int:
    value = 0
    for log in logs:
        for item in [log["address"]] + log["topics"]:
            digest = keccak(bytes.fromhex(item[2:]))
            for i in (0, 2, 4):
                value |= 1 << (((digest[i] << 8) | digest[i + 1]) & 2047)
    return value
