"""The hosted checkout page in headless Chromium against the real gateway, devchain and database:
paying with a browser wallet, the page without JavaScript, a partial payment, expiry and
cancellation. Screenshots of each state go to $SCREENSHOT_DIR (default .state/screenshots)."""

from __future__ import annotations

import re
import urllib.request
from decimal import Decimal
from html.parser import HTMLParser
from typing import Dict, List, Optional

from eth_account import Account
from eth_account.messages import encode_defunct

from conftest import BrowserPage, TestWallet
from gateway_server import GatewayServer, psql

TRANSFER_SELECTOR = "0xa9059cbb"
COUNTDOWN = re.compile(r"^(\d+:)?\d{1,2}:\d{2} left$")
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# ---------------------------------------------------------------------------- helpers


class Element:
    def __init__(self, tag: str, attrs: Dict[str, Optional[str]], parent: Optional["Element"]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: List[Element] = []
        self.text_parts: List[str] = []

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text_parts)).strip()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def descendants(self):
        for child in self.children:
            yield child
            yield from child.descendants()


class PageDocument(HTMLParser):
    """A small DOM of a served page, with the structural mistakes found while parsing."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.stack: List[Element] = [self.root]
        self.elements: List[Element] = []
        self.problems: List[str] = []
        self.doctype: Optional[str] = None
        self.feed(html)
        self.close()
        if len(self.stack) > 1:
            self.problems.append(f"unclosed elements: {[e.tag for e in self.stack[1:]]}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def open_element(self, tag: str, attrs: list) -> Element:
        values: Dict[str, Optional[str]] = {}
        for name, value in attrs:
            if name in values:
                self.problems.append(f"<{tag}> repeats the attribute {name}")
            values[name] = value
        element = Element(tag, values, self.stack[-1])
        self.stack[-1].children.append(element)
        self.elements.append(element)
        return element

    def handle_starttag(self, tag: str, attrs: list) -> None:
        element = self.open_element(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.open_element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if self.stack[-1].tag != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1].tag}>")
            while len(self.stack) > 1 and self.stack[-1].tag != tag:
                self.stack.pop()
        if len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text_parts.append(data)

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
        return found[0]

    def all(self, tag: str) -> List[Element]:
        return [e for e in self.elements if e.tag == tag]


def fetch(url: str) -> tuple:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode("utf-8")


def check_structure(document: PageDocument) -> None:
    """What every rendering of the page must hold, whatever the state."""
    assert document.problems == []
    assert document.doctype is not None and document.doctype.lower() == "doctype html"
    html = document.all("html")
    assert len(html) == 1 and html[0].attrs.get("lang") == "en"
    assert len(document.all("main")) == 1
    assert len(document.all("h1")) == 1
    ids = [e.attrs["id"] for e in document.elements if e.attrs.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for element in document.elements:
        for reference in (element.attrs.get("aria-labelledby") or "").split():
            assert reference in ids, f"aria-labelledby={reference!r} points nowhere"
    # Same-origin assets only: the stylesheet and the script (deferred), nothing else.
    links = document.all("link")
    assert [e.attrs.get("href") for e in links if e.attrs.get("rel") == "stylesheet"] == ["/checkout/assets/checkout.css"]
    assert all(e.attrs.get("href", "").startswith(("/checkout/assets/", "data:")) for e in links)
    scripts = document.all("script")
    assert [e.attrs.get("src") for e in scripts] == ["/checkout/assets/checkout.js"]
    assert "defer" in scripts[0].attrs
    for element in document.elements:
        for name in ("src", "href"):
            value = element.attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")) or element.tag == "a", f"external asset {value}"
    # A live region announces state changes.
    status = document.by_id("status")
    assert any(a.attrs.get("role") == "status" or a.attrs.get("aria-live") for a in [status, *status.ancestors()])


def status_of(gateway: GatewayServer, session_id: str) -> dict:
    answer = gateway.request("GET", f"/v1/payment_sessions/{session_id}")
    assert answer.status == 200, (answer.status, answer.body)
    return answer.json()


def decode_transfer(data: str) -> tuple:
    assert data.startswith(TRANSFER_SELECTOR) and len(data) == 2 + 8 + 64 + 64, data
    to = "0x" + data[10 + 24:10 + 64]
    amount = int(data[10 + 64:], 16)
    return to, amount


def open_checkout(page: BrowserPage, session: dict, expected_status: str) -> None:
    page.open(session["checkout_url"])
    page.wait_for_text("status", expected_status)


# ---------------------------------------------------------------------------- tests


def test_pay_with_wallet_until_paid(gateway: GatewayServer, wallet: TestWallet, page: BrowserPage) -> None:
    success_url = f"{wallet.url}/success"
    session = gateway.create_session(amount="12.50", currency="USDC", description="Order 1042", success_url=success_url)
    option = session["payment_options"][0]
    open_checkout(page, session, "Awaiting payment")

    assert page.text("status") == "Awaiting payment"
    assert page.text("amount-due") == option["amount_due"]
    assert page.text("pay-to") == option["pay_to"]
    assert page.text("network") == "devnet"
    assert page.text("token") == "USDC"
    assert page.attribute("payment-uri", "href") == option["uri"]
    root = {name: page.attribute("checkout", f"data-{name}") for name in (
        "session-id", "client-secret", "events-url", "transactions-url", "chain-id-hex", "token-address", "pay-to",
        "amount-due-base-units", "network", "success-url", "expires-at-unix")}
    assert root["session-id"] == session["id"]
    assert root["client-secret"] == session["client_secret"]
    assert root["events-url"] == f"/checkout/{session['id']}/events"
    assert root["transactions-url"] == f"/checkout/{session['id']}/transactions"
    assert root["chain-id-hex"] == "0x539"
    assert root["token-address"].lower() == option["token_address"].lower()
    assert root["pay-to"] == option["pay_to"]
    assert root["amount-due-base-units"] == option["amount_due_base_units"]
    assert root["network"] == "devnet"
    assert root["success-url"] == success_url
    page.wait_until(lambda: COUNTDOWN.match(page.text("countdown") or ""), "the countdown")
    assert page.visible("qr") and page.script("return !!document.querySelector('#qr svg');")
    assert page.visible("pay-with-wallet")
    assert page.visible("copy-pay-to")
    page.screenshot("pending")

    # The customer first says no in the wallet: the page says so, and nothing is sent.
    wallet.reject_next = True
    page.click("pay-with-wallet")
    message = page.wait_for_text("wallet-status", "rejected")
    assert message == "You rejected the request in your wallet. Nothing was sent."
    assert wallet.sent == []
    assert page.text("status") == "Awaiting payment"

    page.click("pay-with-wallet")
    page.wait_for_text("status", "Confirming")
    confirmations = page.wait_until(
        lambda: re.fullmatch(rf"(\d+) of {option['confirmations_required']} confirmations", page.text("confirmations") or ""),
        "k of N confirmations")
    assert 0 <= int(confirmations.group(1)) <= option["confirmations_required"]
    assert not page.visible("pay-with-wallet")
    page.screenshot("confirming")

    page.wait_for_text("status", "Paid")
    page.screenshot("paid")
    assert page.text("status") == "Paid"

    completed = gateway.wait_for_status(session["id"], "completed")
    assert completed["amount_received"] == completed["amount_due"] == option["amount_due"]
    assert Decimal(completed["amount_remaining"]) == 0
    assert Decimal(completed["amount_overpaid"]) == 0
    assert len(completed["payments"]) == 1
    payment = completed["payments"][0]
    assert payment["amount_base_units"] == option["amount_due_base_units"]
    assert payment["status"] == "confirmed"
    assert payment["from"].lower() == wallet.address.lower()

    # What the wallet was asked to send: transfer(pay_to, amount due) on the token contract.
    assert len(wallet.sent) == 1
    request = wallet.sent[0]
    assert payment["tx_hash"].lower() == request["hash"].lower()
    assert request["to"].lower() == option["token_address"].lower()
    assert request["value"] == "0x0"
    to, amount = decode_transfer(request["data"])
    assert to == option["pay_to"].lower()
    assert amount == int(option["amount_due_base_units"])
    assert {"eth_requestAccounts", "wallet_switchEthereumChain", "eth_sendTransaction"} <= set(wallet.calls)

    # About three seconds after "Paid", the customer is back at the merchant.
    page.wait_until(lambda: page.driver.current_url == success_url, "the redirect to success_url")
    assert page.text("thanks") == "Back at the shop"


def test_page_works_without_javascript(gateway: GatewayServer) -> None:
    session = gateway.create_session(amount="7.25", currency="USD", cancel_url="https://shop.example/cart")
    options = session["payment_options"]
    assert sorted(o["token"] for o in options) == ["USDC", "USDT"]

    status, content_type, html = fetch(session["checkout_url"])
    assert status == 200 and content_type.startswith("text/html")
    document = PageDocument(html)
    check_structure(document)
    assert document.by_id("status").text == "Awaiting payment"
    assert document.by_id("expires-at").attrs["datetime"] == session["expires_at"]
    assert document.by_id("cancel-link").attrs["href"] == "https://shop.example/cart"
    # Without JavaScript the page refreshes itself while the session is open.
    assert any(e.attrs.get("http-equiv") == "refresh" for e in document.all("meta")
               if any(a.tag == "noscript" for a in e.ancestors()))

    # Every option is a plain link; the first is selected by default.
    links = [a for a in document.all("a") if "option" in (a.attrs.get("class") or "").split()]
    assert [a.attrs["href"] for a in links] == [f"?option={i}" for i in range(len(options))]
    assert [a.attrs.get("aria-current") for a in links] == ["true"] + [None] * (len(options) - 1)

    for index, option in enumerate(options):
        if index:
            _, _, html = fetch(f"{session['checkout_url']}?option={index}")
            document = PageDocument(html)
            check_structure(document)
            links = [a for a in document.all("a") if "option" in (a.attrs.get("class") or "").split()]
            assert [a.attrs.get("aria-current") for a in links] == [
                "true" if i == index else None for i in range(len(options))]
        qr = document.by_id("qr")
        assert [e.tag for e in qr.children] == ["svg"], "the QR code is an inline SVG"
        assert len(list(qr.descendants())) > 1
        assert document.by_id("payment-uri").attrs["href"] == option["uri"]
        assert option["uri"] == (f"ethereum:{option['token_address']}@1337/transfer"
                                 f"?address={option['pay_to']}&uint256={option['amount_due_base_units']}")
        assert document.by_id("amount-due").text == option["amount_due"]
        assert document.by_id("token").text == option["token"]
        assert document.by_id("network").text == "devnet"
        assert document.by_id("pay-to").text == option["pay_to"]
        root = document.by_id("checkout").attrs
        assert root["data-token-address"] == option["token_address"]
        assert root["data-amount-due-base-units"] == option["amount_due_base_units"]
        assert root["data-chain-id-hex"] == "0x539"
        # The wallet button exists for script users but is hidden until a wallet is found.
        assert "hidden" in document.by_id("pay-with-wallet").attrs

    base = session["checkout_url"].split("/checkout/")[0]
    for asset, kind in (("checkout.css", "text/css"), ("checkout.js", "javascript")):
        status, content_type, body = fetch(f"{base}/checkout/assets/{asset}")
        assert status == 200 and kind in content_type and body.strip()


def test_underpaid_then_paid_with_wallet(gateway: GatewayServer, wallet: TestWallet, page: BrowserPage) -> None:
    session = gateway.create_session(amount="12.50", currency="USDC")
    option = session["payment_options"][0]
    open_checkout(page, session, "Awaiting payment")

    partial = 5_000_000  # 5 USDC of 12.50 + offset
    tx_hash = gateway.pay(option, partial, sender=1)
    # The paying wallet proves the claim: it signs a message naming the session and the transaction.
    message = f"I sent transaction {tx_hash.lower()} on devnet to pay checkout {session['id']}."
    signature = Account.sign_message(encode_defunct(text=message), gateway.chain.accounts[1]["privateKey"]).signature
    claim = gateway.request("POST", f"/checkout/{session['id']}/transactions",
                            {"client_secret": session["client_secret"], "tx_hash": tx_hash, "network": "devnet",
                             "signature": "0x" + bytes(signature).hex()}, auth=False)
    assert claim.status == 202, (claim.status, claim.body)
    body = claim.json()
    assert body["object"] == "checkout_transaction"
    assert body["payment_session"] == session["id"]
    assert body["tx_hash"].lower() == tx_hash.lower()
    assert body["status"] in ("pending_verification", "matched")

    page.wait_for_text("status", "Underpaid")
    current = gateway.request("GET", f"/v1/payment_sessions/{session['id']}").json()
    assert current["status"] == "pending"
    assert Decimal(current["amount_received"]) == Decimal("5")
    assert Decimal(current["amount_remaining"]) == Decimal(option["amount_due"]) - Decimal("5")
    page.wait_until(lambda: page.text("amount-received") == current["amount_received"], "the amount received")
    assert page.text("amount-remaining") == current["amount_remaining"]
    assert page.visible("progress")
    assert page.text("amount-due") == option["amount_due"]
    assert page.visible("pay-with-wallet")
    page.screenshot("underpaid")

    # The wallet button now pays what remains, not the whole amount again.
    sent_before = len(wallet.sent)
    page.click("pay-with-wallet")
    page.wait_for_text("status", "Paid")
    completed = gateway.wait_for_status(session["id"], "completed")
    assert completed["amount_received"] == completed["amount_due"] == option["amount_due"]
    assert Decimal(completed["amount_overpaid"]) == 0
    to, amount = decode_transfer(wallet.sent[sent_before]["data"])
    assert to == option["pay_to"].lower()
    assert amount == int(option["amount_due_base_units"]) - partial
    assert sorted(int(p["amount_base_units"]) for p in completed["payments"]) == sorted([partial, amount])


def test_expired(gateway: GatewayServer, page: BrowserPage) -> None:
    session = gateway.create_session(amount="3.00", currency="USDC", expires_in=600)
    open_checkout(page, session, "Awaiting payment")
    page.wait_until(lambda: COUNTDOWN.match(page.text("countdown") or ""), "the countdown")

    updated = psql(gateway.database_url,
                   f"UPDATE payment_sessions SET expires_at = now() - interval '1 second' WHERE id = '{session['id']}' RETURNING id")
    assert updated == session["id"]

    page.wait_for_text("status", "Expired")
    assert page.text("status") == "Expired"
    assert not page.visible("pay-with-wallet")
    assert not page.visible("countdown")
    assert not page.visible("qr")
    page.screenshot("expired")
    assert gateway.wait_for_status(session["id"], "expired")["status"] == "expired"

    # Rendered afresh, the expired page shows no way to pay.
    document = PageDocument(fetch(session["checkout_url"])[2])
    check_structure(document)
    assert document.by_id("status").text == "Expired"
    assert not [e for e in document.elements if e.attrs.get("id") in ("qr", "payment-uri", "pay-with-wallet")]


def test_canceled_without_wallet_under_the_content_security_policy(gateway: GatewayServer, plain_browser: BrowserPage) -> None:
    page = plain_browser
    session = gateway.create_session(amount="4.00", currency="USDC", cancel_url="https://shop.example/cart")
    open_checkout(page, session, "Awaiting payment")
    page.wait_until(lambda: COUNTDOWN.match(page.text("countdown") or ""), "the countdown")
    assert page.visible("copy-pay-to")
    # No window.ethereum: no wallet button.
    assert page.script("return typeof window.ethereum;") == "undefined"
    assert not page.visible("pay-with-wallet")

    answer = gateway.request("POST", f"/v1/payment_sessions/{session['id']}/cancel")
    assert answer.status == 200, (answer.status, answer.body)
    assert answer.json()["status"] == "canceled"

    page.wait_for_text("status", "Canceled")
    assert page.text("status") == "Canceled"
    assert not page.visible("pay-with-wallet")
    assert not page.visible("qr")
    assert page.text("cancel-link") == "Return to Demo Shop"
    assert page.attribute("cancel-link", "href") == "https://shop.example/cart"
    page.screenshot("canceled")
    # The live update came over the event stream, under the page's own policy, without complaint.
    problems = [line for line in page.console().splitlines() if "Content Security Policy" in line or "SEVERE" in line]
    assert problems == []

    document = PageDocument(fetch(session["checkout_url"])[2])
    check_structure(document)
    assert document.by_id("status").text == "Canceled"
