"""The web console against the running gateway: sign-in with its CSRF token and limits, the
session cookie and its storage, who may open which session, a refund from the console that
succeeds on the devchain, sign-out, escaping, and `gateway user create`'s refusals."""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest
import requests

from gateway_server import psql
from openapi_check import Api
from test_refunds import paid_session
from test_openapi_conformance import wait_until

PASSWORD = "correct horse battery staple"


def make_user(gateway, tmp_path, email: str, role: str, merchant: str | None = None) -> dict:
    secret = tmp_path / f"{email}.txt"
    secret.write_text(PASSWORD + "\n")
    args = ["user", "create", "--email", email, "--role", role, "--password-file", str(secret)]
    if merchant:
        args += ["--merchant", merchant]
    return gateway.run_cli(*args)


def login_token(client: requests.Session, gateway) -> str:
    page = client.get(gateway.url + "/console/login")
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(gateway, email: str, password: str = PASSWORD) -> requests.Session:
    client = requests.Session()
    token = login_token(client, gateway)
    answer = client.post(gateway.url + "/console/login", data={"email": email, "password": password, "csrf_token": token},
                         allow_redirects=False)
    assert answer.status_code == 303, (answer.status_code, answer.text[:500])
    assert answer.headers["Location"] == "/console"
    return client


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture(scope="module")
def users(gateway, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("users")
    other = gateway.run_cli("merchant", "create", "--name", "Other Shop")
    return {
        "merchant": make_user(gateway, tmp, "owner@shop.example", "merchant", gateway.merchant["id"]),
        "other": make_user(gateway, tmp, "owner@other.example", "merchant", other["id"]),
        "operator": make_user(gateway, tmp, "ops@gateway.example", "operator"),
    }


def test_the_sign_in_form_has_its_exact_fields(gateway) -> None:
    answer = requests.get(gateway.url + "/console/login")
    assert answer.status_code == 200
    for field in ('name="email"', 'name="password"', 'type="hidden" name="csrf_token"'):
        assert field in answer.text
    assert "script" not in answer.text.lower()
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("gateway_console_login=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_pages_need_a_sign_in(gateway) -> None:
    for path in ("/console", "/console/sessions", "/console/sessions/ps_0000000000000000"):
        answer = requests.get(gateway.url + path, allow_redirects=False)
        assert (answer.status_code, answer.headers.get("Location")) == (303, "/console/login"), path


def test_a_sign_in_without_the_forms_token_is_refused(gateway, users) -> None:
    client = requests.Session()
    login_token(client, gateway)
    answer = client.post(gateway.url + "/console/login",
                         data={"email": "owner@shop.example", "password": PASSWORD, "csrf_token": "csrf_forged"}, allow_redirects=False)
    assert answer.status_code == 403 and "The form expired" in answer.text
    assert "gateway_console=" not in answer.headers.get("Set-Cookie", "")
    # Nor with the right token but without its cookie (another site's form).
    token = login_token(client, gateway)
    answer = requests.post(gateway.url + "/console/login",
                           data={"email": "owner@shop.example", "password": PASSWORD, "csrf_token": token}, allow_redirects=False)
    assert answer.status_code == 403


def test_a_wrong_password_is_refused_like_an_unknown_email(gateway, users) -> None:
    answers = []
    for email, password in (("owner@shop.example", "wrong password here"), ("nobody@shop.example", PASSWORD)):
        client = requests.Session()
        token = login_token(client, gateway)
        answer = client.post(gateway.url + "/console/login", data={"email": email, "password": password, "csrf_token": token},
                             allow_redirects=False)
        answers.append((answer.status_code, "Wrong email or password." in answer.text))
    assert answers == [(401, True), (401, True)]


def test_the_session_cookie_and_its_storage(gateway, users) -> None:
    client = requests.Session()
    token = login_token(client, gateway)
    answer = client.post(gateway.url + "/console/login",
                         data={"email": "Owner@Shop.example ", "password": PASSWORD, "csrf_token": token}, allow_redirects=False)
    assert answer.status_code == 303
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("gateway_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie and "Secure" not in cookie
    value = client.cookies.get("gateway_console")
    assert value
    stored = psql(gateway.database_url, "SELECT count(*) FROM console_sessions WHERE value->>'userId' = "
                  f"'{users['merchant']['id']}'")
    assert int(stored) >= 1
    # Only the SHA-256 of the key is stored: the cookie's value appears nowhere in the table.
    dump = psql(gateway.database_url, "SELECT encode(key_sha256, 'escape') || value::text FROM console_sessions")
    assert value not in dump
    overview = client.get(gateway.url + "/console")
    assert overview.status_code == 200 and "owner@shop.example" in overview.text


def test_a_merchant_cannot_open_another_merchants_session(api: Api, gateway, users) -> None:
    session = api.ok("POST", "/v1/payment_sessions", {"amount": "3.00", "currency": "USDC", "metadata": {"order_id": "A-100"}},
                     expect=201)
    own = sign_in(gateway, "owner@shop.example")
    page = own.get(gateway.url + f"/console/sessions/{session['id']}")
    assert page.status_code == 200 and session["id"] in page.text
    other = sign_in(gateway, "owner@other.example")
    refused = other.get(gateway.url + f"/console/sessions/{session['id']}")
    missing = other.get(gateway.url + "/console/sessions/ps_DoesNotExist00000000")
    assert refused.status_code == 404 and missing.status_code == 404
    assert session["id"] not in refused.text.replace(f"Session {session['id']}", "")
    # Nor find it in the list, by id or order id.
    listed = other.get(gateway.url + "/console/sessions", params={"q": session["id"]})
    assert listed.status_code == 200 and "No session matches." in listed.text and f"/console/sessions/{session['id']}" not in listed.text
    mine = own.get(gateway.url + "/console/sessions", params={"q": "A-100"})
    assert session["id"] in mine.text


def test_text_from_a_merchant_is_escaped(api: Api, gateway, users) -> None:
    evil = '<script>alert(1)</script>"><img src=x>'
    api.ok("POST", "/v1/payment_sessions", {"amount": "1.00", "currency": "USDC", "metadata": {"order_id": evil}}, expect=201)
    page = sign_in(gateway, "owner@shop.example").get(gateway.url + "/console/sessions")
    assert evil not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x&gt;" in page.text


def test_a_refund_from_the_console_succeeds_on_the_devchain(api: Api, gateway, users) -> None:
    session = paid_session(api, gateway, "4.00")
    operator = sign_in(gateway, "ops@gateway.example")
    before = operator.get(gateway.url + "/console")
    assert before.status_code == 200 and 'id="balances"' in before.text and 'id="refund-queue"' in before.text
    # An operator watches and cannot refund for the merchant.
    page = operator.get(gateway.url + f"/console/sessions/{session['id']}")
    assert page.status_code == 200 and 'id="refund-form"' not in page.text
    refused = operator.post(gateway.url + f"/console/sessions/{session['id']}/refunds",
                            data={"amount": "1.00", "reason": "other", "csrf_token": form_token(page.text)})
    assert refused.status_code == 403

    owner = sign_in(gateway, "owner@shop.example")
    page = owner.get(gateway.url + f"/console/sessions/{session['id']}")
    assert 'id="refund-form"' in page.text
    # Without the session's token: refused, nothing created.
    forged = owner.post(gateway.url + f"/console/sessions/{session['id']}/refunds",
                        data={"amount": "1.00", "reason": "other", "csrf_token": "csrf_forged"})
    assert forged.status_code == 403
    assert api.ok("GET", f"/v1/refunds?payment_session={session['id']}")["data"] == []
    # The same rules as the API: more than was paid is refused with its reason.
    too_much = owner.post(gateway.url + f"/console/sessions/{session['id']}/refunds",
                          data={"amount": "400.00", "reason": "other", "csrf_token": form_token(page.text)})
    assert too_much.status_code == 422 and 'class="problem"' in too_much.text
    done = owner.post(gateway.url + f"/console/sessions/{session['id']}/refunds",
                      data={"amount": "1.50", "destination": "", "reason": "requested_by_customer", "csrf_token": form_token(page.text)})
    assert done.status_code == 200, done.text[:1000]
    refund_id = re.search(r"Refund (re_[0-9A-Za-z]+) created", done.text).group(1)
    try:
        final = wait_until(lambda: (lambda r: r if r["status"] == "succeeded" else None)(api.ok("GET", f"/v1/refunds/{refund_id}")),
                           "the refund to succeed", timeout=90)
    except AssertionError:
        raise AssertionError(api.ok("GET", f"/v1/refunds/{refund_id}")) from None
    assert final["amount"] == "1.50" and final["destination"] == session["payments"][0]["from"]
    after = owner.get(gateway.url + f"/console/sessions/{session['id']}")
    assert refund_id in after.text and "succeeded" in after.text


def test_sign_in_attempts_are_limited_per_account(gateway, users) -> None:
    statuses = []
    for _ in range(7):
        client = requests.Session()
        token = login_token(client, gateway)
        statuses.append(client.post(gateway.url + "/console/login",
                                    data={"email": "guess@gateway.example", "password": "not the password", "csrf_token": token},
                                    allow_redirects=False).status_code)
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]


def test_sign_out_needs_the_token_and_ends_the_session(gateway, users) -> None:
    client = sign_in(gateway, "owner@other.example")
    page = client.get(gateway.url + "/console")
    assert client.post(gateway.url + "/console/logout", data={"csrf_token": "csrf_forged"}, allow_redirects=False).status_code == 403
    assert client.get(gateway.url + "/console", allow_redirects=False).status_code == 200
    out = client.post(gateway.url + "/console/logout", data={"csrf_token": form_token(page.text)}, allow_redirects=False)
    assert (out.status_code, out.headers["Location"]) == (303, "/console/login")
    assert client.get(gateway.url + "/console", allow_redirects=False).status_code == 303


def test_a_restart_signs_nobody_out(gateway, users) -> None:
    client = sign_in(gateway, "owner@shop.example")
    gateway.process.send_signal(signal.SIGTERM)
    gateway.process.wait(timeout=30)
    gateway.start()
    assert client.get(gateway.url + "/console", allow_redirects=False).status_code == 200


@pytest.mark.parametrize("args, message", [
    (["--role", "merchant"], "a merchant user needs --merchant"),
    (["--role", "operator", "--merchant", "mer_x"], "an operator belongs to no merchant"),
    (["--role", "admin"], "--role is operator or merchant"),
])
def test_user_create_refuses(gateway, tmp_path, args, message) -> None:
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD)
    out = subprocess.run([gateway.binary, "user", "create", "--email", "x@shop.example", "--password-file", str(secret), *args],
                         env=gateway.env, capture_output=True, text=True)
    assert out.returncode != 0 and message in out.stderr


def test_user_create_refuses_a_short_password_and_a_taken_email(gateway, tmp_path, users) -> None:
    short = tmp_path / "short.txt"
    short.write_text("too short\n")
    out = subprocess.run([gateway.binary, "user", "create", "--email", "y@shop.example", "--role", "operator",
                          "--password-file", str(short)], env=gateway.env, capture_output=True, text=True)
    assert out.returncode != 0 and "at least 12 characters" in out.stderr and "too short" not in out.stderr
    again = tmp_path / "again.txt"
    again.write_text(PASSWORD)
    out = subprocess.run([gateway.binary, "user", "create", "--email", "OPS@gateway.example", "--role", "operator",
                          "--password-file", str(again)], env=gateway.env, capture_output=True, text=True)
    assert out.returncode != 0 and "a user with that email exists" in out.stderr
    # The password is stored only as a bcrypt hash.
    hashes = psql(gateway.database_url, "SELECT string_agg(password_hash, ',') FROM console_users")
    assert PASSWORD not in hashes and all(h.startswith("$2") for h in hashes.split(","))


def test_hostile_query_and_form_values_get_an_answer_not_an_error(gateway, users) -> None:
    client = sign_in(gateway, "ops@gateway.example")
    for params in ({"q": "ps_\x00"}, {"merchant": "mer_\x00"}, {"status": "\x00"}, {"q": "x" * 5000}, {"q": "%FF%00"}):
        answer = client.get(gateway.url + "/console/sessions", params=params)
        assert answer.status_code == 200, (params, answer.status_code)
    assert client.get(gateway.url + "/console/sessions/ps_%00").status_code == 404
    # A NUL in the sign-in fields is a refusal like any wrong password.
    other = requests.Session()
    token = login_token(other, gateway)
    answer = other.post(gateway.url + "/console/login",
                        data={"email": "owner@shop.example\x00", "password": PASSWORD + "\x00", "csrf_token": token},
                        allow_redirects=False)
    assert answer.status_code == 401


def test_exports_from_the_console_are_the_apis_files(api: Api, gateway, users) -> None:
    import datetime

    paid_session(api, gateway, "2.25")
    today = datetime.datetime.now(datetime.timezone.utc).date()
    dates = {"from": (today - datetime.timedelta(days=1)).isoformat(), "to": (today + datetime.timedelta(days=1)).isoformat()}
    owner = sign_in(gateway, "owner@shop.example")
    assert 'id="export-form"' in owner.get(gateway.url + "/console/exports").text
    for kind in ("payments", "ledger"):
        mine = owner.get(gateway.url + "/console/exports/file", params={"kind": kind, "mode": "test", **dates})
        assert mine.status_code == 200 and mine.headers["Content-Type"].startswith("text/csv")
        assert mine.headers["Content-Disposition"] == f'attachment; filename="{kind}_{dates["from"]}_{dates["to"]}.csv"'
        query = "&".join(f"{name}={value}" for name, value in dates.items())
        theirs = gateway.request("GET", f"/v1/exports/{kind}.csv?{query}")
        assert theirs.status == 200 and mine.content == theirs.body and "2.25" in mine.text
    bad = owner.get(gateway.url + "/console/exports/file", params={"kind": "payments", "from": "2026-13-01", "to": "\x00"})
    assert bad.status_code == 422 and 'id="problem"' in bad.text
    assert owner.get(gateway.url + "/console/exports/file", params={"kind": "nope", **dates}).status_code == 400
    # An operator has no merchant to export.
    operator = sign_in(gateway, "ops@gateway.example")
    assert operator.get(gateway.url + "/console/exports/file", params={"kind": "payments", **dates}).status_code == 403


def test_api_keys_from_the_console(gateway, users) -> None:
    owner = sign_in(gateway, "owner@shop.example")
    page = owner.get(gateway.url + "/console/developers")
    assert page.status_code == 200 and 'id="key-form"' in page.text
    token = form_token(page.text)
    assert owner.post(gateway.url + "/console/developers/keys", data={"mode": "test", "scope_read": "on"}).status_code == 403
    made = owner.post(gateway.url + "/console/developers/keys",
                      data={"csrf_token": token, "mode": "test", "scope_read": "on", "description": "<b>books</b>"})
    assert made.status_code == 200, made.text[:500]
    secret = re.search(r'id="new-secret">(sk_test_[0-9A-Za-z]+)<', made.text).group(1)
    key_id = re.search(r"API key (key_[0-9A-Za-z]+) created", made.text).group(1)
    assert "&lt;b&gt;books&lt;/b&gt;" in made.text and "<b>books</b>" not in made.text
    read = requests.get(gateway.url + "/v1/payment_sessions", headers={"Authorization": f"Bearer {secret}"})
    assert read.status_code == 200
    # The secret is shown once: not on the next load.
    assert secret not in owner.get(gateway.url + "/console/developers").text
    none = owner.post(gateway.url + "/console/developers/keys", data={"csrf_token": token, "mode": "test"})
    assert none.status_code == 422 and 'class="problem"' in none.text
    revoked = owner.post(gateway.url + "/console/developers/revoke-key", data={"csrf_token": token, "id": key_id})
    assert revoked.status_code == 200 and f"API key {key_id} revoked." in revoked.text
    assert requests.get(gateway.url + "/v1/payment_sessions", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    # Another merchant's key id is "not found", and nothing is revoked.
    other = sign_in(gateway, "owner@other.example")
    other_token = form_token(other.get(gateway.url + "/console/developers").text)
    foreign = other.post(gateway.url + "/console/developers/revoke-key", data={"csrf_token": other_token, "id": gateway_key_id(gateway)})
    assert foreign.status_code == 404
    assert gateway.request("GET", "/v1/payment_sessions").status == 200


def gateway_key_id(gateway) -> str:
    return psql(gateway.database_url, f"SELECT id FROM api_keys WHERE merchant_id = '{gateway.merchant['id']}' ORDER BY created_at LIMIT 1")


def test_webhook_endpoints_from_the_console(gateway, users) -> None:
    owner = sign_in(gateway, "owner@shop.example")
    token = form_token(owner.get(gateway.url + "/console/developers").text)
    private = owner.post(gateway.url + "/console/developers/endpoints",
                         data={"csrf_token": token, "mode": "test", "url": "http://127.0.0.1:9/hook"})
    assert private.status_code == 422 and 'class="problem"' in private.text
    assert psql(gateway.database_url, "SELECT count(*) FROM webhook_endpoints WHERE url = 'http://127.0.0.1:9/hook'") == "0"
    missing = owner.post(gateway.url + "/console/developers/delete-endpoint", data={"csrf_token": token, "id": "we_\x00"})
    assert missing.status_code == 404
    operator = sign_in(gateway, "ops@gateway.example")
    assert operator.get(gateway.url + "/console/developers").status_code == 403


def test_a_merchant_sets_its_time_zone_in_the_console_and_the_cli(gateway, users) -> None:
    other = sign_in(gateway, "owner@other.example")
    page = other.get(gateway.url + "/console/exports")
    assert 'id="time-zone-form"' in page.text and 'value="UTC" id="time-zone"' in page.text
    token = form_token(page.text)
    merchant = psql(gateway.database_url, "SELECT merchant_id FROM console_users WHERE email = 'owner@other.example'")
    # Without the form's token: refused, nothing changed.
    assert other.post(gateway.url + "/console/exports/time-zone", data={"time_zone": "Asia/Tokyo"}).status_code == 403
    for hostile in ("Mars/Olympus_Mons", "../../etc/passwd", "Europe/Paris'; DROP TABLE merchants; --", "<script>", "x" * 200):
        refused = other.post(gateway.url + "/console/exports/time-zone", data={"csrf_token": token, "time_zone": hostile})
        assert refused.status_code == 422 and 'id="problem"' in refused.text, hostile
        assert "<script>" not in refused.text
    assert psql(gateway.database_url, f"SELECT time_zone FROM merchants WHERE id = '{merchant}'") == "UTC"
    saved = other.post(gateway.url + "/console/exports/time-zone", data={"csrf_token": token, "time_zone": "Asia/Tokyo"})
    assert saved.status_code == 200 and "Dates are now read in Asia/Tokyo." in saved.text
    assert psql(gateway.database_url, f"SELECT time_zone FROM merchants WHERE id = '{merchant}'") == "Asia/Tokyo"
    # An operator has no merchant whose time zone to set.
    operator = sign_in(gateway, "ops@gateway.example")
    operator_token = form_token(operator.get(gateway.url + "/console/exports").text)
    assert operator.post(gateway.url + "/console/exports/time-zone",
                         data={"csrf_token": operator_token, "time_zone": "UTC"}).status_code == 403
    # The CLI reads and sets the same value.
    assert gateway.run_cli("merchant", "time-zone", "--merchant", merchant).strip() == "Asia/Tokyo"
    assert gateway.run_cli("merchant", "time-zone", "--merchant", merchant, "--set", "America/New_York").strip() == "America/New_York"
    assert psql(gateway.database_url, f"SELECT time_zone FROM merchants WHERE id = '{merchant}'") == "America/New_York"


def test_webhook_endpoint_events_and_secret_rotation_from_the_console(gateway, users) -> None:
    owner = sign_in(gateway, "owner@shop.example")
    page = owner.get(gateway.url + "/console/developers")
    assert 'name="event_payment.completed"' in page.text
    token = form_token(page.text)
    # A public address literal: checked without DNS; the endpoint is deleted before any event.
    url = "https://93.184.216.34/console-hook"
    made = owner.post(gateway.url + "/console/developers/endpoints",
                      data={"csrf_token": token, "mode": "test", "url": url, "event_payment.completed": "on",
                            "event_refund.succeeded": "on", "event_nope": "on"})
    assert made.status_code == 200, made.text[:500]
    first = re.search(r'id="new-secret">(whsec_[0-9A-Za-z]+)<', made.text).group(1)
    endpoint = psql(gateway.database_url, f"SELECT id FROM webhook_endpoints WHERE url = '{url}'")
    assert psql(gateway.database_url, f"SELECT array_to_string(events, ',') FROM webhook_endpoints WHERE id = '{endpoint}'") == \
        "payment.completed,refund.succeeded"
    # Rotation: a new secret shown once; another merchant cannot rotate it; no token, no rotation.
    assert owner.post(gateway.url + "/console/developers/rotate-secret", data={"id": endpoint}).status_code == 403
    other = sign_in(gateway, "owner@other.example")
    other_token = form_token(other.get(gateway.url + "/console/developers").text)
    assert other.post(gateway.url + "/console/developers/rotate-secret",
                      data={"csrf_token": other_token, "id": endpoint}).status_code == 404
    rotated = owner.post(gateway.url + "/console/developers/rotate-secret", data={"csrf_token": token, "id": endpoint})
    assert rotated.status_code == 200, rotated.text[:500]
    second = re.search(r'id="new-secret">(whsec_[0-9A-Za-z]+)<', rotated.text).group(1)
    assert second != first
    # The old secret keeps signing beside the new one for a day.
    assert psql(gateway.database_url, f"SELECT secret = '{second}' AND previous_secret = '{first}' "
                f"AND previous_expires_at > now() + interval '23 hours' FROM webhook_endpoints WHERE id = '{endpoint}'") == "t"
    deleted = owner.post(gateway.url + "/console/developers/delete-endpoint", data={"csrf_token": token, "id": endpoint})
    assert deleted.status_code == 200
