"""The embedding API: LocalService lifecycle and the embedded_service singleton."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from ibmq_local import LocalService, default_data_dir, embedded_service

pytestmark = pytest.mark.integration


def test_default_data_dir_is_per_user() -> None:
    assert "ibmq-local" in str(default_data_dir())


def test_start_stop_are_idempotent_and_restart_keeps_the_port(tmp_path: Path) -> None:
    service = LocalService(tmp_path, token="fixed-token")
    assert service.token == "fixed-token"
    with pytest.raises(RuntimeError):
        _ = service.port
    service.stop()  # not started: nothing to do
    service.start()
    service.start()
    port = service.port
    assert httpx.get(f"{service.auth_url}/version").status_code == 200
    service.stop()
    service.stop()
    assert not service.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{service.auth_url}/version")
    service.start()
    try:
        assert service.port == port
        assert httpx.get(f"{service.auth_url}/version").status_code == 200
    finally:
        service.stop()


def test_embedded_service_is_one_started_instance_per_data_dir(tmp_path: Path) -> None:
    found: list[LocalService] = []

    def fetch() -> None:
        found.append(embedded_service(tmp_path))

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len({id(service) for service in found}) == 1
        service = found[0]
        assert service.running
        assert embedded_service(str(tmp_path)) is service
        response = httpx.post(
            f"{service.auth_url}/users/loginWithToken", json={"apiToken": service.token}
        )
        assert response.status_code == 200
        assert (tmp_path / "token").read_text().strip() == service.token
    finally:
        found[0].stop()


UNGUARDED_SCRIPT = """
import json, sys, time
import httpx
from ibmq_local import embedded_service

# No `if __name__ == "__main__":` guard, on purpose: spawned workers must not re-run this.
service = embedded_service(sys.argv[1])
client = httpx.Client(timeout=30)
token = client.post(service.auth_url + "/users/loginWithToken",
                    json={"apiToken": service.token}).json()["id"]
headers = {"X-Access-Token": token}
hgp = service.auth_url + "/Network/ibm-q/Groups/open/Projects/main"
qobj = {"qobj_id": "q", "type": "QASM", "config": {"shots": 10},
        "experiments": [{"header": {}, "config": {"n_qubits": 1, "memory_slots": 1},
                         "instructions": [{"name": "x", "qubits": [0]},
                                          {"name": "measure", "qubits": [0], "memory": [0]}]}]}
job = client.post(hgp + "/Jobs", json={"backend": {"name": "ibmq_qasm_simulator"}},
                  headers=headers).json()
client.put(job["objectStorageInfo"]["uploadUrl"], content=json.dumps(qobj))
client.post(hgp + "/Jobs/" + job["id"] + "/jobDataUploaded", headers=headers)
deadline = time.monotonic() + 60
while True:
    status = client.get(hgp + "/Jobs/" + job["id"] + "/status/v/1", headers=headers).json()
    if status["status"] in ("COMPLETED", "ERROR_RUNNING_JOB") or time.monotonic() > deadline:
        break
    time.sleep(0.05)
print(status["status"])
# Exits without stopping the service: atexit must shut it down without hanging.
"""


def test_unguarded_script_runs_jobs_and_exits(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    completed = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "COMPLETED", completed.stderr


def test_a_data_dir_serves_one_service_at_a_time(tmp_path: Path) -> None:
    with LocalService(tmp_path):
        second = LocalService(tmp_path)
        with pytest.raises(RuntimeError, match="in use by another ibmq-local service"):
            second.start()
        assert not second.running
    with LocalService(tmp_path) as third:  # free again once the first one stopped
        assert third.running


def test_starting_the_service_leaves_the_hosts_uvicorn_log_levels_alone(tmp_path: Path) -> None:
    # An app served by uvicorn that embeds the service keeps its own startup lines: before,
    # uvicorn.Config set these process-wide loggers to WARNING.
    import logging

    from ibmq_local.service import UVICORN_LOGGERS

    loggers = [logging.getLogger(name) for name in UVICORN_LOGGERS]
    before = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            logger.setLevel(logging.INFO)
        with LocalService(tmp_path) as service:
            assert httpx.get(f"{service.auth_url}/version").status_code == 200
            assert [logger.level for logger in loggers] == [logging.INFO] * len(loggers)
    finally:
        for logger, level in zip(loggers, before, strict=True):
            logger.setLevel(level)
