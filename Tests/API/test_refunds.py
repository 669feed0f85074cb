"""Refunds against the running gateway, every answer checked against openapi.json: a refund
to the payer until it succeeds, the session's refunded amount and status, a refund the customer
gives the address for (the page and its form), cancel, approval, lists and refusals."""

from __future__ import annotations

import time
import urllib.parse

from openapi_check import Api, header
from test_openapi_conformance import SESSIONS, wait_until

REFUNDS = "/v1/refunds"


def paid_session(api: Api, gateway, amount: str) -> dict:
    session = api.ok("POST", SESSIONS, {"amount": amount, "currency": "USDC"}, expect=201)
    option = session["payment_options"][0]
    gateway.pay(option, int(option["amount_due_base_units"]))
    return wait_until(lambda: (lambda s: s if s["status"] == "completed" else None)(api.ok("GET", f"{SESSIONS}/{session['id']}")),
                      "the session to complete")


def test_refund_to_the_payer_until_it_succeeds(api: Api, gateway) -> None:
    session = paid_session(api, gateway, "6.00")
    assert session["amount_refunded"] == "0.00"
    refund = api.ok("POST", REFUNDS, {"payment_session": session["id"], "amount": "2.00", "destination": "payer",
                                      "reason": "requested_by_customer", "metadata": {"ticket": "T-9"}},
                    expect=201, headers={"Idempotency-Key": f"api-refund-{time.time_ns()}"})
    assert refund["object"] == "refund" and refund["id"].startswith("re_")
    assert refund["payment_session"] == session["id"]
    assert (refund["network"], refund["token"], refund["amount"], refund["amount_base_units"]) == ("devnet", "USDC", "2.00", "2000000")
    assert refund["destination"] == session["payments"][0]["from"] and refund["destination_source"] == "payer"
    assert refund["metadata"] == {"ticket": "T-9"} and refund["refund_url"] is None
    done = wait_until(lambda: (lambda r: r if r["status"] == "succeeded" else None)(api.ok("GET", f"{REFUNDS}/{refund['id']}")),
                      "the refund to succeed", timeout=90)
    assert done["status_reason"] == "final" and done["tx_hash"] and done["succeeded_at"]
    after = api.ok("GET", f"{SESSIONS}/{session['id']}")
    assert after["status"] == "partially_refunded" and after["amount_refunded"] == "2.00"
    listed = api.ok("GET", f"{REFUNDS}?payment_session={session['id']}&status=succeeded")
    assert [r["id"] for r in listed["data"]] == [refund["id"]] and listed["has_more"] is False
    assert api.ok("GET", f"{SESSIONS}?status=partially_refunded")["data"][0]["id"] == session["id"]


def test_customer_destination_cancel_and_refusals(api: Api, gateway) -> None:
    session = paid_session(api, gateway, "4.00")
    asked = api.ok("POST", REFUNDS, {"payment_session": session["id"], "amount": "1.00"}, expect=201)
    assert (asked["status"], asked["status_reason"], asked["destination"]) == ("requires_action", "awaiting_destination", None)
    page = api.call("GET", urllib.parse.urlsplit(asked["refund_url"]).path, auth=False, expect=200)
    assert "text/html" in header(page, "Content-Type")
    secret = page.body.decode().split('name="client_secret" value="')[1].split('"')[0]
    form = urllib.parse.urlencode({"client_secret": secret, "step": "review", "address": "0x12"}).encode()
    api.call("POST", f"/refund/{asked['id']}/destination", form, auth=False, expect=400)
    wrong = urllib.parse.urlencode({"client_secret": "rcs_wrong", "step": "confirm", "address": "0x" + "ab" * 20}).encode()
    api.call("POST", f"/refund/{asked['id']}/destination", wrong, auth=False, expect=404)
    api.call("GET", "/refund/re_unknown00000000000000", auth=False, expect=404)
    api.call("GET", "/refund/assets/refund.js", auth=False, expect=200)

    canceled = api.ok("POST", f"{REFUNDS}/{asked['id']}/cancel")
    assert canceled["status"] == "canceled" and canceled["status_reason"] == "canceled_by_merchant"
    api.error("POST", f"{REFUNDS}/{asked['id']}/cancel", expect=409, type="invalid_request_error", code="refund_not_cancelable")
    api.error("POST", f"{REFUNDS}/{asked['id']}/approve", expect=409, type="invalid_request_error",
              code="refund_not_awaiting_approval")
    api.error("POST", REFUNDS, {"payment_session": session["id"], "amount": "99.00", "destination": "payer"}, expect=422,
              type="invalid_request_error", param="amount", code="amount_exceeds_refundable")
    api.error("POST", REFUNDS, {"payment_session": session["id"], "destination": "0xnope"}, expect=400,
              type="invalid_request_error", param="destination", code="destination_invalid")
    api.error("POST", REFUNDS, {"payment_session": "ps_missing000000000000000"}, expect=404, type="invalid_request_error",
              param="payment_session")
    api.error("GET", f"{REFUNDS}?status=lost", expect=400, type="invalid_request_error", param="status")
    api.error("GET", f"{REFUNDS}/re_missing000000000000000", expect=404, type="invalid_request_error")
    page = api.ok("GET", f"{REFUNDS}?limit=1")
    assert len(page["data"]) == 1 and page["has_more"] is True
    older = api.ok("GET", f"{REFUNDS}?limit=1&starting_after={page['data'][0]['id']}")
    assert older["data"][0]["id"] != page["data"][0]["id"]
