"""Start `ibmq-local serve` (from the session's main environment) for the legacy client."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from compat_helpers import LIMITED_PROJECT, MAX_JOBS, PAUSED_BACKEND
from qiskit import IBMQ

BOOKED_BACKEND = "ibmq_manila"
BOOKING: dict[str, Any] = {
    "start": "2030-01-01T09:00:00Z",
    "end": "2030-01-01T11:30:00Z",
    "mode": "dedicated",
    "id": "compat-booking",
    "hub": "ibm-q",
    "group": "open",
    "project": "main",
}
"""A reservation of the default user's project."""
OTHERS_BOOKING: dict[str, Any] = {"start": "2030-02-01T00:00:00Z", "end": "2030-02-01T01:00:00Z"}
"""A reservation of nobody the client knows: only its slot is shown."""
RECALIBRATED = "2025-01-01T00:00:00Z"
"""When ibmq_manila was calibrated again after its shipped snapshot (2024-05-27)."""

OTHER_PROJECT: dict[str, Any] = {
    "hub": "hub-a",
    "group": "group-x",
    "project": "proj-1",
    "backends": ["ibmq_qasm_simulator", "ibmq_manila"],
}
"""A project of the default user in a second hub, allowed two backends only."""

SERVICE_CONFIG: dict[str, Any] = {
    "default_user": {
        "projects": [
            {"project": "main", "is_default": True, "max_jobs": MAX_JOBS},
            {"project": LIMITED_PROJECT, "max_jobs": 1},
            OTHER_PROJECT,
        ]
    },
    "backends": {
        BOOKED_BACKEND: {
            "reservations": [BOOKING, OTHERS_BOOKING],
            "recalibrations": [{"date": RECALIBRATED}],
        },
        PAUSED_BACKEND: {"status": "internal"},
    },
}


@pytest.fixture(scope="session")
def local_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(auth url, token) of a freshly started service on a free loopback port."""
    serve = os.environ.get("IBMQ_LOCAL_SERVE", "ibmq-local")
    data_dir: Path = tmp_path_factory.mktemp("ibmq-local-data")
    (data_dir / "config.json").write_text(json.dumps(SERVICE_CONFIG))
    process = subprocess.Popen(
        [serve, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    url = token = None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("auth url:"):
            url = line.split(":", 1)[1].strip()
        elif line.startswith("token:"):
            token = line.split(":", 1)[1].strip()
        if url and token:
            break
    if not (url and token):
        process.kill()
        pytest.fail("ibmq-local serve did not start:\n" + "".join(seen))
    try:
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def service_config() -> dict[str, Any]:
    """The ``config.json`` the service runs with."""
    return SERVICE_CONFIG


@pytest.fixture(scope="session")
def other_project() -> dict[str, Any]:
    """The default user's project in a second hub (``hub``, ``group``, ``project``,
    ``backends``)."""
    return OTHER_PROJECT


@pytest.fixture(scope="session")
def provider(local_service):
    """The default (``ibm-q/open/main``) provider of the legacy client, logged in once."""
    url, token = local_service
    provider = IBMQ.enable_account(token, url=url)
    yield provider
    IBMQ.disable_account()


@pytest.fixture()
def provider_log(caplog):
    """DEBUG records of the provider (which does not propagate) and of urllib3."""
    provider_logger = logging.getLogger("qiskit.providers.ibmq")
    previous = provider_logger.level
    provider_logger.addHandler(caplog.handler)
    provider_logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    yield caplog
    provider_logger.removeHandler(caplog.handler)
    provider_logger.setLevel(previous)
