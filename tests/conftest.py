"""Test-wide guards: no test may open a connection to anything but loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import network_guard


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    network_guard.install()
    yield
    network_guard.uninstall()
