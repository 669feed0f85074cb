"""The test receiver itself: its signature check, its scripted answers and its log, with
requests signed here (no gateway needed)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webhook_receiver import WebhookReceiver, parse_signatures, sign, signature_header, verify

RECEIVER_SCRIPT = Path(__file__).resolve().parents[1] / "Support" / "webhook_receiver.py"
SECRET = "whsec_receiver_test_secret"
OTHER = "whsec_another_secret"


def post(url: str, body: bytes, headers: dict, timeout: float = 10) -> http.client.HTTPResponse:
    host, _, rest = url.removeprefix("http://").partition("/")
    name, _, port = host.partition(":")
    connection = http.client.HTTPConnection(name, int(port), timeout=timeout)
    connection.request("POST", "/" + rest, body=body, headers={"Content-Type": "application/json", **headers})
    answer = connection.getresponse()
    answer.read()
    connection.close()
    return answer


def signed_headers(body: bytes, secrets=(SECRET,), timestamp=None, event_id="evt_0123456789abcdef") -> dict:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"X-Webhook-Id": event_id, "X-Webhook-Timestamp": str(ts),
            "X-Webhook-Signature": signature_header(list(secrets), ts, body)}


def test_known_answer():
    # HMAC-SHA256 of "1700000000.{}" under "whsec_test", computed independently with openssl:
    # printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_test
    expected = subprocess.run(["openssl", "dgst", "-sha256", "-hmac", "whsec_test"], input=b"1700000000.{}",
                              capture_output=True, check=True).stdout.decode().split()[-1]
    assert sign("whsec_test", 1700000000, b"{}") == expected


def test_verify_rules():
    body = b'{"id":"evt_1"}'
    now = 1_800_000_000
    good = signature_header([SECRET], now, body)
    assert verify([SECRET], str(now), body, good, now=now).valid
    # Any of several values, and any of several secrets.
    both = signature_header([OTHER, SECRET], now, body)
    verdict = verify([SECRET, OTHER], str(now), body, both, now=now)
    assert verdict.valid and sorted(verdict.matched) == sorted([SECRET, OTHER])
    assert verify([SECRET], str(now), body, f"v0=abc, {good}", now=now).valid
    # One byte of the body, another secret, an old or future timestamp, garbage.
    assert not verify([SECRET], str(now), body[:-1] + b"!", good, now=now)
    assert not verify([SECRET], str(now), body, signature_header([OTHER], now, body), now=now)
    stale = verify([SECRET], str(now - 301), body, signature_header([SECRET], now - 301, body), now=now)
    assert stale.signature_ok and not stale.fresh and not stale.valid
    assert not verify([SECRET], str(now + 301), body, signature_header([SECRET], now + 301, body), now=now)
    assert verify([SECRET], str(now - 299), body, signature_header([SECRET], now - 299, body), now=now)
    assert not verify([SECRET], None, body, good, now=now)
    assert not verify([SECRET], "12x", body, good, now=now)
    assert not verify([SECRET], str(now), body, "", now=now)
    assert not verify([SECRET], str(now), body, "v1=", now=now)
    assert not verify([SECRET], str(now), body, "v1=zz\u00e9", now=now)
    assert parse_signatures(" v1=aa ,v2=bb,v1=cc,junk") == ["aa", "cc"]


def test_records_and_checks_requests():
    with WebhookReceiver(secrets=[SECRET]) as receiver:
        body = json.dumps({"id": "evt_1", "type": "payment.created"}).encode()
        assert post(receiver.url, body, signed_headers(body)).status == 200
        forged = signed_headers(body, secrets=(OTHER,), event_id="evt_2")
        assert post(receiver.url, body, forged).status == 200
        assert post(receiver.base_url + "/elsewhere", body, signed_headers(body)).status == 404
        first, second, stray = receiver.wait_for_count(3)
        assert first.body == body and first.webhook_id == "evt_0123456789abcdef"
        assert first.verdict.valid and first.status == 200 and first.json()["id"] == "evt_1"
        assert abs(first.arrived_at - time.time()) < 5
        assert not second.verdict.valid and second.webhook_id == "evt_2"
        assert stray.path == "/elsewhere" and stray.status == 404


def test_scripted_answers():
    with WebhookReceiver(secrets=[SECRET]) as receiver:
        body = b"{}"
        receiver.respond(500, times=2)
        receiver.respond(429, headers={"Retry-After": "7"})
        receiver.redirect("http://127.0.0.1:9/elsewhere")
        statuses = []
        for _ in range(5):
            answer = post(receiver.url, body, signed_headers(body))
            statuses.append((answer.status, answer.getheader("Retry-After"), answer.getheader("Location")))
        assert statuses == [(500, None, None), (500, None, None), (429, "7", None),
                            (302, None, "http://127.0.0.1:9/elsewhere"), (200, None, None)]
        receiver.hang(2)
        start = time.monotonic()
        with pytest.raises(OSError):
            post(receiver.url, body, signed_headers(body), timeout=0.5)
        assert time.monotonic() - start < 1.5
        receiver.wait_for_count(6)
        assert post(receiver.url, body, signed_headers(body)).status == 200


def test_script_logs_and_reads_a_late_secret(tmp_path: Path):
    secret_file = tmp_path / "secret"
    log = tmp_path / "log.jsonl"
    port_file = tmp_path / "port"
    process = subprocess.Popen([sys.executable, str(RECEIVER_SCRIPT), "--port", "0", "--path", "/hook",
                                "--log", str(log), "--secret-file", str(secret_file), "--port-file", str(port_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists():
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port_file.read_text().strip()}/hook"
        body = b'{"id":"evt_a"}'
        post(url, body, signed_headers(body, event_id="evt_a"))  # before the secret exists
        secret_file.write_text(SECRET + "\n")
        post(url, body, signed_headers(body, event_id="evt_a"))
        post(url, body, signed_headers(body, secrets=(OTHER,), event_id="evt_b"))
    finally:
        process.terminate()
        _, err = process.communicate(timeout=20)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(line["id"], line["valid"], line["status"]) for line in lines] == [
        ("evt_a", False, 200), ("evt_a", True, 200), ("evt_b", False, 200)]
    assert lines[1]["body"] == body.decode() and lines[1]["t"] > 0
    assert "3 requests, 2 without a valid signature" in err
