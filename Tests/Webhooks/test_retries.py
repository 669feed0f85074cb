"""Failed deliveries: which answers are retried, the schedule (+10 s, then +60 s), Retry-After,
timeouts, failing at once on other 4xx, and redelivery on request."""

from __future__ import annotations

import time

import pytest

from conftest import DELIVERY_TIMEOUT
from webhook_receiver import WebhookReceiver
from webhook_helpers import (delete_endpoint, epoch, event_deliveries, items, register_endpoint,
                             wait_for_delivery, wait_for_object)


def first_attempt(gateway, endpoint, receiver, session_id, status_code=None):
    """The first request for the session's event, and its delivery once the answer is recorded."""
    request = wait_for_object(receiver, session_id)[0]
    delivery = wait_for_delivery(
        gateway, endpoint["id"],
        lambda d: d["event"] == request.webhook_id
        and (d["last_status_code"] == status_code if status_code else d["last_status_code"] or d["last_error"]),
        what=f"the first attempt of {request.webhook_id} recorded")
    return request, delivery


def test_server_errors_retried_on_schedule_then_redelivered(gateway, receiver, endpoint):
    receiver.respond(500, times=2)
    session = gateway.create_session()

    first, delivery = first_attempt(gateway, endpoint, receiver, session["id"], 500)
    event_id = first.webhook_id
    assert first.status == 500
    assert delivery["id"].startswith("wd_")
    assert delivery["object"] == "webhook_delivery"
    assert delivery["event_type"] == "payment.created"
    assert delivery["endpoint"] == endpoint["id"]
    assert (delivery["status"], delivery["attempts"], delivery["delivered_at"]) == ("pending", 1, None)
    wait = epoch(delivery["next_attempt_at"]) - first.arrived_at
    assert 8 <= wait <= 12, f"next attempt {wait:.1f}s after the first, expected about 10s"

    # The first retry, about 10 s later: the same event and body, signed afresh.
    second = wait_for_object(receiver, session["id"], count=2, timeout=20)[1]
    assert 8.5 <= second.arrived_at - first.arrived_at <= 14, second.arrived_at - first.arrived_at
    assert second.status == 500
    assert second.webhook_id == event_id and second.body == first.body
    assert second.verdict.valid, second.verdict.reason
    assert int(second.timestamp) >= int(first.timestamp) + 8, "a retry carries the time it was sent"
    delivery = wait_for_delivery(gateway, endpoint["id"], lambda d: d["id"] == delivery["id"] and d["attempts"] == 2,
                                 what="the second attempt recorded")
    assert delivery["status"] == "pending" and delivery["last_status_code"] == 500
    wait = epoch(delivery["next_attempt_at"]) - second.arrived_at
    assert 55 <= wait <= 65, f"next attempt {wait:.1f}s after the second, expected about 60s"
    assert [d["id"] for d in event_deliveries(gateway, event_id)] == [delivery["id"]]

    # Rather than wait a minute: redeliver now, which the receiver accepts.
    answer = gateway.request("POST", f"/v1/events/{event_id}/redeliver", {"endpoint": endpoint["id"]})
    assert answer.status == 202, (answer.status, answer.body)
    new = items(answer.json())
    assert len(new) == 1 and new[0]["event"] == event_id and new[0]["endpoint"] == endpoint["id"]
    assert new[0]["id"] != delivery["id"]
    third = wait_for_object(receiver, session["id"], count=3)[2]
    assert third.status == 200 and third.webhook_id == event_id and third.body == first.body
    assert third.verdict.valid
    done = wait_for_delivery(gateway, endpoint["id"], lambda d: d["id"] == new[0]["id"] and d["status"] != "pending",
                             what="the redelivery finished")
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("succeeded", 1, 200)
    assert done["delivered_at"] is not None and done["next_attempt_at"] is None
    both = {d["id"]: d for d in event_deliveries(gateway, event_id)}
    assert set(both) == {delivery["id"], new[0]["id"]}
    assert both[delivery["id"]]["status"] == "pending", "the first delivery keeps its own schedule"


def test_retry_after_is_honoured(gateway, receiver, endpoint):
    receiver.respond(429, headers={"Retry-After": "30"})
    session = gateway.create_session()
    request, delivery = first_attempt(gateway, endpoint, receiver, session["id"], 429)
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
    wait = epoch(delivery["next_attempt_at"]) - request.arrived_at
    assert 28 <= wait <= 34, f"next attempt {wait:.1f}s later, Retry-After said 30"


@pytest.mark.parametrize("code,retried", [(408, True), (503, True), (400, False), (404, False), (410, False)])
def test_which_answers_are_retried(gateway, receiver, endpoint, code, retried):
    receiver.respond(code)
    session = gateway.create_session()
    request, delivery = first_attempt(gateway, endpoint, receiver, session["id"], code)
    assert request.status == code
    assert delivery["attempts"] == 1
    if retried:
        assert delivery["status"] == "pending" and delivery["next_attempt_at"] is not None
    else:
        assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
    assert delivery["delivered_at"] is None


def test_timeout_is_retried(gateway, receiver, endpoint):
    receiver.hang(DELIVERY_TIMEOUT + 3)
    session = gateway.create_session()
    first = wait_for_object(receiver, session["id"], answered=False)[0]
    delivery = wait_for_delivery(gateway, endpoint["id"],
                                 lambda d: d["event"] == first.webhook_id and d["last_error"],
                                 timeout=DELIVERY_TIMEOUT + 10, what="the timed-out attempt recorded")
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
    assert delivery["last_status_code"] is None
    assert time.time() - first.arrived_at < DELIVERY_TIMEOUT + 3, "recorded before the receiver answered"
    second = wait_for_object(receiver, session["id"], count=2, timeout=25)[1]
    assert 9 <= second.arrived_at - first.arrived_at <= DELIVERY_TIMEOUT + 14
    assert second.status == 200
    done = wait_for_delivery(gateway, endpoint["id"],
                             lambda d: d["id"] == delivery["id"] and d["status"] == "succeeded",
                             what="the retry recorded")
    assert done["attempts"] == 2 and done["last_status_code"] == 200 and done["delivered_at"]


def test_unreachable_endpoint_is_retried(gateway):
    closed = WebhookReceiver()
    url = closed.url
    closed.stop()  # nothing listens on that port now
    endpoint = register_endpoint(gateway, url)
    try:
        gateway.create_session()
        delivery = wait_for_delivery(gateway, endpoint["id"], lambda d: d["last_error"],
                                     what="an attempt on a closed port")
        assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
        assert delivery["last_status_code"] is None and delivery["next_attempt_at"]
    finally:
        delete_endpoint(gateway, endpoint["id"])
