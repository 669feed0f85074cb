"""Accounting exports against the running gateway: paid sessions (one with a formula for an order
id) and a refund, every export downloaded (each answer checked against openapi.json), re-read
with Python's csv module and checked against the database; `gateway export` writes the same
bytes; another merchant's key sees none of it."""

from __future__ import annotations

import csv
import datetime
import io
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway_server import psql
from openapi_check import Api, header
from test_openapi_conformance import SESSIONS, wait_until

EVIL = '=HYPERLINK("http://evil.example","pay")'
ZONE = "Asia/Kolkata"
USDC = Decimal(10) ** 6


def paid_session(api: Api, gateway, amount: str, order_id: str) -> dict:
    session = api.ok("POST", SESSIONS, {"amount": amount, "currency": "USDC", "metadata": {"order_id": order_id}}, expect=201)
    option = session["payment_options"][0]
    gateway.pay(option, int(option["amount_due_base_units"]))
    return session


def rows(answer) -> list:
    text = answer.body.decode("utf-8")
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


def units(text: str) -> int:
    value = Decimal(text) * USDC
    assert value == value.to_integral_value(), text
    return int(value)


def test_exports(api: Api, gateway, tmp_path: Path) -> None:
    db = gateway.database_url
    merchant = gateway.merchant["id"]
    psql(db, f"UPDATE merchants SET time_zone = '{ZONE}' WHERE id = '{merchant}'")
    evil = paid_session(api, gateway, "3.10", EVIL)
    plain = paid_session(api, gateway, "4.20", "A-1001")
    for session in (evil, plain):
        wait_until(lambda: api.ok("GET", f"{SESSIONS}/{session['id']}")["status"] == "completed", "the session to complete")
    refund = api.ok("POST", "/v1/refunds", {"payment_session": plain["id"], "amount": "1.00", "destination": "payer"},
                    expect=201, headers={"Idempotency-Key": f"export-refund-{time.time_ns()}"})
    wait_until(lambda: api.ok("GET", f"/v1/refunds/{refund['id']}")["status"] == "succeeded", "the refund to succeed", timeout=90)

    # Yesterday to tomorrow in the merchant's zone: everything this package paid, and the window
    # the database is asked about.
    today = datetime.datetime.now(ZoneInfo(ZONE)).date()
    first, last = today - datetime.timedelta(days=1), today + datetime.timedelta(days=1)
    start = datetime.datetime.combine(first, datetime.time(), ZoneInfo(ZONE)).isoformat()
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), ZoneInfo(ZONE)).isoformat()
    span = f"from={first}&to={last}"
    scope = f"s.merchant_id = '{merchant}' AND s.livemode = false"
    mined = f"coalesce(t.block_timestamp, t.seen_at) >= '{start}' AND coalesce(t.block_timestamp, t.seen_at) < '{end}'"
    payments_sql = (f"FROM session_payments p JOIN payment_sessions s ON s.id = p.session_id "
                    f"JOIN chain_transfers t ON t.id = p.transfer_id WHERE {scope} AND {mined}")

    # payments.csv: one row per payment, amounts and the formula as the database has them.
    answer = api.call("GET", f"/v1/exports/payments.csv?{span}", expect=200)
    assert header(answer, "Content-Type") == "text/csv; charset=utf-8"
    assert header(answer, "Content-Disposition") == f'attachment; filename="payments_{first}_{last}.csv"'
    payments = rows(answer)
    assert payments[0][:9] == ["date", "time", "timestamp_utc", "session_id", "order_id", "description", "network", "token", "amount"]
    body = [dict(zip(payments[0], row)) for row in payments[1:]]
    count, total = psql(db, f"SELECT count(*), coalesce(sum(t.amount), 0) {payments_sql} AND t.state <> 'removed'").split("|")
    assert len(body) == int(count) and int(header(answer, "X-Export-Rows")) == int(count)
    assert sum(units(row["amount"]) for row in body) == int(total)
    by_session = {row["session_id"]: row for row in body}
    assert by_session[evil["id"]]["order_id"] == "'" + EVIL
    assert by_session[plain["id"]]["order_id"] == "A-1001"
    assert units(by_session[evil["id"]]["amount"]) == int(evil["payment_options"][0]["amount_due_base_units"])
    assert all(row["date"] in (str(first), str(today), str(last)) for row in body)
    assert all(not row[name].startswith(("=", "+", "-", "@")) for row in body for name in ("order_id", "description"))

    # ledger.csv: confirmed payments in, succeeded refunds out, the balance adding up.
    answer = api.call("GET", f"/v1/exports/ledger.csv?{span}", expect=200)
    ledger = [dict(zip(rows(answer)[0], row)) for row in rows(answer)[1:]]
    confirmed, paid = psql(db, f"SELECT count(*), coalesce(sum(t.amount), 0) {payments_sql} AND t.state = 'confirmed'").split("|")
    refunded, sent = psql(db, f"SELECT count(*), coalesce(sum(amount), 0) FROM refunds WHERE merchant_id = '{merchant}' "
                              f"AND livemode = false AND status = 'succeeded' AND succeeded_at >= '{start}' "
                              f"AND succeeded_at < '{end}'").split("|")
    assert int(refunded) >= 1
    assert [r["type"] for r in ledger].count("payment") == int(confirmed) and [r["type"] for r in ledger].count("refund") == int(refunded)
    assert sum(units(r["amount"]) for r in ledger if r["type"] == "payment") == int(paid)
    assert sum(units(r["amount"]) for r in ledger if r["type"] == "refund") == -int(sent)
    ours = [r for r in ledger if r["refund_id"] == refund["id"]]
    assert len(ours) == 1 and ours[0]["amount"] == "-1.00" and ours[0]["order_id"] == "A-1001"
    accounts = sorted({(r["network"], r["token"]) for r in ledger})
    for network, token in accounts:
        entries = [r for r in ledger if (r["network"], r["token"]) == (network, token)]
        assert units(entries[-1]["balance"]) == sum(units(r["amount"]) for r in entries)  # nothing before yesterday
    assert ("devnet", "USDC") in accounts

    # Bank files of devnet USDC: one part each, the ledger's entries with signed amounts.
    devnet = [r for r in ledger if (r["network"], r["token"]) == ("devnet", "USDC")]
    for kind, columns, amount in (("quickbooks", ["Date", "Description", "Amount"], 2),
                                  ("xero", ["Date", "Amount", "Payee", "Description", "Reference"], 1)):
        answer = api.call("GET", f"/v1/exports/{kind}.csv?{span}&network=devnet&token=USDC", expect=200)
        assert (header(answer, "X-Export-Parts"), header(answer, "X-Export-Part")) == ("1", "1")
        assert header(answer, "Content-Disposition") == f'attachment; filename="{kind}_devnet_USDC_{first}_{last}_part1.csv"'
        table = rows(answer)
        assert table[0] == columns and len(table) - 1 == len(devnet)
        assert sum(units(row[amount]) for row in table[1:]) == sum(units(r["amount"]) for r in devnet)
        api.error("GET", f"/v1/exports/{kind}.csv?{span}&network=devnet&token=USDC&part=2", expect=404, type="invalid_request_error",
                  param="part")
        api.error("GET", f"/v1/exports/{kind}.csv?{span}&token=USDC", expect=400, type="invalid_request_error", param="network")
    xero = rows(api.call("GET", f"/v1/exports/xero.csv?{span}&network=devnet&token=USDC", expect=200))
    assert "'" + EVIL in [row[4] for row in xero]
    empty = api.call("GET", f"/v1/exports/xero.csv?{span}&network=nowhere&token=USDC", expect=200)
    assert rows(empty) == [["Date", "Amount", "Payee", "Description", "Reference"]] and header(empty, "X-Export-Parts") == "1"

    # `gateway export` writes the files the API serves.
    out = tmp_path / "exports"
    for kind in ("payments", "ledger", "quickbooks", "xero"):
        printed = gateway.run_cli("export", "--merchant", merchant, "--kind", kind, "--from", str(first), "--to", str(last),
                                  "--out", str(out), "--mode", "test")
        query = span + ("&network=devnet&token=USDC" if kind in ("quickbooks", "xero") else "")
        name = f"{kind}_devnet_USDC_{first}_{last}_part1.csv" if kind in ("quickbooks", "xero") else f"{kind}_{first}_{last}.csv"
        assert name in printed
        assert (out / name).read_bytes() == api.call("GET", f"/v1/exports/{kind}.csv?{query}", expect=200).body
    failed = subprocess.run([gateway.binary, "export", "--merchant", merchant, "--kind", "ledger", "--from", "2026-02-30", "--to",
                             str(last), "--out", str(out)], env=gateway.env, capture_output=True, text=True)
    assert failed.returncode != 0 and "from" in failed.stderr

    # Refusals, and another merchant's key.
    api.error("GET", f"/v1/exports/payments.csv?from={last}&to={first}", expect=400, type="invalid_request_error", param="to")
    api.error("GET", f"/v1/exports/ledger.csv?from=2026-1-1&to={last}", expect=400, type="invalid_request_error", param="from")
    api.error("GET", f"/v1/exports/ledger.csv?to={last}", expect=400, type="invalid_request_error", param="from")
    writer = api.ok("POST", "/v1/api_keys", {"scopes": ["write"], "description": "No read scope"}, expect=201)["secret"]
    api.error("GET", f"/v1/exports/payments.csv?{span}", expect=403, type="permission_error", key=writer)
    other = gateway.run_cli("merchant", "create", "--name", "Other Shop", "--receive-address",
                            "devnet:0x00000000000000000000000000000000000d0D02")
    key = gateway.run_cli("api-key", "create", "--merchant", other["id"], "--mode", "test", "--scopes", "read")["secret"]
    for kind in ("payments", "ledger"):
        assert len(rows(api.call("GET", f"/v1/exports/{kind}.csv?{span}", expect=200, key=key))) == 1
    psql(db, f"UPDATE merchants SET time_zone = 'Mars/Olympus_Mons' WHERE id = '{other['id']}'")
    api.error("GET", f"/v1/exports/payments.csv?{span}", expect=422, type="invalid_request_error", code="time_zone_invalid", key=key)
