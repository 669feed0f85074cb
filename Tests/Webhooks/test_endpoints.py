"""Endpoints: event filters, deletion, another merchant's endpoints, and the `gateway webhook`
commands for endpoints and deliveries."""

from __future__ import annotations

import time

from webhook_receiver import WebhookReceiver
from webhook_helpers import (cli_lines, delete_endpoint, endpoint_deliveries, register_endpoint,
                             wait_for_delivery, wait_for_object)


def test_event_filter_and_deletion(gateway, receiver, endpoint):
    with WebhookReceiver() as completed_only, WebhookReceiver() as removed:
        filtered = register_endpoint(gateway, completed_only.url, events=["payment.completed"],
                                     description="completed only")
        assert filtered["events"] == ["payment.completed"] and filtered["description"] == "completed only"
        gone = register_endpoint(gateway, removed.url)
        answer = gateway.request("DELETE", f"/v1/webhook_endpoints/{gone['id']}")
        assert answer.status == 200, answer.body
        assert answer.json() == {"id": gone["id"], "object": "webhook_endpoint", "deleted": True}
        assert gateway.request("GET", f"/v1/webhook_endpoints/{gone['id']}").status == 404
        try:
            session = gateway.create_session()
            wait_for_object(receiver, session["id"])
            time.sleep(2)
            assert completed_only.requests == [], "a payment.created event reached a payment.completed endpoint"
            assert removed.requests == [], "a deleted endpoint received a delivery"
            assert endpoint_deliveries(gateway, filtered["id"]) == []
        finally:
            delete_endpoint(gateway, filtered["id"])


def test_unknown_event_type_and_bad_requests_refused(gateway, receiver):
    for body in ({"url": receiver.url, "events": ["payment.nonsense"]},
                 {"url": receiver.url, "events": []},
                 {"events": ["*"]},
                 {"url": receiver.url, "events": ["*"], "surprise": 1}):
        answer = gateway.request("POST", "/v1/webhook_endpoints", body)
        assert answer.status == 400, (body, answer.status, answer.body)
        assert "error" in answer.json()


def test_other_merchants_endpoints_are_invisible(gateway, receiver, endpoint):
    other = gateway.run_cli("merchant", "create", "--name", "Other Shop", "--receive-address",
                            "devnet:0x00000000000000000000000000000000000d0D02")
    # With every scope: the endpoint is hidden because it is another merchant's, not for want of a scope.
    key = gateway.run_cli("api-key", "create", "--merchant", other["id"], "--mode", "test",
                          "--scopes", "read,write,admin")["secret"]
    auth = {"Authorization": f"Bearer {key}"}
    # gateway.request adds the default key; a header of the same name replaces it.
    for method, path in (("GET", f"/v1/webhook_endpoints/{endpoint['id']}"),
                         ("GET", f"/v1/webhook_endpoints/{endpoint['id']}/deliveries"),
                         ("POST", f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret"),
                         ("DELETE", f"/v1/webhook_endpoints/{endpoint['id']}")):
        answer = gateway.request(method, path, {} if method == "POST" else None, auth=False, headers=auth)
        assert answer.status == 404, (method, path, answer.status, answer.body)
    listed = gateway.request("GET", "/v1/webhook_endpoints", auth=False, headers=auth).json()
    listed = listed["data"] if isinstance(listed, dict) else listed
    assert endpoint["id"] not in [e["id"] for e in listed]


def test_read_key_cannot_write(gateway, receiver):
    key = gateway.run_cli("api-key", "create", "--merchant", gateway.merchant["id"], "--mode", "test",
                          "--scopes", "read")["secret"]
    auth = {"Authorization": f"Bearer {key}"}
    answer = gateway.request("POST", "/v1/webhook_endpoints", {"url": receiver.url, "events": ["*"]},
                             auth=False, headers=auth)
    assert answer.status == 403, (answer.status, answer.body)
    assert gateway.request("GET", "/v1/webhook_endpoints", auth=False, headers=auth).status == 200


def test_cli_endpoint_deliveries_and_redeliver(gateway, receiver):
    created = gateway.run_cli("webhook", "endpoint-create", "--merchant", gateway.merchant["id"], "--mode", "test",
                              "--url", receiver.url, "--events", "payment.created,payment.completed",
                              "--allow-private")
    assert created["id"].startswith("we_") and created["secret"].startswith("whsec_")
    assert created["events"] == ["payment.created", "payment.completed"]
    receiver.add_secret(created["secret"])
    try:
        session = gateway.create_session()
        first = wait_for_object(receiver, session["id"])[0]
        assert first.verdict.valid
        event_id = first.webhook_id
        wait_for_delivery(gateway, created["id"], lambda d: d["status"] == "succeeded")

        by_event = [d for d in cli_lines(gateway, "webhook", "deliveries", "--event", event_id)
                    if d["endpoint"] == created["id"]]
        assert len(by_event) == 1 and by_event[0]["status"] == "succeeded" and by_event[0]["attempts"] == 1
        by_endpoint = cli_lines(gateway, "webhook", "deliveries", "--endpoint", created["id"])
        assert event_id in [d["event"] for d in by_endpoint]

        new = cli_lines(gateway, "webhook", "redeliver", "--event", event_id, "--endpoint", created["id"])
        assert [(d["event"], d["endpoint"]) for d in new] == [(event_id, created["id"])]
        again = wait_for_object(receiver, session["id"], count=2)[1]
        assert again.webhook_id == event_id and again.body == first.body and again.verdict.valid
    finally:
        delete_endpoint(gateway, created["id"])
