"""Test-wide guards (no test may open a connection to anything but loopback) and the two
fixtures end-to-end tests share; a module may define its own ``site`` or ``svc`` instead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ingest_kit import make_emulator, served, services

import network_guard
from radex.app import Services
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.generator import load_sample_fixture


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    network_guard.install()
    yield
    network_guard.uninstall()


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, str]]:
    """The bundled handbook on an emulator served over loopback HTTP, in each flavour."""
    emu = make_emulator(load_sample_fixture(), request.param)
    with served(emu) as url:
        yield emu, url


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[Services]:
    """RADEX services (hashing embedder) in a temporary home, closed after the test."""
    s = services(tmp_path / "home")
    yield s
    s.close()
