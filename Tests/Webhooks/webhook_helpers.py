"""Helpers for the webhook tests: endpoints and deliveries through the API, the outbox in
Postgres, `gateway webhook` subprocesses, and concurrent session creation."""

from __future__ import annotations

import datetime
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, List, Optional

from gateway_server import GatewayServer, psql
from devchain_helpers import stop_process


def items(answer: Any) -> List[dict]:
    """The objects of a list answer (`{"object":"list","data":[…]}` or a bare array)."""
    if isinstance(answer, dict) and "data" in answer:
        return answer["data"]
    assert isinstance(answer, list), answer
    return answer


def epoch(value: Any) -> float:
    """Seconds since 1970 of an RFC 3339 time (or a number already)."""
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def register_endpoint(gateway: GatewayServer, url: str, events: Optional[list] = None, **fields: Any) -> dict:
    body = {"url": url, "events": events or ["*"], **fields}
    answer = gateway.request("POST", "/v1/webhook_endpoints", body)
    assert answer.status == 201, (answer.status, answer.body)
    return answer.json()


def delete_endpoint(gateway: GatewayServer, endpoint_id: str) -> None:
    answer = gateway.request("DELETE", f"/v1/webhook_endpoints/{endpoint_id}")
    assert answer.status in (200, 404), (answer.status, answer.body)


def endpoint_deliveries(gateway: GatewayServer, endpoint_id: str) -> List[dict]:
    answer = gateway.request("GET", f"/v1/webhook_endpoints/{endpoint_id}/deliveries")
    assert answer.status == 200, (answer.status, answer.body)
    return items(answer.json())


def event_deliveries(gateway: GatewayServer, event_id: str) -> List[dict]:
    answer = gateway.request("GET", f"/v1/events/{event_id}/deliveries")
    assert answer.status == 200, (answer.status, answer.body)
    return items(answer.json())


def wait_until(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.2) -> Any:
    """Calls `check` until it returns something true; returns that."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_for_delivery(gateway: GatewayServer, endpoint_id: str, predicate: Callable[[dict], bool],
                      timeout: float = 20, what: str = "a delivery") -> dict:
    def check() -> Optional[dict]:
        return next((d for d in endpoint_deliveries(gateway, endpoint_id) if predicate(d)), None)

    try:
        return wait_until(check, timeout, what)
    except AssertionError as error:
        raise AssertionError(f"{error}; deliveries: {endpoint_deliveries(gateway, endpoint_id)}") from None


def event_ids(gateway: GatewayServer, event_type: str = "payment.created") -> List[str]:
    out = psql(gateway.database_url, f"SELECT event_id FROM outbox_events WHERE type = '{event_type}' ORDER BY id")
    return [line for line in out.splitlines() if line]


def event_id_for_session(gateway: GatewayServer, session_id: str, event_type: str = "payment.created") -> str:
    return psql(gateway.database_url,
                f"SELECT event_id FROM outbox_events WHERE type = '{event_type}' "
                f"AND payload->'object'->>'id' = '{session_id}'")


def create_sessions(gateway: GatewayServer, count: int, threads: int = 8) -> List[str]:
    """Creates `count` sessions through the API from `threads` threads at once (different prices,
    so that no price runs out of unique amounts due)."""
    def one(n: int) -> str:
        return gateway.create_session(amount=f"{1 + n % 97}.{n % 89:02d}")["id"]

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def verify_cli(gateway: GatewayServer, work: Path, secret: str, timestamp: Any, signature: str, body: bytes,
               *extra: str) -> subprocess.CompletedProcess:
    """Runs `gateway webhook verify` on the given delivery; the secret file ends with a newline."""
    work.mkdir(parents=True, exist_ok=True)
    secret_file = work / "secret"
    body_file = work / "body"
    secret_file.write_text(secret + "\n")
    body_file.write_bytes(body)
    return subprocess.run(
        [gateway.binary, "webhook", "verify", "--secret-file", str(secret_file), "--timestamp", str(timestamp),
         "--signature", signature, "--body-file", str(body_file), *extra],
        env=gateway.env, capture_output=True, text=True, timeout=60,
    )


class Worker:
    """A `gateway webhook worker` process on the gateway's database."""

    def __init__(self, gateway: GatewayServer, log_path: Path, *args: str) -> None:
        self.log = open(log_path, "a")
        self.process = subprocess.Popen(
            [gateway.binary, "webhook", "worker", "--webhook-allow-private", *args],
            env=gateway.env, stdout=self.log, stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self) -> int:
        code = stop_process(self.process)
        self.log.close()
        return code


def json_lines(text: str) -> List[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def object_id(request) -> Optional[str]:
    """The `data.object.id` of a received delivery, or None for anything else."""
    try:
        return request.json()["data"]["object"]["id"]
    except (ValueError, KeyError, TypeError):
        return None


def wait_for_object(receiver, wanted: str, count: int = 1, timeout: float = 20, answered: bool = True) -> list:
    """The requests about object `wanted`, once `count` of them have arrived (and, with
    `answered`, been answered)."""
    def enough(requests) -> bool:
        return sum(1 for r in requests if object_id(r) == wanted) >= count

    receiver.wait_for(enough, timeout)
    if not answered:
        return [r for r in receiver.requests if object_id(r) == wanted]
    # The answer is written after the request is recorded: wait for it too.
    deadline = time.monotonic() + timeout
    while True:
        mine = [r for r in receiver.requests if object_id(r) == wanted]
        if all(r.status for r in mine[:count]) or time.monotonic() > deadline:
            return mine
        time.sleep(0.05)


def cli_lines(gateway: GatewayServer, *args: str) -> List[dict]:
    """Runs `gateway ARGS…` and reads its output as JSON lines."""
    out = subprocess.run([gateway.binary, *args], env=gateway.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, (args, out.returncode, out.stderr)
    return json_lines(out.stdout)
