"""Code that runs inside a worker process: Qobj in, Result JSON out.

Imported by the service for its request/outcome types only; qiskit, qiskit-aer and
qiskit-ibm-runtime are imported lazily, inside the worker.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ibmq_async._core.dates import format_iso, utc_now

from ._catalog import SnapshotRef

_MAX_CACHED_SIMULATORS = 6
_simulators: OrderedDict[tuple[str, str | None], Any] = OrderedDict()


@dataclass(frozen=True)
class ExecutionRequest:
    """Everything a worker needs to run one job."""

    job_id: str
    backend_name: str
    backend_version: str
    qobj_json: bytes
    snapshot: SnapshotRef | None
    """``None`` for the ideal simulator."""
    threads: int = 0
    """Aer ``max_parallel_threads``; 0 lets Aer decide."""


@dataclass(frozen=True)
class ExecutionOutcome:
    """A finished run: the Result JSON, and an error message when it failed."""

    success: bool
    result_json: bytes
    error_message: str | None = None


_PR_SET_PDEATHSIG = 1
"""``prctl`` option: the signal the kernel sends this process when its parent dies."""
PARENT_POLL = 0.5
"""Seconds between the watchdog's checks that the service process is still there."""


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as the service process ``parent_pid`` ends, however it ends.

    On Linux the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``); that
    works even while a simulation holds the GIL. Strictly it fires when the parent *thread*
    that started this process ends, so the pool starts workers from one long-lived thread
    (see :mod:`ibmq_local._pool`). Everywhere, a watchdog thread also checks that the parent
    is still this process's parent, and exits when it no longer is (the process was then
    handed to init or a subreaper).
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        except (OSError, AttributeError) as exc:  # the watchdog below still works
            print(f"ibmq-local worker: {exc}", file=sys.stderr)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(
        target=_watch_parent, args=(parent_pid,), name="ibmq-local-parent-watch", daemon=True
    ).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL)
    os._exit(1)


def serve(connection: Connection, parent_pid: int | None = None) -> None:
    """The worker process's main loop: run each request received, send back its outcome.

    Ends on ``None`` or when the service's end of the pipe is closed, and at once when the
    service process ``parent_pid`` ends (see :func:`die_with_parent`). A failure outside
    the simulation is sent back as the exception, for the service to report.
    """
    if parent_pid is not None:
        die_with_parent(parent_pid)
    # Ctrl-C in a terminal reaches the whole process group: the service decides what
    # happens to running jobs, so a worker must not die of it. The pool starts workers
    # with SIGINT blocked (see ``_pool._sigint_blocked``); one that arrived since is
    # pending, and discarded when it is unblocked under SIG_IGN.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            reply: object = execute(request)
        except Exception as exc:
            reply = RuntimeError(f"{type(exc).__name__}: {exc}")
        try:
            connection.send(reply)
        except OSError:
            return


def execute(request: ExecutionRequest) -> ExecutionOutcome:
    """Run every experiment of the Qobj and build the Result (protocol 4.4).

    Never raises for a failed simulation: the outcome then has ``success`` false.
    """
    started = time.perf_counter()
    qobj = json.loads(request.qobj_json)
    config = qobj.get("config") or {}
    experiments = qobj.get("experiments") or []
    shots = int(config.get("shots", 1024))
    memory = bool(config.get("memory", False))
    error: str | None = None
    try:
        results = _run(request, qobj, config, shots, memory)
    except Exception as exc:  # any simulator failure ends the job, never the worker
        error = f"{type(exc).__name__}: {exc}".strip()
        if os.environ.get("IBMQ_LOCAL_DEBUG"):
            traceback.print_exc()
        results = [_failed(experiment, shots, error) for experiment in experiments]
    success = error is None and all(result["success"] for result in results)
    if error is None and not success:
        failed = next(r for r in results if not r["success"])
        error = str(failed.get("status", "experiment failed"))
    result = {
        "backend_name": request.backend_name,
        "backend_version": request.backend_version,
        "qobj_id": qobj.get("qobj_id", ""),
        "job_id": request.job_id,
        "success": success,
        "results": results,
        "date": format_iso(utc_now()),
        "status": "COMPLETED" if success else "ERROR",
        "header": qobj.get("header") or {},
        "time_taken": time.perf_counter() - started,
    }
    return ExecutionOutcome(success, json.dumps(result).encode(), error)


def _failed(experiment: Any, shots: int, message: str) -> dict[str, Any]:
    header = experiment.get("header", {}) if isinstance(experiment, dict) else {}
    return {
        "shots": shots,
        "success": False,
        "data": {},
        "header": header,
        "status": f"ERROR: {message}",
        "meas_level": 2,
    }


def _run(
    request: ExecutionRequest,
    qobj: dict[str, Any],
    config: dict[str, Any],
    shots: int,
    memory: bool,
) -> list[dict[str, Any]]:
    from ibmq_async._core.disassemble import qobj_to_circuits

    circuits = qobj_to_circuits(qobj)
    options: dict[str, Any] = {"shots": shots, "memory": memory}
    if config.get("seed_simulator") is not None:
        options["seed_simulator"] = int(config["seed_simulator"])
    if request.threads > 0:
        options["max_parallel_threads"] = request.threads
    if request.snapshot is None:
        simulator = _ideal_simulator()
        method = config.get("method")
        if isinstance(method, str) and method:
            options["method"] = method
        if isinstance(config.get("noise_model"), dict):
            from qiskit_aer.noise import NoiseModel

            options["noise_model"] = NoiseModel.from_dict(config["noise_model"])
    else:
        simulator = _device_simulator(request.snapshot)

    aer_result = simulator.run(circuits, **options).result()
    results = []
    for experiment, outcome in zip(qobj["experiments"], aer_result.results, strict=True):
        results.append(_experiment_result(experiment, outcome, shots, memory))
    return results


def _experiment_result(
    experiment: dict[str, Any], outcome: Any, shots: int, memory: bool
) -> dict[str, Any]:
    header = experiment.get("header") or {}
    if not outcome.success:
        return _failed(experiment, shots, str(outcome.status))
    data = outcome.data
    counts = dict(getattr(data, "counts", None) or {})
    if not counts:
        # Nothing was measured: every memory slot reads 0.
        counts = {"0x0": shots}
    payload: dict[str, Any] = {"counts": {str(k): int(v) for k, v in counts.items()}}
    if memory:
        payload["memory"] = list(getattr(data, "memory", None) or ["0x0"] * shots)
    entry: dict[str, Any] = {
        "shots": int(outcome.shots) if isinstance(outcome.shots, int) else shots,
        "success": True,
        "data": payload,
        "header": header,
        "status": "DONE",
        "meas_level": 2,
    }
    seed = getattr(outcome, "seed_simulator", None)
    if seed is not None:
        entry["seed_simulator"] = int(seed)
    taken = getattr(outcome, "time_taken", None)
    if taken is not None:
        entry["time_taken"] = float(taken)
    return entry


def _ideal_simulator() -> Any:
    from qiskit_aer import AerSimulator

    return AerSimulator()


def _device_simulator(snapshot: SnapshotRef) -> Any:
    """An Aer simulator with the noise the snapshot's calibration implies (cached)."""
    key = (snapshot.backend_name, snapshot.props_file)
    cached = _simulators.get(key)
    if cached is not None:
        _simulators.move_to_end(key)
        return cached
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    fake_class = type(
        "SnapshotBackend",
        (FakeBackendV2,),
        {
            "dirname": snapshot.directory,
            "conf_filename": snapshot.conf_file,
            "props_filename": snapshot.props_file,
            "backend_name": snapshot.backend_name,
        },
    )
    simulator = AerSimulator.from_backend(fake_class())
    _simulators[key] = simulator
    while len(_simulators) > _MAX_CACHED_SIMULATORS:
        _simulators.popitem(last=False)
    return simulator
