"""A real gateway for Python-side tests: the devchain, a fresh database on the private
PostgreSQL (DATABASE_URL), a merchant with a test API key, and `gateway serve` on a free port.

Needs GATEWAY_BIN (the built `gateway`) and DATABASE_URL (Scripts/test sets both).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Devchain"))

from devchain_helpers import Devchain, send, stop_process, token_transfer  # noqa: E402

START_TIMEOUT = 120
# Tests call far faster than clients would; a test of the limits passes its own.
NO_LIMITS = ["--rate-limit", "0", "--rate-limit-merchant", "0", "--rate-limit-create", "0", "--rate-limit-create-merchant", "0",
             "--rate-limit-anonymous", "0", "--rate-limit-checkout", "0", "--rate-limit-claims", "0"]
# The demo merchant's receiving address on the devchain (no one holds its key).
MERCHANT_ADDRESS = "0x00000000000000000000000000000000000d0D01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url: str, sql: str) -> str:
    return subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


class Response:
    def __init__(self, status: int, headers: dict, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

# Shows the detail of /readyz?verbose (and so `gateway status`).
OPERATOR_TOKEN = "op_" + secrets.token_hex(16)


class GatewayServer:
    """Starts everything in `tmp`; `stop()` ends the server and the devchain."""

    def __init__(self, tmp: Path, block_time: str = "1", extra_args: Optional[list] = None, hot_wallet: bool = False,
                 chain_args: Optional[list] = None) -> None:
        self.binary = os.environ["GATEWAY_BIN"]
        server_url = os.environ["DATABASE_URL"]
        self.database = "api_test_" + secrets.token_hex(6)
        psql(server_url, f"CREATE DATABASE {self.database}")
        self.database_url = server_url.rsplit("/", 1)[0] + "/" + self.database
        self.env = dict(os.environ, DATABASE_URL=self.database_url, GATEWAY_OPERATOR_TOKEN=OPERATOR_TOKEN)
        self.chain = Devchain(tmp, "--block-time", block_time, *(chain_args or []))
        self.run_cli("migrate")
        self.merchant = self.run_cli("merchant", "create", "--name", "Demo Shop", "--receive-address", f"devnet:{MERCHANT_ADDRESS}")
        key = self.run_cli(
            "api-key", "create", "--merchant", self.merchant["id"], "--mode", "test", "--scopes", "read,write,refund,admin"
        )
        self.api_key = key["secret"]
        self.extra_args = list(extra_args or [])
        # A funded devnet hot wallet that signs refunds (refund_helpers.HotWallet).
        self.wallet = None
        if hot_wallet:
            from refund_helpers import HotWallet, fund

            self.wallet = HotWallet(self.binary, self.env, tmp)
            fund(self.chain, self.wallet.address)
            self.extra_args += self.wallet.serve_args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "gateway.log"
        self.log = open(self.log_path, "w")
        self.start()

    def start(self, env: Optional[dict] = None, wait: bool = True) -> None:
        """Starts `gateway serve` (again) on the same database, chain and port and waits for it to
        answer (unless `wait` is false); `env` adds variables."""
        self.process = subprocess.Popen(
            [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--devchain-info", str(self.chain.info_path),
             "--public-url", self.url, *NO_LIMITS, "--skip-migrations", *self.extra_args],
            env=dict(self.env, **(env or {})), stdout=self.log, stderr=subprocess.STDOUT,
        )
        if not wait:
            return
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway serve exited with {self.process.returncode}: {self.log_path.read_text()}")
            try:
                if self.request("GET", "/health", auth=False).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gateway serve did not answer /health in time")

    def kill(self) -> None:
        """SIGKILL: the process dies wherever it is, as in a crash."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def run_cli(self, *args: str) -> Any:
        out = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"gateway {' '.join(args)} failed: {out.stderr}")
        return json.loads(out.stdout) if out.stdout.strip().startswith("{") else out.stdout

    def request(self, method: str, path: str, body: Any = None, auth: bool = True, headers: Optional[dict] = None) -> Response:
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        request = urllib.request.Request(self.url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return Response(answer.status, dict(answer.headers), answer.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, dict(error.headers), error.read())

    def create_session(self, **fields: Any) -> dict:
        body = {"amount": "12.50", "currency": "USDC"}
        body.update(fields)
        answer = self.request("POST", "/v1/payment_sessions", body)
        assert answer.status == 201, (answer.status, answer.body)
        return answer.json()

    def pay(self, option: dict, amount_base_units: int, sender: int = 1) -> str:
        """Sends an ERC-20 transfer from devchain account `sender` to the option's address."""
        raw = token_transfer(self.chain, option["token_address"], sender, option["pay_to"], amount_base_units)
        return send(self.chain, raw)

    def wait_for_status(self, session_id: str, status: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            session = self.request("GET", f"/v1/payment_sessions/{session_id}").json()
            if session.get("status") == status:
                return session
            if time.monotonic() > deadline:
                raise AssertionError(f"session {session_id} is {session.get('status')}, not {status}")
            time.sleep(0.25)

    def stop(self) -> int:
        code = stop_process(self.process)
        self.log.close()
        self.chain.stop()
        psql(os.environ["DATABASE_URL"], f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
        return code
