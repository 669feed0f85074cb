"""Real flows against a running gateway: every answer is checked against openapi.json (status,
content type, required headers, body), and the values that are known are checked exactly."""

from __future__ import annotations

import http.client
import json
import re
import secrets
import subprocess
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable, Optional

import pytest
from eth_utils import to_checksum_address

from gateway_server import MERCHANT_ADDRESS, OPERATOR_TOKEN, GatewayServer
from openapi_check import Api, header, parse_events

SESSIONS = "/v1/payment_sessions"
SESSION_EVENT_FIELDS = {
    "id", "status", "amount", "currency", "amount_due", "amount_received", "amount_remaining", "remaining_due", "amount_overpaid",
    "amount_late", "expires_at", "success_url", "cancel_url", "payments",
}
SESSION_EVENT_PAYMENT_FIELDS = {
    "tx_hash", "network", "token", "amount", "status", "confirmations", "confirmations_required", "late",
}


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def wait_until(probe: Callable[[], Optional[object]], what: str, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def random_hash() -> str:
    return "0x" + secrets.token_hex(32)


def create(api, **fields) -> dict:
    body = {"amount": "12.50", "currency": "USDC"}
    body.update(fields)
    return api.ok("POST", SESSIONS, body, expect=201)


def check_option(option: dict, session: dict, gateway, token: str) -> None:
    token_address = gateway.chain.usdc if token == "USDC" else gateway.chain.usdt
    assert option["network"] == "devnet"
    assert option["chain_id"] == 1337
    assert option["token"] == token
    assert option["token_address"].lower() == token_address.lower()
    assert option["token_address"] == to_checksum_address(option["token_address"])
    assert option["decimals"] == 6
    assert option["pay_to"] == to_checksum_address(MERCHANT_ADDRESS)
    assert option["amount_due"] == session["amount_due"]
    due = Decimal(option["amount_due"])
    assert option["amount_due_base_units"] == str(int(due * 10**6))
    offset = due - Decimal(session["amount"])
    assert Decimal("0.000001") <= offset <= Decimal("0.000999"), (session["amount"], option["amount_due"])
    assert option["confirmations_required"] >= 1
    assert option["uri"] == (
        f"ethereum:{option['token_address']}@1337/transfer?address={option['pay_to']}"
        f"&uint256={option['amount_due_base_units']}"
    )


# ---------------------------------------------------------------------------- public routes


def test_health(api) -> None:
    def devnet() -> Optional[dict]:
        health = api.ok("GET", "/health", auth=False)
        assert health["status"] == "ok"
        [network] = [n for n in health["networks"] if n["network"] == "devnet"]
        assert network["chain_id"] == 1337
        return network if network["checkpoint"] is not None and network["head"] is not None else None

    network = wait_until(devnet, "the devnet monitor's first checkpoint")
    assert network["lag"] == network["head"] - network["checkpoint"]
    assert network["lag"] >= 0


def test_livez_and_readyz(api, gateway) -> None:
    assert api.ok("GET", "/livez", auth=False) == {"status": "live"}
    wait_until(lambda: api.call("GET", "/readyz", auth=False).status == 200, "readiness")
    assert api.ok("GET", "/readyz", auth=False) == {"status": "ready"}
    # No detail without the operator token, whatever else is sent.
    assert api.ok("GET", "/readyz?verbose", auth=False) == {"status": "ready"}
    assert api.ok("GET", "/readyz?verbose") == {"status": "ready"}
    detail = api.ok("GET", "/readyz?verbose", key=OPERATOR_TOKEN)
    assert detail["status"] == "ready"
    assert [(check["name"], check["ok"]) for check in detail["checks"]] == [("database", True), ("network:devnet", True)]
    assert detail["database"] == {"up": True, "migrated": True, "failure": None}
    [devnet] = detail["networks"]
    assert devnet["network"] == "devnet" and devnet["chain_id"] == 1337
    assert devnet["monitor"] == "running"
    assert devnet["healthy_providers"] == 1
    assert [provider["breaker"] for provider in devnet["providers"]] == ["closed"]


def test_metrics(api) -> None:
    api.ok("GET", "/livez", auth=False)
    text = api.call("GET", "/metrics", auth=False, expect=200).body.decode()
    names = set(re.findall(r"^# TYPE (\S+) (counter|gauge|histogram)$", text, flags=re.M))
    assert all(name.startswith("gateway_") for name, _ in names)
    assert all(name.endswith("_total") for name, kind in names if kind == "counter")
    for needed in ("gateway_build_info", "gateway_chain_head_block", "gateway_monitor_scanned_block", "gateway_rpc_provider_up",
                   "gateway_webhook_oldest_pending_age_seconds", "gateway_sessions_created_total", "gateway_http_requests_total"):
        assert needed in {name for name, _ in names}, needed
    assert 'gateway_monitor_halted{network="devnet"} 0\n' in text
    assert re.search(r'^gateway_http_requests_total\{route="/livez",method="GET",code="2xx"\} [1-9]', text, flags=re.M)


def test_gateway_status(gateway) -> None:
    wait_until(lambda: gateway.request("GET", "/readyz", auth=False).status == 200, "readiness")
    out = subprocess.run([gateway.binary, "status", "--url", gateway.url], env=gateway.env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"gateway at {gateway.url}: READY"
    assert lines[1] == "database: up, migrated"
    assert any(re.match(r"^devnet\s+1337\s+\d+\s+\d+\s+\d+\s+running\s+1/1 healthy$", line) for line in lines), out.stdout
    assert re.match(r"^webhooks: \d+ pending, oldest \d+ s, \d+ endpoints failing$", lines[-1]), lines[-1]
    env = dict(gateway.env, GATEWAY_OPERATOR_TOKEN="wrong")
    out = subprocess.run([gateway.binary, "status", "--url", gateway.url], env=env, capture_output=True, text=True)
    assert out.returncode == 2
    assert "without detail" in out.stdout


def test_served_document_is_this_document(api, document) -> None:
    served = api.ok("GET", "/openapi.json", auth=False)
    assert served == document.raw


def test_checkout_assets(api) -> None:
    script = api.call("GET", "/checkout/assets/checkout.js", auth=False, expect=200)
    assert len(script.body) > 0
    assert "javascript" in header(script, "Content-Type")
    style = api.call("GET", "/checkout/assets/checkout.css", auth=False, expect=200)
    assert len(style.body) > 0
    assert header(style, "Content-Type").startswith("text/css")


# ---------------------------------------------------------------------------- authentication


def test_missing_or_invalid_key_is_401(api) -> None:
    for path in ("/v1/merchant", SESSIONS, "/v1/transfers", "/v1/api_keys"):
        api.error("GET", path, auth=False, expect=401, type="authentication_error", code="api_key_missing")
    api.error("POST", SESSIONS, {"amount": "1.00", "currency": "USDC"}, auth=False, expect=401,
              type="authentication_error")
    for bad in ("sk_test_" + "0" * 32, "sk_live_" + "A" * 32, "nonsense", ""):
        api.error("GET", "/v1/merchant", key=bad, expect=401, type="authentication_error", code="api_key_invalid")
    api.error("GET", "/v1/merchant", auth=False, headers={"Authorization": "Basic dXNlcjpwYXNz"}, expect=401,
              type="authentication_error")


def test_merchant(api, gateway) -> None:
    merchant = api.ok("GET", "/v1/merchant")
    assert merchant["id"] == gateway.merchant["id"]
    assert merchant["object"] == "merchant"
    assert merchant["name"] == "Demo Shop"
    assert merchant["receive_addresses"] == [{"network": "devnet", "address": to_checksum_address(MERCHANT_ADDRESS)}]


# ---------------------------------------------------------------------------- payment sessions


def test_create_and_get_session(api, gateway) -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    session = create(api, description="Order 1001", metadata={"order": "1001", "customer": "c_7"},
                     success_url="https://shop.example/thanks", expires_in=900)
    assert session["id"].startswith("ps_")
    assert session["object"] == "payment_session"
    assert session["livemode"] is False
    assert session["status"] == "pending"
    assert session["amount"] == "12.50"
    assert session["currency"] == "USDC"
    assert session["amount_remaining"] == session["amount_due"]
    for field in ("amount_received", "amount_confirmed", "amount_overpaid", "amount_late"):
        assert Decimal(session[field]) == 0, (field, session[field])
    assert session["description"] == "Order 1001"
    assert session["metadata"] == {"order": "1001", "customer": "c_7"}
    assert session["status_reason"] is None
    assert session["payments"] == []
    assert session["checkout_url"] == f"{gateway.url}/checkout/{session['id']}"
    assert session["client_secret"].startswith("cs_")
    assert session["success_url"] == "https://shop.example/thanks"
    assert session["cancel_url"] is None
    assert session["completed_at"] is None
    created = parse_time(session["created_at"])
    assert before <= created <= datetime.now(timezone.utc)
    assert (parse_time(session["expires_at"]) - created).total_seconds() == 900
    assert len(session["payment_options"]) == 1
    check_option(session["payment_options"][0], session, gateway, "USDC")

    fetched = api.ok("GET", f"{SESSIONS}/{session['id']}")
    assert fetched == session


def test_session_defaults_and_currency_usd(api, gateway) -> None:
    session = create(api, amount="3", currency="USD")
    assert session["amount"] == "3.00"  # written with at least two decimals
    assert session["description"] is None
    assert session["metadata"] == {}
    assert (parse_time(session["expires_at"]) - parse_time(session["created_at"])).total_seconds() == 3600
    tokens = sorted(option["token"] for option in session["payment_options"])
    assert tokens == ["USDC", "USDT"]
    for option in session["payment_options"]:
        check_option(option, session, gateway, option["token"])

    only_usdt = create(api, amount="7.25", currency="USD", networks=["devnet"], tokens=["USDT"])
    assert [option["token"] for option in only_usdt["payment_options"]] == ["USDT"]
    check_option(only_usdt["payment_options"][0], only_usdt, gateway, "USDT")


def test_same_price_gets_distinct_amounts_due(api) -> None:
    dues = {create(api, amount="4.20")["amount_due"] for _ in range(3)}
    assert len(dues) == 3


def test_get_unknown_session_is_404(api) -> None:
    api.error("GET", f"{SESSIONS}/ps_doesnotexist000", expect=404, type="invalid_request_error",
              code="resource_missing")


def test_list_pages_newest_first(api) -> None:
    # Start on a fresh second, so that `created[gte]` selects exactly the sessions made here.
    time.sleep(1.05 - (time.time() % 1))
    since = int(time.time())
    first, second, third = (create(api, amount=amount)["id"] for amount in ("1.01", "1.02", "1.03"))
    query = f"{SESSIONS}?created%5Bgte%5D={since}"

    everything = api.ok("GET", query)
    assert everything["object"] == "list"
    assert everything["url"] == SESSIONS
    assert [s["id"] for s in everything["data"]] == [third, second, first]
    assert everything["has_more"] is False

    page = api.ok("GET", f"{query}&limit=2")
    assert [s["id"] for s in page["data"]] == [third, second]
    assert page["has_more"] is True
    page = api.ok("GET", f"{query}&limit=2&starting_after={second}")
    assert [s["id"] for s in page["data"]] == [first]
    assert page["has_more"] is False
    page = api.ok("GET", f"{query}&limit=2&starting_after={first}")
    assert page["data"] == [] and page["has_more"] is False

    page = api.ok("GET", f"{query}&limit=1&ending_before={first}")
    assert [s["id"] for s in page["data"]] == [second]
    assert page["has_more"] is True
    page = api.ok("GET", f"{query}&limit=2&ending_before={first}")
    assert [s["id"] for s in page["data"]] == [third, second]
    assert page["has_more"] is False

    older = api.ok("GET", f"{SESSIONS}?created%5Blte%5D={since - 1}&limit=100")
    assert not {first, second, third} & {s["id"] for s in older["data"]}

    api.ok("POST", f"{SESSIONS}/{second}/cancel")
    canceled = api.ok("GET", f"{query}&status=canceled")
    assert [s["id"] for s in canceled["data"]] == [second]
    pending = api.ok("GET", f"{query}&status=pending")
    assert [s["id"] for s in pending["data"]] == [third, first]


@pytest.mark.parametrize("query,param", [
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("limit=ten", "limit"),
    ("status=unpaid", "status"),
    ("created%5Bgte%5D=yesterday", "created[gte]"),
    ("created%5Blte%5D=1.5", "created[lte]"),
])
def test_list_bad_query_is_400(api, query, param) -> None:
    api.error("GET", f"{SESSIONS}?{query}", expect=400, type="invalid_request_error", param=param)


def test_list_transfers_bad_query_is_400(api) -> None:
    api.error("GET", "/v1/transfers?matched=maybe", expect=400, type="invalid_request_error", param="matched")


def test_cancel(api) -> None:
    session = create(api)
    canceled = api.ok("POST", f"{SESSIONS}/{session['id']}/cancel")
    assert canceled["id"] == session["id"]
    assert canceled["status"] == "canceled"
    assert api.ok("GET", f"{SESSIONS}/{session['id']}")["status"] == "canceled"
    api.error("POST", f"{SESSIONS}/{session['id']}/cancel", expect=409, type="invalid_request_error")
    api.error("POST", f"{SESSIONS}/ps_doesnotexist000/cancel", expect=404, type="invalid_request_error")


# ---------------------------------------------------------------------------- payments


def test_pay_exact_amount_completes(api, gateway) -> None:
    session = create(api, amount="2.50")
    option = session["payment_options"][0]
    tx_hash = gateway.pay(option, int(option["amount_due_base_units"]), sender=1)
    # wait_for_status polls unchecked; the final answer is fetched (and checked) again below.
    gateway.wait_for_status(session["id"], "completed", timeout=90)
    done = api.ok("GET", f"{SESSIONS}/{session['id']}")
    assert done["status"] == "completed"
    assert Decimal(done["amount_received"]) == Decimal(option["amount_due"])
    assert Decimal(done["amount_confirmed"]) == Decimal(option["amount_due"])
    assert Decimal(done["amount_remaining"]) == 0
    assert Decimal(done["amount_overpaid"]) == 0
    assert done["completed_at"] is not None
    assert parse_time(done["completed_at"]) >= parse_time(done["created_at"])
    [payment] = done["payments"]
    assert payment["tx_hash"] == tx_hash.lower()
    assert payment["network"] == "devnet"
    assert payment["token"] == "USDC"
    assert payment["token_address"].lower() == gateway.chain.usdc.lower()
    assert payment["from"] == to_checksum_address(gateway.chain.accounts[1]["address"])
    assert payment["amount"] == option["amount_due"]
    assert payment["amount_base_units"] == option["amount_due_base_units"]
    assert payment["status"] == "confirmed"
    assert payment["confirmations"] >= payment["confirmations_required"] == option["confirmations_required"]
    assert payment["late"] is False
    assert payment["matched_by"] == "amount"

    matched = api.ok("GET", "/v1/transfers?matched=true&limit=100")
    [transfer] = [t for t in matched["data"] if t["tx_hash"] == tx_hash.lower()]
    assert transfer["id"] == payment["transfer"]
    assert transfer["payment_session"] == session["id"]
    assert transfer["to"] == to_checksum_address(MERCHANT_ADDRESS)
    assert transfer["amount"] == option["amount_due"]

    # A completed session cannot be canceled; a claim of the same transaction is already matched.
    api.error("POST", f"{SESSIONS}/{session['id']}/cancel", expect=409, type="invalid_request_error")
    claim = api.ok("POST", f"/checkout/{session['id']}/transactions",
                   {"client_secret": session["client_secret"], "tx_hash": tx_hash.lower(), "network": "devnet"},
                   auth=False, expect=202)
    assert claim == {"object": "checkout_transaction", "payment_session": session["id"], "network": "devnet",
                     "tx_hash": tx_hash.lower(), "status": "matched"}


def test_unmatched_transfer_is_listed_and_attached(api, gateway) -> None:
    holder = create(api, amount="40.00")  # only to learn the token and address to pay
    option = holder["payment_options"][0]
    tx_hash = gateway.pay(option, 1_234_567, sender=2).lower()

    def unmatched() -> Optional[dict]:
        page = api.ok("GET", "/v1/transfers?matched=false&limit=100")
        assert all(t["payment_session"] is None for t in page["data"])
        return next((t for t in page["data"] if t["tx_hash"] == tx_hash), None)

    transfer = wait_until(unmatched, "the unmatched transfer to be listed")
    assert transfer["object"] == "transfer"
    assert transfer["livemode"] is False
    assert transfer["network"] == "devnet" and transfer["chain_id"] == 1337
    assert transfer["token"] == "USDC"
    assert transfer["amount"] == "1.234567"
    assert transfer["amount_base_units"] == "1234567"
    assert transfer["from"] == to_checksum_address(gateway.chain.accounts[2]["address"])
    assert transfer["to"] == to_checksum_address(MERCHANT_ADDRESS)

    session = create(api, amount="5.00")
    attached = api.ok("POST", f"{SESSIONS}/{session['id']}/attach",
                      {"tx_hash": tx_hash, "log_index": transfer["log_index"]})
    assert attached["status"] == "pending"
    [payment] = attached["payments"]
    assert payment["transfer"] == transfer["id"]
    assert payment["matched_by"] == "attach"
    assert payment["amount"] == "1.234567"
    assert Decimal(attached["amount_received"]) == Decimal("1.234567")
    assert Decimal(attached["amount_remaining"]) == Decimal(attached["amount_due"]) - Decimal("1.234567")

    assert unmatched() is None
    matched = api.ok("GET", "/v1/transfers?matched=true&limit=100")
    assert [t["payment_session"] for t in matched["data"] if t["id"] == transfer["id"]] == [session["id"]]

    other = create(api, amount="6.00")
    api.error("POST", f"{SESSIONS}/{other['id']}/attach", {"tx_hash": tx_hash, "log_index": transfer["log_index"]},
              expect=409, type="invalid_request_error")
    api.error("POST", f"{SESSIONS}/{other['id']}/attach", {"tx_hash": random_hash(), "log_index": 0},
              expect=404, type="invalid_request_error")
    api.error("POST", f"{SESSIONS}/{other['id']}/attach", {"tx_hash": "0x1234", "log_index": 0},
              expect=400, type="invalid_request_error", param="tx_hash")
    api.error("POST", f"{SESSIONS}/{other['id']}/attach", {"tx_hash": random_hash(), "log_index": -1},
              expect=400, type="invalid_request_error", param="log_index")
    # A session with a payment cannot be canceled.
    api.error("POST", f"{SESSIONS}/{session['id']}/cancel", expect=409, type="invalid_request_error")


# ---------------------------------------------------------------------------- checkout


def test_checkout_page_and_claims(api, gateway) -> None:
    session = create(api, amount="9.99", currency="USD")
    page = api.call("GET", f"/checkout/{session['id']}", auth=False, expect=200)
    assert header(page, "Content-Type").startswith("text/html")
    html = page.body.decode()
    assert session["payment_options"][0]["amount_due"] in html
    second = api.call("GET", f"/checkout/{session['id']}?option=1", auth=False, expect=200).body.decode()
    assert session["payment_options"][1]["uri"].replace("&", "&amp;") in second or session["payment_options"][1]["uri"] in second
    missing = api.call("GET", "/checkout/ps_doesnotexist000", auth=False, expect=404)
    assert header(missing, "Content-Type") == "text/html; charset=utf-8"
    assert "Checkout not found" in missing.body.decode()

    claim_path = f"/checkout/{session['id']}/transactions"
    tx_hash = random_hash()
    claim = api.ok("POST", claim_path, {"client_secret": session["client_secret"], "tx_hash": tx_hash,
                                        "network": "devnet"}, auth=False, expect=202)
    assert claim == {"object": "checkout_transaction", "payment_session": session["id"], "network": "devnet",
                     "tx_hash": tx_hash, "status": "pending_verification"}

    wrong = api.call("POST", claim_path, {"client_secret": "cs_" + "x" * 24, "tx_hash": random_hash(),
                                          "network": "devnet"}, auth=False)
    assert 400 <= wrong.status < 500, (wrong.status, wrong.body)
    missing = api.call("POST", claim_path, {"tx_hash": random_hash(), "network": "devnet"}, auth=False)
    assert missing.status == 400, (missing.status, missing.body)
    bad_hash = api.call("POST", claim_path, {"client_secret": session["client_secret"], "tx_hash": "0xnothex",
                                             "network": "devnet"}, auth=False, expect=400)
    assert bad_hash.json()["error"]["param"] == "tx_hash"


def test_checkout_events(api, gateway, document) -> None:
    session = create(api, amount="8.00", cancel_url="https://shop.example/cart")
    path = f"/checkout/{session['id']}/events"
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=20)
    try:
        connection.request("GET", path, headers={"Accept": "text/event-stream"})
        response = connection.getresponse()
        assert response.status == 200
        text = ""
        while not parse_events(text):
            line = response.readline().decode()
            assert line, "the event stream ended"
            text += line
        headers = dict(response.getheaders())
    finally:
        connection.close()
    document.validate(gateway.url, "GET", path, None, {}, 200, headers, text.encode())
    [event] = parse_events(text)
    assert event["event"] == "session"
    data = json.loads(event["data"])
    document.validate_schema("SessionEvent", data)
    assert set(data) == SESSION_EVENT_FIELDS
    for field in SESSION_EVENT_FIELDS - {"payments", "remaining_due"}:
        assert data[field] == session[field], field
    assert data["payments"] == []
    assert data["remaining_due"] == [option["amount_remaining_due"] for option in session["payment_options"]]
    api.error("GET", "/checkout/ps_doesnotexist000/events", auth=False, expect=404, type="invalid_request_error")


def open_stream(gateway, path: str):
    """An event stream read to its first event (left open), or the refusal's status."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=20)
    connection.request("GET", path, headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    if response.status != 200:
        connection.close()
        return response.status, None
    text = ""
    while not parse_events(text):
        line = response.readline().decode()
        assert line, "the event stream ended"
        text += line
    return 200, connection


def test_a_stream_whose_client_left_gives_its_place_back(api, gateway) -> None:
    # Customers who close the page leave streams behind: each held one of the session's five
    # places until a write failed, and with a keep-alive every 15 s that took about 30 s.
    session = create(api, amount="8.25")
    path = f"/checkout/{session['id']}/events"
    streams = [open_stream(gateway, path) for _ in range(5)]
    assert [status for status, _ in streams] == [200] * 5
    assert open_stream(gateway, path)[0] == 429
    for _, connection in streams:
        connection.close()
    # Two keep-alive intervals (2 s each) find every one of them gone.
    deadline = time.monotonic() + 12
    status = 429
    while status == 429 and time.monotonic() < deadline:
        time.sleep(0.5)
        status, connection = open_stream(gateway, path)
    assert status == 200, "no place was given back"
    connection.close()


# ---------------------------------------------------------------------------- API keys


def test_api_keys(api, gateway) -> None:
    created = api.ok("POST", "/v1/api_keys", {"scopes": ["read"], "description": "Reporting"}, expect=201)
    secret = created["secret"]
    assert secret.startswith("sk_test_") and len(secret) == len("sk_test_") + 32
    assert created["id"].startswith("key_")
    assert created["object"] == "api_key"
    assert created["livemode"] is False
    assert created["prefix"] == secret[:12]
    assert created["scopes"] == ["read"]
    assert created["description"] == "Reporting"
    assert created["last_used_at"] is None and created["revoked_at"] is None

    listed = api.ok("GET", "/v1/api_keys?limit=100")
    assert listed["url"] == "/v1/api_keys"
    mine = [k for k in listed["data"] if k["id"] == created["id"]]
    assert mine == [{k: v for k, v in created.items() if k != "secret"}]
    assert listed["data"][0]["id"] == created["id"]  # newest first
    assert any(k["prefix"] == gateway.api_key[:12] for k in listed["data"])

    # A read-only key reads, and may neither write nor manage keys.
    assert api.ok("GET", "/v1/merchant", key=secret)["id"] == gateway.merchant["id"]
    api.ok("GET", SESSIONS, key=secret)
    api.error("POST", SESSIONS, {"amount": "1.00", "currency": "USDC"}, key=secret, expect=403, type="permission_error",
              code="scope_missing")
    api.error("GET", "/v1/api_keys", key=secret, expect=403, type="permission_error", code="scope_missing")
    api.error("POST", "/v1/api_keys", {"scopes": ["admin"]}, key=secret, expect=403, type="permission_error")
    used = [k for k in api.ok("GET", "/v1/api_keys?limit=100")["data"] if k["id"] == created["id"]][0]
    assert used["last_used_at"] is not None

    revoked = api.ok("DELETE", f"/v1/api_keys/{created['id']}")
    assert revoked["id"] == created["id"]
    assert revoked["revoked_at"] is not None
    assert "secret" not in revoked
    api.error("GET", "/v1/merchant", key=secret, expect=401, type="authentication_error")
    api.error("DELETE", "/v1/api_keys/key_doesnotexist000", expect=404, type="invalid_request_error")

    default_mode = api.ok("POST", "/v1/api_keys", {"scopes": ["read", "write"]}, expect=201)
    assert default_mode["livemode"] is False and default_mode["secret"].startswith("sk_test_")
    assert default_mode["description"] is None
    api.ok("DELETE", f"/v1/api_keys/{default_mode['id']}")
    api.error("POST", "/v1/api_keys", {"scopes": ["everything"]}, expect=400, type="invalid_request_error",
              param="scopes")
    api.error("POST", "/v1/api_keys", {"scopes": ["read"], "owner": "me"}, expect=400, type="invalid_request_error",
              param="owner", code="parameter_unknown")


# ---------------------------------------------------------------------------- idempotency


def test_idempotent_replay_and_conflict(api) -> None:
    key = "order-" + secrets.token_hex(8)
    body = {"amount": "15.00", "currency": "USDC", "metadata": {"order": key}}
    first = api.call("POST", SESSIONS, body, expect=201, headers={"Idempotency-Key": key})
    assert header(first, "Idempotent-Replayed") in (None, "false")
    again = api.call("POST", SESSIONS, body, expect=201, headers={"Idempotency-Key": key})
    assert header(again, "Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    listed = api.ok("GET", f"{SESSIONS}?limit=100")
    assert sum(1 for s in listed["data"] if s["metadata"].get("order") == key) == 1

    api.error("POST", SESSIONS, dict(body, amount="16.00"), headers={"Idempotency-Key": key}, expect=409,
              type="idempotency_error", code="idempotency_key_reused")
    other = api.call("POST", SESSIONS, body, expect=201, headers={"Idempotency-Key": key + "-2"})
    assert other.json()["id"] != first.json()["id"]


def test_rate_limit(tmp_path_factory, document) -> None:
    """A gateway of its own with a limit of 2 creations a minute: the third is a 429 with Retry-After."""
    server = GatewayServer(tmp_path_factory.mktemp("limited"), extra_args=["--rate-limit", "50", "--rate-limit-create", "2"])
    try:
        limited = Api(server, document)
        for remaining in (1, 0):
            answer = limited.call("POST", SESSIONS, {"amount": "1.00", "currency": "USDC"}, expect=201)
            assert header(answer, "X-RateLimit-Limit") == "2"
            assert header(answer, "X-RateLimit-Remaining") == str(remaining)
        refused = limited.call("POST", SESSIONS, {"amount": "1.00", "currency": "USDC"}, expect=429)
        assert refused.json()["error"]["type"] == "rate_limit_error"
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(header(refused, "Retry-After")) <= 60
        assert header(refused, "X-RateLimit-Remaining") == "0"
        assert int(header(refused, "X-RateLimit-Reset")) >= int(time.time())
        # Other routes count against the general limit only.
        read = limited.call("GET", "/v1/merchant", expect=200)
        assert header(read, "X-RateLimit-Limit") == "50"
    finally:
        assert server.stop() == 0


# ---------------------------------------------------------------------------- bad input


BAD_SESSIONS = [
    # what, body, param, code
    ("wrong type: amount is a number", {"amount": 12.5, "currency": "USDC"}, "amount", "parameter_invalid_type"),
    ("wrong type: currency is a list", {"amount": "1.00", "currency": ["USDC"]}, "currency", "parameter_invalid_type"),
    ("wrong type: expires_in is a string", {"amount": "1.00", "currency": "USDC", "expires_in": "600"}, "expires_in",
     "parameter_invalid_type"),
    ("wrong type: metadata value", {"amount": "1.00", "currency": "USDC", "metadata": {"n": 1}}, "metadata",
     "parameter_invalid_type"),
    ("missing amount", {"currency": "USDC"}, "amount", "parameter_missing"),
    ("missing currency", {"amount": "1.00"}, "currency", "parameter_missing"),
    ("negative amount", {"amount": "-1.00", "currency": "USDC"}, "amount", "amount_invalid"),
    ("zero amount", {"amount": "0.00", "currency": "USDC"}, "amount", "amount_invalid"),
    ("not a number", {"amount": "1,00", "currency": "USDC"}, "amount", "amount_invalid"),
    ("exponent", {"amount": "1e3", "currency": "USDC"}, "amount", "amount_invalid"),
    ("too many decimals", {"amount": "1.0000001", "currency": "USDC"}, "amount", "amount_invalid"),
    ("unknown currency", {"amount": "1.00", "currency": "EUR"}, "currency", "currency_invalid"),
    ("unknown network", {"amount": "1.00", "currency": "USDC", "networks": ["bitcoin"]}, "networks", "network_invalid"),
    ("no networks", {"amount": "1.00", "currency": "USDC", "networks": []}, "networks", "networks_invalid"),
    ("unknown token", {"amount": "1.00", "currency": "USD", "tokens": ["DAI"]}, "tokens", "token_invalid"),
    ("token outside the currency", {"amount": "1.00", "currency": "USDC", "tokens": ["USDT"]}, "tokens",
     "tokens_invalid"),
    ("bad URL", {"amount": "1.00", "currency": "USDC", "success_url": "not a url"}, "success_url", "url_invalid"),
    ("URL not http", {"amount": "1.00", "currency": "USDC", "cancel_url": "javascript:alert(1)"}, "cancel_url",
     "url_invalid"),
    ("expires_in too small", {"amount": "1.00", "currency": "USDC", "expires_in": 59}, "expires_in",
     "expires_in_invalid"),
    ("expires_in too large", {"amount": "1.00", "currency": "USDC", "expires_in": 604801}, "expires_in",
     "expires_in_invalid"),
    ("description too long", {"amount": "1.00", "currency": "USDC", "description": "d" * 501}, "description",
     "description_invalid"),
    ("too many metadata pairs", {"amount": "1.00", "currency": "USDC", "metadata": {f"k{i}": "v" for i in range(21)}},
     "metadata", "metadata_invalid"),
    ("metadata key too long", {"amount": "1.00", "currency": "USDC", "metadata": {"k" * 41: "v"}}, "metadata",
     "metadata_invalid"),
    ("unknown field", {"amount": "1.00", "currency": "USDC", "colour": "red"}, "colour", "parameter_unknown"),
]


@pytest.mark.parametrize("body,param,code", [case[1:] for case in BAD_SESSIONS], ids=[case[0] for case in BAD_SESSIONS])
def test_bad_session_is_400(api, body, param, code) -> None:
    api.error("POST", SESSIONS, body, expect=400, type="invalid_request_error", param=param, code=code)


@pytest.mark.parametrize("raw", [b'{"amount": "1.00", "currency": ', b"not json", b"[]", b'"text"', b""],
                         ids=["truncated", "not json", "array", "string", "empty"])
def test_malformed_body_is_400(api, raw) -> None:
    error = api.error("POST", SESSIONS, raw, expect=400, type="invalid_request_error")
    assert error["code"] == ("body_missing" if raw == b"" else "json_invalid"), error
    assert "param" not in error


def test_oversized_body_is_refused(api) -> None:
    body = json.dumps({"amount": "1.00", "currency": "USDC", "description": "x" * (70 * 1024)}).encode()
    answer = api.call("POST", SESSIONS, body)
    assert answer.status in (400, 413), (answer.status, answer.body[:500])
    assert answer.json()["error"]["type"] == "invalid_request_error"
    if answer.status == 413:
        assert answer.json()["error"]["code"] == "body_too_large"


def test_unknown_route_is_a_json_404(api, document) -> None:
    answer = api.gateway.request("GET", "/v1/no_such_thing")
    assert answer.status == 404
    assert header(answer, "X-Request-Id").startswith("req_")
    document.validate_schema("Error", answer.json())
