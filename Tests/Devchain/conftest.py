"""Fixtures: a shared devchain (put back after each test) and a fault proxy in front of it."""

from __future__ import annotations

import pytest

from devchain_helpers import Devchain, FaultProxy


@pytest.fixture(scope="package")
def devchain(tmp_path_factory: pytest.TempPathFactory):
    chain = Devchain(tmp_path_factory.mktemp("devchain"))
    yield chain
    assert chain.stop() == 0


@pytest.fixture
def chain(devchain: Devchain):
    """The shared devchain, put back as it was after the test (snapshot and revert)."""
    snapshot = devchain.rpc("evm_snapshot")
    yield devchain
    devchain.rpc("devchain_setMinTip", 0)
    devchain.rpc("devchain_setMining", True)
    devchain.rpc("evm_setAutomine", True)
    devchain.rpc("devchain_setFinalityDepth", 0)
    assert devchain.rpc("evm_revert", snapshot) is True


@pytest.fixture(scope="package")
def proxy_process(devchain: Devchain, tmp_path_factory: pytest.TempPathFactory):
    proxy = FaultProxy(tmp_path_factory.mktemp("proxy"), devchain.url)
    yield proxy
    assert proxy.stop() == 0


@pytest.fixture
def proxy(proxy_process: FaultProxy, chain: Devchain):
    proxy_process.reset()
    yield proxy_process
    proxy_process.reset()
