"""The web console in headless Chromium: signing in, a merchant who cannot open another
merchant's session by its URL, a forged form refused, a refund from the console that succeeds on
the devchain, and the operator's page showing the hot wallet's balance drop after it, with its
seven-day chart drawn as inline SVG. Screenshots of every page go to $SCREENSHOT_DIR (console-*.png)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from conftest import BrowserPage
from gateway_server import GatewayServer, psql
from test_refund_page import paid_session

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def users(gateway: GatewayServer, tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("console-users")
    secret = tmp / "password.txt"
    secret.write_text(PASSWORD + "\n")
    other = gateway.run_cli("merchant", "create", "--name", "Other Shop")
    made = {}
    for name, email, role, merchant in (("merchant", "owner@demo.example", "merchant", gateway.merchant["id"]),
                                        ("other", "owner@other.example", "merchant", other["id"]),
                                        ("operator", "ops@demo.example", "operator", None)):
        args = ["user", "create", "--email", email, "--role", role, "--password-file", str(secret)]
        made[name] = gateway.run_cli(*(args + (["--merchant", merchant] if merchant else [])))
    return made


def sign_in(page: BrowserPage, gateway: GatewayServer, email: str, shot: str = "") -> None:
    page.driver.delete_all_cookies()
    page.open(gateway.url + "/console/login")
    page.driver.find_element("name", "email").send_keys(email)
    page.driver.find_element("name", "password").send_keys(PASSWORD)
    if shot:
        page.screenshot(shot, page="console")
    page.driver.find_element("css selector", "form button[type=submit]").click()
    page.wait_until(lambda: page.driver.current_url == gateway.url + "/console", "the overview after signing in")


def balance(page: BrowserPage, gateway: GatewayServer, asset: str) -> Decimal | None:
    """The hot wallet's balance on a fresh load of the operator's page (None before the first read)."""
    time.sleep(0.5)
    page.open(gateway.url + "/console")
    text = page.text(f"balance-devnet-{asset}")
    return Decimal(text) if text else None


def chart_points(page: BrowserPage, asset: str) -> list | None:
    """The points of the balance chart beside the devnet hot wallet's `asset`: one for a dot, none
    for "no history yet", None when the cell is missing."""
    return page.script(
        """
        const cell = document.getElementById('chart-devnet-' + arguments[0]);
        if (!cell) return null;
        const svg = cell.querySelector('svg.spark');
        if (!svg) return [];
        const line = svg.querySelector('polyline');
        if (line) return line.getAttribute('points').split(' ');
        const dot = svg.querySelector('circle');
        return dot ? [dot.getAttribute('cx') + ',' + dot.getAttribute('cy')] : [];
        """, asset)


def chart_title(page: BrowserPage, asset: str) -> str:
    return page.script("return document.querySelector('#chart-devnet-' + arguments[0] + ' svg title').textContent;", asset)


def line_to_bottom(page: BrowserPage, gateway: GatewayServer, asset: str) -> list | None:
    """The chart's points on a fresh load of the operator's page, once it is a line that ends on
    the bottom row (its newest sample is its lowest)."""
    time.sleep(0.5)
    page.open(gateway.url + "/console")
    points = chart_points(page, asset)
    return points if points and len(points) >= 2 and points[-1].endswith(",26") else None


def test_sign_in_and_the_merchant_overview(gateway: GatewayServer, users: dict, plain_browser: BrowserPage) -> None:
    gateway.create_session(amount="5.00", currency="USDC", metadata={"order_id": "A-1001"})
    page = plain_browser
    sign_in(page, gateway, "owner@demo.example", shot="login")
    assert page.text("sessions-24h") is not None
    assert page.text("balances") is None, "balances are the operator's"
    page.screenshot("merchant-overview", page="console")
    page.open(gateway.url + "/console/sessions")
    page.wait_until(lambda: "A-1001" in (page.text("sessions") or ""), "the session list")
    page.screenshot("sessions", page="console")
    page.open(gateway.url + "/console/exports")
    page.wait_until(lambda: page.text("time-zone-form") is not None, "the exports page")
    page.screenshot("exports", page="console")
    page.open(gateway.url + "/console/developers")
    page.wait_until(lambda: page.text("endpoint-form") is not None, "the developers page")
    page.screenshot("developers", page="console")


def test_another_merchants_session_is_not_found_by_url(gateway: GatewayServer, users: dict, plain_browser: BrowserPage) -> None:
    session = gateway.create_session(amount="2.00", currency="USDC")
    page = plain_browser
    sign_in(page, gateway, "owner@other.example")
    page.open(gateway.url + f"/console/sessions/{session['id']}")
    assert page.driver.find_element("tag name", "h1").text == "Not found"
    assert session["id"] not in page.driver.page_source.replace(f"/console/sessions/{session['id']}", "")
    page.screenshot("not-found", page="console")


def test_a_forged_form_is_refused(gateway: GatewayServer, users: dict, plain_browser: BrowserPage) -> None:
    page = plain_browser
    page.driver.delete_all_cookies()
    page.open(gateway.url + "/console/login")
    page.script("document.querySelector('input[name=csrf_token]').value = 'csrf_forged';")
    page.driver.find_element("name", "email").send_keys("owner@demo.example")
    page.driver.find_element("name", "password").send_keys(PASSWORD)
    page.driver.find_element("css selector", "form button[type=submit]").click()
    page.wait_until(lambda: "The form expired" in page.driver.page_source, "the refusal")
    assert page.driver.current_url == gateway.url + "/console/login"
    assert page.driver.get_cookie("gateway_console") is None
    page.screenshot("forged-form", page="console")


def test_a_refund_from_the_console_and_the_operators_balance(gateway: GatewayServer, users: dict, plain_browser: BrowserPage) -> None:
    page = plain_browser
    session = paid_session(gateway, "7.00")
    sign_in(page, gateway, "ops@demo.example")
    before = page.wait_until(lambda: balance(page, gateway, "USDC"), "the hot wallet's USDC balance", timeout=90)
    # The save that stored the balance kept a sample too: the chart beside it is inline SVG
    # (a dot while there is one sample), titled with the lowest and highest sample.
    assert page.script("return document.getElementById('chart-devnet-USDC').innerHTML;").startswith("<svg class=\"spark\"")
    assert len(chart_points(page, "USDC")) >= 1
    assert chart_title(page, "USDC").startswith("USDC: min ")
    page.screenshot("operator-before", page="console")

    sign_in(page, gateway, "owner@demo.example")
    page.open(gateway.url + f"/console/sessions/{session['id']}")
    page.wait_until(lambda: page.text("payments") is not None, "the session's payments")
    page.driver.find_element("name", "amount").send_keys("2.50")
    page.screenshot("session", page="console")
    page.driver.find_element("css selector", "#refund-form button[type=submit]").click()
    notice = page.wait_until(lambda: page.text("notice"), "the refund's notice")
    assert notice.startswith("Refund re_") and notice.endswith("created (pending).")
    refund_id = notice.split()[1]
    deadline = time.monotonic() + 120
    while gateway.request("GET", f"/v1/refunds/{refund_id}").json()["status"] != "succeeded":
        assert time.monotonic() < deadline, "the refund did not succeed"
        time.sleep(1)
    page.open(gateway.url + f"/console/sessions/{session['id']}")
    assert "succeeded" in page.text("refunds")
    page.screenshot("refund-succeeded", page="console")

    sign_in(page, gateway, "ops@demo.example")
    after = page.wait_until(lambda: (lambda value: value if value == before - Decimal("2.50") else None)(
        balance(page, gateway, "USDC")), "the balance to drop by the refund", timeout=120)
    assert after == before - Decimal("2.50")
    # Samples are kept every 15 minutes: made older by hand, the next save adds one at the
    # lower balance, and the chart becomes a line falling to it.
    psql(gateway.database_url, "UPDATE balance_samples SET sampled_at = sampled_at - interval '16 minutes'")
    # The wallet only pays out here, so the newest sample is the lowest: the line ends on the
    # chart's bottom row (28 pixels high, a margin of 2).
    points = page.wait_until(lambda: line_to_bottom(page, gateway, "USDC"), "a line down to the new balance", timeout=120)
    assert len(points) >= 2 and points[0] != points[-1]
    assert chart_title(page, "USDC").startswith(f"USDC: min {after}, max ")
    page.screenshot("operator-after", page="console")
