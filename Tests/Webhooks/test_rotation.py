"""Secret rotation: both secrets sign during the overlap; without an overlap only the new one."""

from __future__ import annotations

from pathlib import Path

from webhook_receiver import parse_signatures, verify
from webhook_helpers import verify_cli, wait_for_object


def rotate(gateway, endpoint_id: str, **body) -> dict:
    answer = gateway.request("POST", f"/v1/webhook_endpoints/{endpoint_id}/rotate_secret", body)
    assert answer.status == 200, (answer.status, answer.body)
    rotated = answer.json()
    assert rotated["id"] == endpoint_id and rotated["object"] == "webhook_endpoint"
    return rotated


def test_rotation_signs_with_both_secrets(gateway, receiver, endpoint, tmp_path: Path):
    old = endpoint["secret"]
    new = rotate(gateway, endpoint["id"])["secret"]
    assert new.startswith("whsec_") and new != old
    receiver.add_secret(new)

    session = gateway.create_session()
    request = wait_for_object(receiver, session["id"])[0]
    values = parse_signatures(request.signature)
    assert len(values) == 2, request.signature
    assert request.signature.count("v1=") == 2
    for secret in (old, new):
        matching = [v for v in values if verify([secret], request.timestamp, request.body, f"v1={v}").valid]
        assert len(matching) == 1, f"exactly one signature should match each secret: {request.signature}"
    assert values[0] != values[1]

    for name, secret in (("old", old), ("new", new)):
        result = verify_cli(gateway, tmp_path / name, secret, request.timestamp, request.signature, request.body)
        assert result.returncode == 0, (name, result.stderr)
    stranger = verify_cli(gateway, tmp_path / "stranger", "whsec_someone_else", request.timestamp,
                          request.signature, request.body)
    assert stranger.returncode == 1, stranger.stderr


def test_rotation_without_overlap_drops_the_old_secret(gateway, receiver, endpoint, tmp_path: Path):
    old = endpoint["secret"]
    new = rotate(gateway, endpoint["id"], overlap_seconds=0)["secret"]
    receiver.add_secret(new)
    session = gateway.create_session()
    request = wait_for_object(receiver, session["id"])[0]
    assert len(parse_signatures(request.signature)) == 1, request.signature
    assert verify([new], request.timestamp, request.body, request.signature).valid
    assert not verify([old], request.timestamp, request.body, request.signature).signature_ok
    result = verify_cli(gateway, tmp_path / "old", old, request.timestamp, request.signature, request.body)
    assert result.returncode == 1, result.stderr
