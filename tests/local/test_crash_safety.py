"""Crash safety: ``ibmq-local serve`` killed with SIGKILL mid-batch loses and repeats nothing.

A 100-job batch is submitted with ``ibmq_async``; once some jobs completed, one is running
(a deliberately slow one) and the rest wait, the service is killed with SIGKILL. No process
of it may be left, and the database must show the three kinds of jobs. Restarted on the same
data directory, port and token, it runs the waiting jobs and runs the interrupted one again
(the documented choice: a RUNNING job is run again), while the client's ``job.result()``
waits, begun before the kill, carry on to the end. Every job completes once, and results
stored before the kill download unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
from qiskit import QuantumCircuit

from ibmq_async import AsyncIBMQFactory

pytestmark = pytest.mark.integration

TOKEN = "crash-safety-token"
SIMULATOR = "ibmq_qasm_simulator"
JOBS = 100
HEAVY = 40
"""Index of the slow job in the batch: the one running when the service is killed."""
SHOTS = 100
WAIT = 300.0
"""Deadline of each wait (seconds): a bound that only a hung test reaches."""


# -- processes ----------------------------------------------------------------------------


class Serve:
    """``ibmq-local serve`` in a subprocess (stderr to a file, so it can never block)."""

    def __init__(self, data_dir: Path, log: Path, *args: str, env: dict[str, str]) -> None:
        self.log: IO[str] = log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ibmq_local", "serve", "--data-dir", str(data_dir), *args],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
        assert self.process.stdout is not None
        url_line = self.process.stdout.readline()
        token_line = self.process.stdout.readline()
        if not url_line.startswith("auth url: "):
            self.stop()
            pytest.fail(f"ibmq-local serve did not start: {log.read_text()}")
        self.auth_url = url_line.split(": ", 1)[1].strip()
        self.token = token_line.split(": ", 1)[1].strip()
        self.pid = self.process.pid

    @property
    def port(self) -> int:
        return int(self.auth_url.rsplit(":", 1)[1].split("/", 1)[0])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close()

    def _close(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()


def _stat(pid: int) -> tuple[str, int] | None:
    """``(state, ppid)`` of a process, from ``/proc``; ``None`` once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = text.rsplit(")", 1)[1].split()[:2]
    return state, int(ppid)


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, their children, ...)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[0] != "Z":
                parents[int(entry.name)] = stat[1]
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie waiting for its reaper does not)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def wait_until_gone(pids: set[int], timeout: float = 30.0) -> set[int]:
    """The processes of ``pids`` still alive after ``timeout`` seconds (a failure bound)."""
    deadline = time.monotonic() + timeout
    while (left := {pid for pid in pids if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


ORPHAN = """
import os, sys, threading, time
from ibmq_local import _worker
if sys.argv[1] == "watchdog-only":  # as on systems without PR_SET_PDEATHSIG
    threading.Thread(target=_worker._watch_parent, args=(os.getppid(),), daemon=True).start()
else:
    _worker.die_with_parent(os.getppid())
print("armed", flush=True)
time.sleep(3600)
"""
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
print(child.pid, flush=True)
time.sleep(3600)
"""


@pytest.mark.parametrize("how", ["pdeathsig-and-watchdog", "watchdog-only"])
def test_a_worker_dies_with_its_parent(how: str) -> None:
    """A worker whose parent is SIGKILLed ends (the parent here never tells it to)."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, ORPHAN, how], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert parent.stdout.readline() == "armed\n"
        assert alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
        assert not wait_until_gone({child}), "the worker outlived its parent"
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()
        parent.stdout.close()


# -- circuits -------------------------------------------------------------------------------


def ghz(index: int) -> QuantumCircuit:
    circuit = QuantumCircuit(3, 3, name=f"ghz-{index}")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


def heavy(qubits: int = 20, layers: int = 6) -> QuantumCircuit:
    """U then U-dagger on 20 qubits with random angles: seconds of simulation, all zeros."""
    rng = random.Random(1)
    unitary = QuantumCircuit(qubits)
    for _ in range(layers):
        for qubit in range(qubits):
            unitary.rx(rng.uniform(0, 3), qubit)
            unitary.rz(rng.uniform(0, 3), qubit)
        for first in (0, 1):
            for qubit in range(first, qubits - 1, 2):
                unitary.cx(qubit, qubit + 1)
    circuit = QuantumCircuit(qubits, qubits, name="heavy")
    circuit.compose(unitary, inplace=True)
    circuit.compose(unitary.inverse(), inplace=True)
    circuit.measure(range(qubits), range(qubits))
    return circuit


# -- the raw REST view ----------------------------------------------------------------------


class Rest:
    """The service seen through its REST API with httpx, independent of the client."""

    def __init__(self, auth_url: str) -> None:
        self.http = httpx.Client(timeout=60)
        self.connect(auth_url)

    def connect(self, auth_url: str) -> None:
        login = self.http.post(f"{auth_url}/users/loginWithToken", json={"apiToken": TOKEN})
        assert login.status_code == 200, login.text
        self.headers = {"X-Access-Token": login.json()["id"]}
        me = self.http.get(f"{auth_url}/users/me", headers=self.headers).json()
        self.hgp = f"{me['urls']['http']}/Network/ibm-q/Groups/open/Projects/main"

    def jobs(self) -> list[dict[str, Any]]:
        reply = self.http.get(f"{self.hgp}/Jobs/status/v/1", headers=self.headers)
        assert reply.status_code == 200, reply.text
        return list(reply.json())

    def result(self, job_id: str) -> dict[str, Any]:
        url = self.http.get(f"{self.hgp}/Jobs/{job_id}/resultDownloadUrl", headers=self.headers)
        assert url.status_code == 200, url.text
        reply = self.http.get(url.json()["url"])
        assert reply.status_code == 200, reply.text
        return dict(reply.json())


def statuses_on_disk(data_dir: Path) -> dict[str, str]:
    """Job name -> status as the killed service left them in its database."""
    connection = sqlite3.connect(data_dir / "jobs.sqlite3")
    try:
        rows = connection.execute("SELECT json_extract(doc, '$.name'), status FROM jobs").fetchall()
    finally:
        connection.close()
    return {str(name): str(status) for name, status in rows}


# -- the test -------------------------------------------------------------------------------


def test_sigkill_mid_batch_loses_and_repeats_no_job(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    # No job limit: the whole batch is accepted at once and waits in the queue.
    project = {"hub": "ibm-q", "group": "open", "project": "main", "max_jobs": -1}
    (data_dir / "config.json").write_text(json.dumps({"default_user": {"projects": [project]}}))
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN + "\n")
    log = tmp_path / "serve.log"

    first = Serve(data_dir, log, "--port", "0", "--token-file", str(token_file), env={})
    second: Serve | None = None
    try:
        assert first.token == TOKEN
        report = asyncio.run(_scenario(first, data_dir, log))
        second = report.pop("second")
    finally:
        first.stop()
        if second is not None:
            leftover = descendants(second.pid)
            second.stop()
            assert not wait_until_gone(leftover), "the stopped service left processes"
    print(json.dumps(report))


async def _scenario(first: Serve, data_dir: Path, log: Path) -> dict[str, Any]:
    factory = AsyncIBMQFactory()
    provider = await factory.enable_account(TOKEN, url=first.auth_url)
    assert provider is not None
    backend = provider.get_backend(SIMULATOR)
    circuits = [heavy() if index == HEAVY else ghz(index) for index in range(JOBS)]
    names = [f"crash-{index:03d}" for index in range(JOBS)]
    jobs = await asyncio.gather(
        *(
            backend.run(circuit, shots=SHOTS, job_name=name)
            for circuit, name in zip(circuits, names, strict=True)
        )
    )
    waits = [asyncio.ensure_future(job.result(timeout=WAIT)) for job in jobs]
    rest = await asyncio.to_thread(Rest, first.auth_url)
    second: Serve | None = None
    try:
        # Kill once the slow job runs and some jobs before it completed.
        before = await _until(rest, names[HEAVY], "RUNNING")
        completed = [name for name, status in before.items() if status == "COMPLETED"]
        assert completed, f"no job completed before the slow one ran: {Counter(before.values())}"
        by_name = {job["name"]: job["id"] for job in await asyncio.to_thread(rest.jobs)}
        kept = {name: await asyncio.to_thread(rest.result, by_name[name]) for name in completed[:5]}
        workers = descendants(first.pid)
        assert workers, "the service runs its jobs in worker processes"

        await asyncio.to_thread(first.kill)
        left = await asyncio.to_thread(wait_until_gone, workers)
        assert not left, f"processes of the killed service still run: {left}"

        at_kill = statuses_on_disk(data_dir)
        at_kill_counts = Counter(at_kill.values())
        assert sorted(at_kill) == sorted(names), "every submitted job was stored"
        assert at_kill[names[HEAVY]] == "RUNNING"
        assert at_kill_counts["COMPLETED"] >= 1, at_kill_counts
        assert at_kill_counts["QUEUED"] >= 1, at_kill_counts

        # Same data dir, port and token (from the environment this time).
        second = await asyncio.to_thread(
            Serve, data_dir, log, "--port", str(first.port), env={"IBMQ_LOCAL_TOKEN": TOKEN}
        )
        assert second.auth_url == first.auth_url and second.token == TOKEN
        results = await asyncio.gather(*waits)
        await asyncio.to_thread(rest.connect, second.auth_url)
        listed = await asyncio.to_thread(rest.jobs)
        for name, stored in kept.items():
            assert await asyncio.to_thread(rest.result, by_name[name]) == stored
    finally:
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
        await factory.disable_account()
        await asyncio.to_thread(rest.http.close)
        if second is None:
            first.stop()

    # No job lost, none created twice, each with its own result.
    assert len(listed) == JOBS
    assert len({job["id"] for job in listed}) == JOBS
    assert sorted(job["name"] for job in listed) == sorted(names)
    assert Counter(job["status"] for job in listed) == {"COMPLETED": JOBS}
    for index, (job, result) in enumerate(zip(jobs, results, strict=True)):
        counts = result.get_counts()
        if index == HEAVY:
            assert counts == {"0" * 20: SHOTS}
        else:
            assert set(counts) <= {"000", "111"} and sum(counts.values()) == SHOTS
        assert result.job_id == job.job_id()
    return {
        "jobs": JOBS,
        "at_kill": dict(at_kill_counts),
        "workers_killed": len(workers),
        "lost": JOBS - len(listed),
        "duplicates": len(listed) - len({job["id"] for job in listed}),
        "second": second,
    }


async def _until(rest: Rest, name: str, status: str) -> dict[str, str]:
    """Poll the job list until job ``name`` has ``status``; return the statuses then."""
    deadline = time.monotonic() + WAIT
    while True:
        view = {job["name"]: job["status"] for job in await asyncio.to_thread(rest.jobs)}
        if view.get(name) == status:
            return view
        assert view.get(name) != "COMPLETED", f"{name} ended before it was seen {status}"
        assert time.monotonic() < deadline, f"never got there: {Counter(view.values())}"
        await asyncio.sleep(0.05)
