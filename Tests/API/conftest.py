"""Fixtures: one real gateway (devchain, fresh database, merchant, test key, `gateway serve`) for
the whole package, and a client that checks every answer against the OpenAPI document."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Support"))

from gateway_server import GatewayServer  # noqa: E402
from openapi_check import Api, Document  # noqa: E402


# Limits high enough for the whole package's requests (all with one key), yet present, so
# that every /v1 answer carries its X-RateLimit-* headers. test_rate_limit uses low ones.
GENEROUS_LIMITS = ["--rate-limit", "1000000", "--rate-limit-create", "1000000", "--rate-limit-console-login", "1000000"]


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory):
    # With a funded hot wallet, so that refunds run to the end (test_refunds.py).
    server = GatewayServer(tmp_path_factory.mktemp("gateway"), extra_args=GENEROUS_LIMITS, hot_wallet=True)
    yield server
    assert server.stop() == 0, server.log_path.read_text()[-4000:]


@pytest.fixture(scope="package")
def document() -> Document:
    return Document()


@pytest.fixture
def api(gateway: GatewayServer, document: Document) -> Api:
    return Api(gateway, document)
