"""The database goes away under a running `gateway serve`: requests get a fast 503 with
Retry-After, a payment made meanwhile completes once the database is back, and SIGTERM stops
the process within its grace period even while the database is away.

Runs its own PostgreSQL cluster (Scripts/dev-postgres with DEV_PG_NAME), so stopping it does
not disturb the other tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Tuple

from conftest import SUMMARY
from gateway_server import GatewayServer, free_port

REPO = Path(__file__).resolve().parents[2]
GRACE_SECONDS = 10  # GatewayConfiguration.shutdownGracePeriod
# A database call that never answers (its connection died at the wrong moment) is abandoned
# after this long and retried; the default is 60 s.
DEADLINE_ARGS = ["--database-deadline", "10"]


def cluster(command: str, env: dict) -> str:
    return subprocess.run([str(REPO / "Scripts/dev-postgres"), command], env=env, check=True, capture_output=True, text=True).stdout.strip()


@contextmanager
def gateway_on_own_cluster(tmp_path: Path) -> Iterator[Tuple[GatewayServer, dict]]:
    """A gateway on a PostgreSQL cluster of its own (stopping it disturbs no other test), and the
    environment that starts and stops that cluster."""
    env = dict(os.environ, DEV_PG_NAME="outage", DEV_PG_PORT=str(free_port()))
    cluster("start", env)
    saved = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = cluster("url", env)
    try:
        gateway = GatewayServer(tmp_path, block_time="1", extra_args=DEADLINE_ARGS)
    finally:
        os.environ["DATABASE_URL"] = saved
    try:
        yield gateway, env
    finally:
        if gateway.process.poll() is None:
            gateway.kill()
        gateway.log.close()
        gateway.chain.stop()
        try:
            cluster("stop", env)
        except subprocess.CalledProcessError:
            pass


def wait_or_show_log(gateway: GatewayServer, session_id: str) -> dict:
    """The session once completed; on failure the gateway's log, without the pool's retries."""
    try:
        return gateway.wait_for_status(session_id, "completed", timeout=90)
    except AssertionError as error:
        lines = [line for line in gateway.log_path.read_text().splitlines() if "Connection creation failed" not in line]
        raise AssertionError(f"{error}\n" + "\n".join(lines[-60:])) from None


def test_database_stopped_as_the_gateway_starts(tmp_path: Path) -> None:
    """The database goes away while every service makes its first calls: calls caught on a dying
    connection may never answer, and are abandoned at their deadline; the payment made after the
    restart completes."""
    with gateway_on_own_cluster(tmp_path) as (gateway, env):
        cluster("stop", env)
        time.sleep(5)
        cluster("start", env)
        deadline = time.monotonic() + 30
        while gateway.request("GET", "/readyz", auth=False).status != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        session = gateway.create_session()
        option = session["payment_options"][0]
        gateway.pay(option, int(option["amount_due_base_units"]))
        done = wait_or_show_log(gateway, session["id"])
        assert done["amount_received"] == done["amount_due"]


def test_outage_fails_fast_recovers_and_stops_in_time(tmp_path: Path) -> None:
    with gateway_on_own_cluster(tmp_path) as (gateway, env):
        session = gateway.create_session()
        cluster("stop", env)
        time.sleep(4)  # the probe notices within its interval and timeout (1 s + 2 s)
        latencies = []
        for _ in range(5):
            started = time.monotonic()
            answer = gateway.request("POST", "/v1/payment_sessions", {"amount": "3.00", "currency": "USDC"})
            latencies.append(time.monotonic() - started)
            assert answer.status == 503, (answer.status, answer.body)
            assert answer.headers.get("Retry-After") == "5"
            assert answer.json()["error"]["code"] == "service_unavailable"
        assert max(latencies) < 1.0, latencies
        # The customer pays while the database is away; the monitor catches up afterwards.
        option = session["payment_options"][0]
        gateway.pay(option, int(option["amount_due_base_units"]))
        time.sleep(2)
        cluster("start", env)
        done = wait_or_show_log(gateway, session["id"])
        assert done["amount_received"] == done["amount_due"]
        assert gateway.request("GET", f"/v1/payment_sessions/{session['id']}").status == 200

        # SIGTERM while the database is away again.
        cluster("stop", env)
        time.sleep(2)
        started = time.monotonic()
        gateway.process.send_signal(signal.SIGTERM)
        code = gateway.process.wait(timeout=GRACE_SECONDS + 10)
        stopped_after = time.monotonic() - started
        assert stopped_after < GRACE_SECONDS + 2, stopped_after
        SUMMARY.append(
            f"database outage: 503 in at most {max(latencies) * 1000:.0f} ms while away, the payment made meanwhile completed "
            f"after the restart, SIGTERM with the database away stopped gateway serve in {stopped_after:.1f} s (exit {code})")
