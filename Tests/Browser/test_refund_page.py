"""The customer's refund page in headless Chromium: the address from the browser wallet or typed
in, checked, confirmed in a second step, and the refund followed until it arrives; the strict
headers of every HTML page; the page without a wallet under its own policy (plain forms). Screenshots go to
$SCREENSHOT_DIR like the checkout's."""

from __future__ import annotations

import urllib.request

from conftest import BrowserPage, TestWallet
from gateway_server import GatewayServer
from test_checkout_page import PageDocument, fetch


def check_structure(document: PageDocument) -> None:
    """What the checkout page's structure check asks, with the refund page's own script."""
    assert document.problems == []
    assert document.doctype is not None and document.doctype.lower() == "doctype html"
    assert [e.attrs.get("lang") for e in document.all("html")] == ["en"]
    assert len(document.all("main")) == 1 and len(document.all("h1")) == 1
    ids = [e.attrs["id"] for e in document.elements if e.attrs.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for element in document.elements:
        for reference in (element.attrs.get("aria-labelledby") or "").split():
            assert reference in ids, f"aria-labelledby={reference!r} points nowhere"
    links = document.all("link")
    assert [e.attrs.get("href") for e in links if e.attrs.get("rel") == "stylesheet"] == ["/checkout/assets/checkout.css"]
    scripts = document.all("script")
    assert [e.attrs.get("src") for e in scripts] == ["/refund/assets/refund.js"] and "defer" in scripts[0].attrs
    for element in document.elements:
        for name in ("src", "href"):
            value = element.attrs.get(name) or ""
            assert not value.startswith(("http:", "https:", "//")), f"external asset {value}"
    status = document.by_id("status")
    assert any(a.attrs.get("role") == "status" or a.attrs.get("aria-live") for a in [status, *status.ancestors()])


def paid_session(gateway: GatewayServer, amount: str = "9.00") -> dict:
    session = gateway.create_session(amount=amount, currency="USDC")
    option = session["payment_options"][0]
    gateway.pay(option, int(option["amount_due_base_units"]))
    return gateway.wait_for_status(session["id"], "completed")


def ask_customer(gateway: GatewayServer, session: dict, amount: str) -> dict:
    answer = gateway.request("POST", "/v1/refunds", {"payment_session": session["id"], "amount": amount})
    assert answer.status == 201, answer.body
    refund = answer.json()
    assert refund["status"] == "requires_action" and refund["status_reason"] == "awaiting_destination"
    assert refund["refund_url"] == f"{gateway.url}/refund/{refund['id']}"
    return refund


def test_refund_page_headers_and_structure(gateway: GatewayServer) -> None:
    refund = ask_customer(gateway, paid_session(gateway, "3.00"), "1.00")
    with urllib.request.urlopen(refund["refund_url"], timeout=30) as answer:
        headers = answer.headers
        html = answer.read().decode()
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    document = PageDocument(html)
    check_structure(document)
    assert document.by_id("status").text == "Waiting for your address"
    assert "hidden" in document.by_id("connect-wallet").attrs
    assert document.by_id("address-form").attrs["action"] == f"/refund/{refund['id']}/destination"
    status, content_type, script = fetch(f"{gateway.url}/refund/assets/refund.js")
    assert status == 200 and "javascript" in content_type and "eth_requestAccounts" in script


def test_refund_to_the_connected_wallet(gateway: GatewayServer, wallet: TestWallet, page: BrowserPage) -> None:
    refund = ask_customer(gateway, paid_session(gateway), "2.50")
    calls_before = len(wallet.calls)
    page.open(refund["refund_url"])
    page.wait_for_text("status", "Waiting for your address")
    page.click("connect-wallet")
    page.wait_until(lambda: page.script("return document.getElementById('address').value;") == wallet.address, "the wallet's address")
    page.screenshot("refund-address")
    page.click("review")
    page.wait_for_text("confirm-address", wallet.address)
    calls = wallet.calls[calls_before:]
    assert "eth_requestAccounts" in calls
    assert not [c for c in calls if c in ("eth_sendTransaction", "eth_signTransaction")], "the page never asks to sign"
    # Nothing is saved before the customer confirms.
    assert gateway.request("GET", f"/v1/refunds/{refund['id']}").json()["destination"] is None
    page.screenshot("refund-confirm")
    page.click("confirm-button")
    page.wait_for_text("status", "On its way")
    assert page.text("destination") == wallet.address
    page.wait_for_text("status", "Refunded", timeout=90)
    page.screenshot("refund-done")
    done = gateway.request("GET", f"/v1/refunds/{refund['id']}").json()
    assert done["status"] == "succeeded" and done["destination"] == wallet.address
    assert page.text("tx-hash") == done["tx_hash"]
    receipt = gateway.chain.rpc("eth_getTransactionReceipt", done["tx_hash"])
    assert int(receipt["status"], 16) == 1
    # (Chromium asks for /favicon.ico after a redirect whatever the page declares.)
    problems = [line for line in page.console().splitlines()
                if ("Content Security Policy" in line or "SEVERE" in line) and "favicon.ico" not in line]
    assert problems == []


def test_refund_page_without_a_wallet_checks_the_address(gateway: GatewayServer, plain_browser: BrowserPage) -> None:
    page = plain_browser
    refund = ask_customer(gateway, paid_session(gateway, "4.00"), "1.25")
    page.open(refund["refund_url"])
    page.wait_for_text("status", "Waiting for your address")
    field = page.driver.find_element("id", "address")
    # A mistyped checksum is refused, saying why, and the typed text comes back escaped.
    field.send_keys("0x2000000000000000000000000000000000000A0b")
    page.driver.find_element("id", "review").click()
    page.wait_for_text("form-error", "checksum")
    field = page.driver.find_element("id", "address")
    field.clear()
    field.send_keys("0x000000000000000000000000000000000000dead")
    page.driver.find_element("id", "review").click()
    page.wait_for_text("confirm-address", "0x000000000000000000000000000000000000dEaD")
    page.screenshot("refund-confirm-no-script")
    page.driver.find_element("id", "confirm-button").click()
    page.wait_for_text("status", "On its way")
    assert gateway.request("GET", f"/v1/refunds/{refund['id']}").json()["destination"] == "0x000000000000000000000000000000000000dEaD"
