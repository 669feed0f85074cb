"""Fixtures: a real gateway that may deliver to loopback receivers (`--webhook-allow-private`,
a short delivery timeout), a receiver per test, and an endpoint registered for it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))

from gateway_server import GatewayServer  # noqa: E402
from webhook_receiver import WebhookReceiver  # noqa: E402
from webhook_helpers import delete_endpoint, register_endpoint  # noqa: E402

# Seconds the gateway waits for an answer in these tests (the default is 10).
DELIVERY_TIMEOUT = 3
ALLOW_PRIVATE = ["--webhook-allow-private", "--webhook-timeout", str(DELIVERY_TIMEOUT)]

# Lines for the end of the run (counts from the crash and concurrency tests).
SUMMARY: List[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if SUMMARY:
        terminalreporter.section("webhook delivery figures")
        for line in SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    server = GatewayServer(tmp_path_factory.mktemp("gateway"), extra_args=ALLOW_PRIVATE)
    yield server
    assert server.stop() == 0, server.log_path.read_text()[-4000:]


@pytest.fixture
def start_gateway(tmp_path_factory: pytest.TempPathFactory):
    """Starts further gateways (other flags, a database of their own); all stop after the test."""
    started = []

    def start(*extra_args: str) -> GatewayServer:
        server = GatewayServer(tmp_path_factory.mktemp("gateway"), extra_args=list(extra_args))
        started.append(server)
        return server

    yield start
    for server in started:
        assert server.stop() == 0, server.log_path.read_text()[-4000:]


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r


@pytest.fixture
def endpoint(gateway: GatewayServer, receiver: WebhookReceiver):
    """An endpoint for every event type, delivering to `receiver`, which knows its secret."""
    created = register_endpoint(gateway, receiver.url)
    receiver.add_secret(created["secret"])
    yield created
    delete_endpoint(gateway, created["id"])
