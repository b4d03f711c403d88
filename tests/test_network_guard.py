"""The network guard lets loopback through and stops everything else before a packet leaves."""

from __future__ import annotations

import socket

import pytest

from network_guard import NetworkGuardError


def test_non_loopback_connection_is_refused() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s,
        pytest.raises(NetworkGuardError, match="loopback"),
    ):
        s.connect(("192.0.2.1", 80))


def test_loopback_connection_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
