"""Separate `gateway webhook worker` processes (the server's own worker off): at-least-once
delivery while a worker is killed with SIGKILL again and again, and exactly-once delivery with
two workers sharing the database."""

from __future__ import annotations

import collections
import os
import random
import threading
import time
from pathlib import Path

from conftest import SUMMARY
from webhook_receiver import WebhookReceiver
from webhook_helpers import Worker, create_sessions, event_ids, register_endpoint, wait_until

NO_SERVER_WORKER = ["--webhook-allow-private", "--webhook-workers", "0"]


def check_requests(receiver: WebhookReceiver, expected: set) -> collections.Counter:
    """Every request signed and on the right path, duplicates identical; returns the id counts."""
    requests = receiver.requests
    strays = [r for r in requests if r.path != receiver.path]
    assert not strays, f"{len(strays)} requests on another path"
    unsigned = [r for r in requests if not r.verdict.valid]
    assert not unsigned, f"{len(unsigned)} requests without a valid signature: {unsigned[0].verdict.reason}"
    bodies = {}
    for request in requests:
        assert request.json()["id"] == request.webhook_id
        first = bodies.setdefault(request.webhook_id, request.body)
        assert request.body == first, f"{request.webhook_id} was sent twice with different bodies"
    counts = collections.Counter(r.webhook_id for r in requests)
    missing = expected - set(counts)
    assert not missing, f"{len(missing)} events never arrived, e.g. {sorted(missing)[:3]}"
    unknown = set(counts) - expected
    assert not unknown, f"received events that are not in the outbox: {sorted(unknown)[:3]}"
    return counts


def test_at_least_once_while_workers_are_killed(start_gateway, tmp_path: Path):
    sessions = 500
    gateway = start_gateway(*NO_SERVER_WORKER)
    seed = int(os.environ.get("WEBHOOK_KILL_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    log = tmp_path / "workers.log"
    with WebhookReceiver() as receiver:
        endpoint = register_endpoint(gateway, receiver.url)
        receiver.add_secret(endpoint["secret"])

        created: list = []
        failure: list = []
        finished = threading.Event()

        def create() -> None:
            try:
                created.extend(create_sessions(gateway, sessions, threads=6))
            except BaseException as error:  # reported below
                failure.append(error)
            finally:
                finished.set()

        started = time.monotonic()
        creator = threading.Thread(target=create)
        creator.start()
        worker = Worker(gateway, log)
        kills = 0
        while not (finished.is_set() and kills >= 10):
            time.sleep(rng.uniform(0.2, 1.5))
            worker.kill()
            kills += 1
            worker = Worker(gateway, log)
        creator.join()
        assert not failure, failure
        assert len(created) == sessions
        kill_phase = time.monotonic() - started
        received_during_kills = len(receiver.requests)

        expected = set(event_ids(gateway))
        assert len(expected) == sessions
        wait_until(lambda: expected <= set(receiver.received_ids()), 120,
                   f"all {sessions} events delivered by the last worker (seed {seed})", interval=0.5)
        drained = time.monotonic() - started
        time.sleep(1)
        assert worker.stop() == 0, log.read_text()[-3000:]
        counts = check_requests(receiver, expected)

    duplicates = sum(c - 1 for c in counts.values())
    SUMMARY.append(
        f"SIGKILL test (seed {seed}): {sessions} events, {kills} kills in {kill_phase:.1f}s, "
        f"{received_during_kills} requests received meanwhile; all delivered after {drained:.1f}s; "
        f"{sum(counts.values())} requests, {duplicates} duplicates ({sum(1 for c in counts.values() if c > 1)} events "
        f"twice or more), 0 invalid signatures")


def test_two_workers_deliver_each_event_once(start_gateway, tmp_path: Path):
    sessions = 200
    gateway = start_gateway(*NO_SERVER_WORKER)
    with WebhookReceiver() as receiver:
        endpoint = register_endpoint(gateway, receiver.url)
        receiver.add_secret(endpoint["secret"])
        workers = [Worker(gateway, tmp_path / f"worker{n}.log") for n in (1, 2)]
        try:
            started = time.monotonic()
            created = create_sessions(gateway, sessions, threads=8)
            assert len(created) == sessions
            expected = set(event_ids(gateway))
            assert len(expected) == sessions
            wait_until(lambda: expected <= set(receiver.received_ids()), 60, "all events delivered", interval=0.25)
            elapsed = time.monotonic() - started
            time.sleep(2)  # a late duplicate would arrive now
        finally:
            codes = [worker.stop() for worker in workers]
        assert codes == [0, 0], [(tmp_path / f"worker{n}.log").read_text()[-2000:] for n in (1, 2)]
        counts = check_requests(receiver, expected)
    twice = {event: count for event, count in counts.items() if count > 1}
    assert not twice, f"{len(twice)} events delivered more than once, e.g. {list(twice.items())[:3]}"
    SUMMARY.append(f"two workers: {sessions} events, {sum(counts.values())} requests, each event exactly once, "
                   f"all delivered {elapsed:.1f}s after the first creation")
