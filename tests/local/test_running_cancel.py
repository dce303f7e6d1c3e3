"""Queue estimates that account for the worker slots, and cancelling a running job.

The service here has one worker slot, so jobs on different backends wait for each other.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from datetime import datetime
from multiprocessing.connection import wait as wait_for_exit
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibmq_local import LocalService

pytestmark = pytest.mark.integration

SIMULATOR = "ibmq_qasm_simulator"
VIGO = "ibmq_vigo"


def endless_experiment(build: Any, n: int = 18, layers: int = 20) -> dict[str, Any]:
    """Hours of simulation: a mid-circuit measurement makes Aer simulate every shot."""
    gates: list[dict[str, Any]] = [
        {"name": "h", "qubits": [0]},
        {"name": "measure", "qubits": [0], "memory": [0]},
    ]
    for _ in range(layers):
        for q in range(n):
            gates += [{"name": "h", "qubits": [q]}, {"name": "rz", "qubits": [q], "params": [0.3]}]
        gates += [{"name": "cx", "qubits": [q, q + 1]} for q in range(n - 1)]
    gates.append({"name": "measure", "qubits": [n - 1], "memory": [0]})
    return dict(build.experiment(gates, n, 1, "endless"))


def workers() -> dict[int, multiprocessing.Process]:
    """This process's live worker processes (services run in-process), by pid."""
    found: dict[int, multiprocessing.Process] = {}
    for process in multiprocessing.active_children():
        if process.name.startswith("IbmqLocalWorker") and process.pid is not None:
            found[process.pid] = process  # type: ignore[assignment]
    return found


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def one_slot(tmp_path_factory: pytest.TempPathFactory, login: Any) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp("one-slot")
    (data_dir / "config.json").write_text(json.dumps({"max_workers": 1}))
    with httpx.Client(timeout=60) as http, LocalService(data_dir) as service:
        yield login(http, service.auth_url, service.token)


def test_cancelling_a_running_job_stops_its_worker_and_frees_the_device(
    one_slot: Any, build: Any
) -> None:
    api = one_slot
    before = workers()
    endless = api.submit(build.qobj([endless_experiment(build)], shots=100_000))
    api.wait(endless, frozenset({"RUNNING"}))
    started = {pid: p for pid, p in workers().items() if pid not in before}
    assert len(started) == 1, "one worker process runs the job"
    (worker,) = started.values()

    behind = api.submit(build.qobj([build.ghz(2)]))
    other_backend = api.submit(build.qobj([build.ghz_device([0, 1], 5)], VIGO, shots=100), VIGO)
    api.wait(other_backend, frozenset({"QUEUED"}))
    same = api.status(behind)["infoQueue"]
    other = api.status(other_backend)["infoQueue"]
    assert same["position"] == 1 and other["position"] == 1, "positions are per device"
    # One slot: the vigo job, queued later, can start only once the simulator job is done.
    assert instant(other["estimatedStartTime"]) >= instant(same["estimatedCompleteTime"])
    assert instant(same["estimatedCompleteTime"]) > instant(same["estimatedStartTime"])

    assert api.post(f"/Jobs/{endless}/cancel").json() == {"cancelled": True}
    assert api.status(endless) == {"status": "CANCELLED"}
    # The sentinel is ready once the process has ended.
    assert wait_for_exit([worker.sentinel], timeout=30), "the worker process was not stopped"

    assert api.wait(behind, timeout=120) == "COMPLETED"
    assert api.wait(other_backend, timeout=120) == "COMPLETED"
    assert worker.pid not in workers()
    steps = api.job(endless)["timePerStep"]
    assert list(steps)[-2:] == ["RUNNING", "CANCELLED"]
    assert api.get(f"/Jobs/{endless}/resultDownloadUrl").status_code == 400


def test_workers_are_reused_between_jobs(one_slot: Any, build: Any) -> None:
    api = one_slot
    api.run(build.qobj([build.ghz(2)]))
    before = set(workers())
    assert api.run(build.qobj([build.ghz(3)]))["status"] == "COMPLETED"
    assert set(workers()) == before
