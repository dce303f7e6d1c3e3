"""Fixtures shared by the async tests and their generated blocking twins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import known_circuits
import pytest
from qiskit import QuantumCircuit

BOOKING: dict[str, Any] = {
    "start": "2031-03-01T09:00:00Z",
    "end": "2031-03-01T10:30:00Z",
    "mode": "dedicated",
    "id": "tests-booking",
    "hub": "ibm-q",
    "group": "open",
    "project": "main",
}
"""A reservation of ibmq_vigo by the default user's project, in the shared service."""
SERVICE_CONFIG: dict[str, Any] = {"backends": {"ibmq_vigo": {"reservations": [BOOKING]}}}


@pytest.fixture(scope="session")
def local_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real local service on a free loopback port, for the whole test session."""
    import json

    from ibmq_local.service import LocalService

    data_dir = tmp_path_factory.mktemp("ibmq-local")
    (data_dir / "config.json").write_text(json.dumps(SERVICE_CONFIG))
    service = LocalService(data_dir)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def ghz() -> QuantumCircuit:
    """A measured 3-qubit GHZ circuit."""
    return known_circuits.ghz()


@pytest.fixture
def echo_websocket() -> Iterator[str]:
    """A websocket server on a free loopback port that echoes each message; its URL."""
    import threading

    from websockets.sync.server import ServerConnection, serve

    def echo(connection: ServerConnection) -> None:
        for message in connection:
            connection.send(message)

    with serve(echo, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.socket.getsockname()[:2]
        try:
            yield f"ws://{host}:{port}"
        finally:
            server.shutdown()
            thread.join(timeout=10)
