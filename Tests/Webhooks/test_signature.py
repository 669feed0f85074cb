"""A delivery's headers, body and signature, checked by the receiver and by
`gateway webhook verify`; endpoint registration answers."""

from __future__ import annotations

import json
import time
from pathlib import Path

from webhook_receiver import parse_signatures, signature_header
from webhook_helpers import event_id_for_session, object_id, verify_cli, wait_for_object


def test_endpoint_registration_answer(gateway, receiver, endpoint):
    assert endpoint["id"].startswith("we_")
    assert endpoint["object"] == "webhook_endpoint"
    assert endpoint["livemode"] is False
    assert endpoint["url"] == receiver.url
    assert endpoint["events"] == ["*"]
    assert endpoint["status"] == "enabled"
    assert endpoint["description"] is None
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > len("whsec_") + 16

    fetched = gateway.request("GET", f"/v1/webhook_endpoints/{endpoint['id']}")
    assert fetched.status == 200, fetched.body
    one = fetched.json()
    assert one["id"] == endpoint["id"] and one["url"] == receiver.url
    assert not one.get("secret"), "the secret is shown only when created or rotated"
    listed = gateway.request("GET", "/v1/webhook_endpoints")
    assert listed.status == 200, listed.body
    data = listed.json()
    data = data["data"] if isinstance(data, dict) else data
    assert endpoint["id"] in [e["id"] for e in data]
    assert not any(e.get("secret") for e in data)


def test_signed_delivery_and_cli_verify(gateway, receiver, endpoint, tmp_path: Path):
    session = gateway.create_session()
    request = wait_for_object(receiver, session["id"])[0]
    payload = request.json()

    assert request.method == "POST"
    assert request.headers["content-type"].split(";")[0].strip() == "application/json"
    event_id = event_id_for_session(gateway, session["id"])
    assert event_id.startswith("evt_")
    assert request.webhook_id == event_id == payload["id"]
    assert payload["type"] == "payment.created"
    assert payload["livemode"] is False
    assert isinstance(payload["created_at"], str)
    assert payload["data"]["object"]["id"] == session["id"]
    assert payload["data"]["object"]["status"] == "pending"

    timestamp = int(request.timestamp)
    assert -2 <= request.arrived_at - timestamp <= 15, (request.arrived_at, timestamp)
    assert request.verdict.valid, request.verdict.reason
    assert len(parse_signatures(request.signature)) == 1

    secret = endpoint["secret"]
    body = request.body
    ok = verify_cli(gateway, tmp_path / "ok", secret, timestamp, request.signature, body)
    assert ok.returncode == 0, ok.stderr

    # One byte of the body changed.
    middle = len(body) // 2
    tampered = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1:]
    assert len(tampered) == len(body) and tampered != body
    changed = verify_cli(gateway, tmp_path / "changed", secret, timestamp, request.signature, tampered)
    assert changed.returncode == 1, (changed.returncode, changed.stderr)
    assert changed.stderr.strip()

    # Signed with another secret (and checked against the endpoint's).
    other_signature = signature_header(["whsec_not_the_endpoint_secret"], timestamp, body)
    forged = verify_cli(gateway, tmp_path / "forged", secret, timestamp, other_signature, body)
    assert forged.returncode == 1, (forged.returncode, forged.stderr)
    # The right signature checked against another secret.
    wrong_key = verify_cli(gateway, tmp_path / "wrong", "whsec_not_the_endpoint_secret", timestamp,
                           request.signature, body)
    assert wrong_key.returncode == 1, (wrong_key.returncode, wrong_key.stderr)

    # A replay: correctly signed, but more than 5 minutes old.
    old = int(time.time()) - 400
    replay = verify_cli(gateway, tmp_path / "replay", secret, old, signature_header([secret], old, body), body)
    assert replay.returncode == 1, (replay.returncode, replay.stderr)
    assert replay.stderr.strip()
    # The same, one minute old, is accepted: it is the age that was refused.
    recent = int(time.time()) - 60
    fresh = verify_cli(gateway, tmp_path / "recent", secret, recent, signature_header([secret], recent, body), body)
    assert fresh.returncode == 0, fresh.stderr
    # A wider tolerance accepts the old one.
    wide = verify_cli(gateway, tmp_path / "wide", secret, old, signature_header([secret], old, body), body,
                      "--tolerance", "600")
    assert wide.returncode == 0, wide.stderr
    # Garbage in the header.
    garbage = verify_cli(gateway, tmp_path / "garbage", secret, timestamp, "v1=nothex", body)
    assert garbage.returncode == 1, (garbage.returncode, garbage.stderr)


def test_every_delivery_is_signed_and_deduplicable(gateway, receiver, endpoint):
    sessions = [gateway.create_session(amount=f"{n}.00")["id"] for n in range(1, 6)]

    requests = receiver.wait_for(lambda rs: set(sessions) <= {object_id(r) for r in rs}, timeout=30)
    mine = [r for r in requests if object_id(r) in sessions]
    assert all(r.verdict.valid for r in mine), [r.verdict.reason for r in mine if not r.verdict.valid]
    ids = {r.webhook_id for r in mine}
    assert len(ids) == len(sessions)
    assert all(r.webhook_id == json.loads(r.body)["id"] for r in mine)
