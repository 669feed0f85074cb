"""Fixtures for the checkout page in a real browser: the gateway (devchain, database, server),
a test wallet (an EIP-1193 provider injected into the page that forwards to a signer server
run here) and headless Chromium driven by Selenium.

Needs GATEWAY_BIN (the built `gateway`), DATABASE_URL (the private PostgreSQL), and Debian's
`chromium` and `chromium-driver` (Scripts/setup installs them).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, List, Optional

import pytest
from eth_account import Account
from eth_utils import to_checksum_address

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))

from gateway_server import GatewayServer  # noqa: E402
from devchain_helpers import RpcClient, RpcFailure  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
PROVIDER_SCRIPT = Path(__file__).with_name("wallet_provider.js")
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_TIMEOUT = 60
# The wallet pays from this devchain account; GatewayServer.pay() uses account 1 by default.
WALLET_ACCOUNT = 2

# Selenium must never try to download a browser or a driver.
os.environ.setdefault("SE_OFFLINE", "true")


def screenshot_dir() -> Path:
    directory = Path(os.environ.get("SCREENSHOT_DIR") or REPO / ".state" / "screenshots")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


# ---------------------------------------------------------------------------- gateway


@pytest.fixture(scope="session")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    for name in ("GATEWAY_BIN", "DATABASE_URL"):
        if not os.environ.get(name):
            pytest.fail(f"{name} is not set: the browser tests need the built gateway and the private PostgreSQL")
    # With a funded hot wallet, so that the refund page's refunds go all the way.
    server = GatewayServer(tmp_path_factory.mktemp("gateway"), hot_wallet=True)
    yield server
    server.stop()


# ---------------------------------------------------------------------------- wallet


class WalletError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TestWallet:
    """The signer behind the injected provider: a small HTTP JSON-RPC server on 127.0.0.1.

    It answers the wallet methods itself (accounts, chain, network switching, signing and
    sending transactions with the devchain account's key) and forwards everything else to
    the devchain. `reject_next` makes the next wallet prompt answer as a user who said no
    (EIP-1193 code 4001). GET /success is a stand-in for the merchant's success page.
    """

    __test__ = False  # not a test class, despite the name

    def __init__(self, devchain_info: dict, account: int = WALLET_ACCOUNT) -> None:
        entry = devchain_info["accounts"][account]
        self.address = to_checksum_address(entry["address"])
        self.private_key = entry["privateKey"]
        self.chain_id = int(devchain_info["chainId"])
        self.chain = RpcClient(devchain_info["url"])
        self.chain_lock = threading.Lock()
        self.reject_next = False
        self.calls: List[str] = []
        self.sent: List[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-wallet", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.chain.close()

    # -- JSON-RPC

    def rpc(self, method: str, *params: Any) -> Any:
        with self.chain_lock:
            return self.chain(method, *params)

    def forward(self, payload: dict) -> dict:
        with self.chain_lock:
            return self.chain.raw(payload)

    def answer(self, payload: dict) -> dict:
        method = payload.get("method")
        params = payload.get("params") or []
        self.calls.append(method)
        reply = {"jsonrpc": "2.0", "id": payload.get("id")}
        try:
            if method in ("eth_requestAccounts", "eth_sendTransaction") and self.reject_next:
                self.reject_next = False
                raise WalletError(4001, "User rejected the request.")
            if method in ("eth_requestAccounts", "eth_accounts"):
                reply["result"] = [self.address]
            elif method == "eth_chainId":
                reply["result"] = hex(self.chain_id)
            elif method == "wallet_switchEthereumChain":
                wanted = (params[0] or {}).get("chainId", "") if params else ""
                if int(wanted, 16) != self.chain_id:
                    raise WalletError(4902, f"Unrecognized chain ID {wanted}.")
                reply["result"] = None
            elif method == "eth_sendTransaction":
                reply["result"] = self.send_transaction(params[0])
            else:
                return self.forward(payload)
        except WalletError as error:
            reply["error"] = {"code": error.code, "message": error.message}
        except RpcFailure as failure:
            reply["error"] = {"code": failure.code, "message": failure.message, "data": failure.data}
        return reply

    def send_transaction(self, request: dict) -> str:
        if to_checksum_address(request.get("from", "")) != self.address:
            raise WalletError(4100, "The requested account has not been authorized.")
        to = to_checksum_address(request["to"])
        value = int(request.get("value") or "0x0", 16)
        data = request.get("data") or "0x"
        call = {"from": self.address, "to": to, "value": hex(value), "data": data}
        gas = int(request["gas"], 16) if request.get("gas") else int(self.rpc("eth_estimateGas", call), 16) * 6 // 5
        latest = self.rpc("eth_getBlockByNumber", "latest", False)
        base_fee = int(latest.get("baseFeePerGas") or "0x0", 16)
        priority = 10**9
        transaction = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": int(self.rpc("eth_getTransactionCount", self.address, "pending"), 16),
            "to": to,
            "value": value,
            "data": data,
            "gas": gas,
            "maxPriorityFeePerGas": priority,
            "maxFeePerGas": 2 * base_fee + priority,
        }
        raw = Account.sign_transaction(transaction, self.private_key).raw_transaction
        tx_hash = self.rpc("eth_sendRawTransaction", "0x" + bytes(raw).hex())
        self.sent.append(dict(request, hash=tx_hash))
        return tx_hash

    # -- HTTP

    def _handler(self) -> type:
        wallet = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Access-Control-Allow-Private-Network", "true")
                self.send_header("Access-Control-Max-Age", "600")

            def reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.cors()
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self.cors()
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                if self.path.split("?")[0] == "/success":
                    page = b'<!DOCTYPE html><html lang="en"><title>Thank you</title><h1 id="thanks">Back at the shop</h1></html>'
                    self.reply(200, page, "text/html; charset=utf-8")
                else:
                    self.reply(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    payload = json.loads(self.rfile.read(length))
                except ValueError:
                    self.reply(400, b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}',
                               "application/json")
                    return
                if isinstance(payload, list):
                    answer: Any = [wallet.answer(item) for item in payload]
                else:
                    answer = wallet.answer(payload)
                self.reply(200, json.dumps(answer).encode(), "application/json")

        return Handler


@pytest.fixture(scope="session")
def wallet(gateway: GatewayServer):
    signer = TestWallet(gateway.chain.info)
    yield signer
    signer.stop()


# ---------------------------------------------------------------------------- browser


def start_chromium(provider_script: Optional[str] = None, width: int = 1280, height: int = 1100):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking",
                     f"--window-size={width},{height}", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT_TIMEOUT)
    if provider_script is not None:
        # A real wallet is an extension: its requests are not the page's, and the page's
        # Content-Security-Policy (connect-src 'self') does not govern them. The stand-in runs
        # inside the page, so the policy is bypassed for this browser; `plain_browser` keeps it.
        driver.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": provider_script})
    return driver


def provider_script(signer_url: str) -> str:
    return PROVIDER_SCRIPT.read_text().replace("__SIGNER_URL__", signer_url)


class BrowserPage:
    """Helpers over a Selenium driver: reading elements by id, polling waits, screenshots."""

    def __init__(self, driver) -> None:
        self.driver = driver

    def open(self, url: str) -> None:
        self.driver.get(url)

    def script(self, source: str, *args: Any) -> Any:
        return self.driver.execute_script(source, *args)

    def text(self, element_id: str) -> Optional[str]:
        """The element's text content, whitespace collapsed; None when it is not on the page."""
        value = self.script("const e = document.getElementById(arguments[0]); return e ? e.textContent : null;", element_id)
        return None if value is None else re.sub(r"\s+", " ", value).strip()

    def attribute(self, element_id: str, name: str) -> Optional[str]:
        return self.script(
            "const e = document.getElementById(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            element_id, name,
        )

    def visible(self, element_id: str) -> bool:
        """Present and rendered (not hidden by an attribute or a style)."""
        return bool(self.script(
            "const e = document.getElementById(arguments[0]);"
            "return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';",
            element_id,
        ))

    def click(self, element_id: str) -> None:
        self.wait_until(lambda: self.visible(element_id) and self.script(
            "return !document.getElementById(arguments[0]).disabled;", element_id), f"#{element_id} to be clickable")
        self.driver.find_element("id", element_id).click()

    def wait_until(self, predicate: Callable[[], Any], what: str, timeout: float = WAIT_TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        last_error: Optional[Exception] = None
        while True:
            try:
                value = predicate()
                if value:
                    return value
            except Exception as error:  # the page may be navigating
                last_error = error
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout:.0f}s waiting for {what}; #status is {self.safe_text('status')!r}, "
                    f"#wallet-status is {self.safe_text('wallet-status')!r}, last error {last_error!r}\n"
                    f"browser console:\n{self.console()}"
                )
            time.sleep(0.1)

    def wait_for_text(self, element_id: str, expected: str, timeout: float = WAIT_TIMEOUT) -> str:
        return self.wait_until(
            lambda: (lambda t: t if t is not None and expected in t else None)(self.text(element_id)),
            f"#{element_id} to contain {expected!r}", timeout,
        )

    def safe_text(self, element_id: str) -> Optional[str]:
        try:
            return self.text(element_id)
        except Exception:
            return None

    def console(self) -> str:
        try:
            return "\n".join(f"{entry['level']}: {entry['message']}" for entry in self.driver.get_log("browser"))
        except Exception as error:
            return f"(no console log: {error!r})"

    def screenshot(self, state: str, page: str = "checkout") -> Path:
        path = screenshot_dir() / f"{page}-{state}.png"
        height = self.script("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight);")
        width = self.script("return window.outerWidth;")
        self.driver.set_window_size(width, max(int(height) + 120, 600))
        assert self.driver.save_screenshot(str(path)), f"could not write {path}"
        return path


@pytest.fixture(scope="session")
def browser(wallet: TestWallet):
    driver = start_chromium(provider_script(wallet.url))
    yield BrowserPage(driver)
    driver.quit()


@pytest.fixture
def plain_browser():
    """A browser without a wallet, with the page's Content-Security-Policy enforced."""
    driver = start_chromium()
    yield BrowserPage(driver)
    driver.quit()


@pytest.fixture
def page(browser: BrowserPage, wallet: TestWallet):
    """The shared browser, with the wallet in its normal state."""
    wallet.reject_next = False
    yield browser
    wallet.reject_next = False
