"""Fixtures: a real gateway (`gateway serve` on a fresh database, its own devchain with automine
off, so that transactions wait in the pool for the next block) with a funded devnet hot wallet,
restarted and killed by the tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))

from gateway_server import GatewayServer  # noqa: E402

# Lines for the end of the run (counts from the crash test).
SUMMARY: List[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    if SUMMARY:
        terminalreporter.section("refund figures")
        for line in SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture
def start_gateway(tmp_path_factory: pytest.TempPathFactory):
    """Starts gateways with a hot wallet; all stop after the test (the last one cleanly)."""
    for name in ("GATEWAY_BIN", "DATABASE_URL"):
        if not os.environ.get(name):
            pytest.fail(f"{name} is not set: the refund tests need the built gateway and the private PostgreSQL")
    started = []

    def start(*extra_args: str, chain_args: tuple = ()) -> GatewayServer:
        server = GatewayServer(tmp_path_factory.mktemp("gateway"), extra_args=list(extra_args), hot_wallet=True,
                               chain_args=list(chain_args))
        # Automine off: a block a second takes what the pool holds, as on a real network.
        server.chain.rpc("evm_setAutomine", False)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
