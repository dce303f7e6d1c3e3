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
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ibmq_async._core.dates import format_iso, utc_now

from ._catalog import SnapshotRef

_MAX_CACHED_TARGETS = 6
"""Device targets (one per calibration) a worker keeps."""
_MAX_CACHED_SIMULATORS = 64
"""Reduced-noise simulators (one per calibration and qubit set) a worker keeps."""
_targets: OrderedDict[tuple[str, str | None], Any] = OrderedDict()
_simulators: OrderedDict[tuple[str, str | None, tuple[int, ...]], Any] = OrderedDict()
_UNUSED_IF_ALONE = frozenset({"barrier", "delay"})
"""Instructions that do not make a qubit part of the simulation on their own: a barrier
does nothing, and a delay on a qubit nothing else touches cannot change any count."""


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

    options: dict[str, Any] = {"shots": shots, "memory": memory}
    if config.get("seed_simulator") is not None:
        options["seed_simulator"] = int(config["seed_simulator"])
    if request.threads > 0:
        options["max_parallel_threads"] = request.threads
    if request.snapshot is None:
        circuits = qobj_to_circuits(qobj)
        simulator = _ideal_simulator()
        method = config.get("method")
        if isinstance(method, str) and method:
            options["method"] = method
        if isinstance(config.get("noise_model"), dict):
            from qiskit_aer.noise import NoiseModel

            options["noise_model"] = NoiseModel.from_dict(config["noise_model"])
    else:
        # Simulate only the device qubits the job uses, with their noise (see reduce_qobj).
        reduced, used = reduce_qobj(qobj)
        circuits = qobj_to_circuits(reduced)
        simulator = device_simulator(request.snapshot, used)

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


def used_qubits(qobj: dict[str, Any]) -> tuple[int, ...]:
    """The device qubits the experiments of ``qobj`` act on, in increasing order.

    A qubit counts when any instruction other than a barrier or a delay names it. Never
    empty: a job that touches no qubit simulates qubit 0 alone (nothing is measured, so
    every count is 0 anyway).
    """
    used: set[int] = set()
    for experiment in qobj.get("experiments") or []:
        for instruction in experiment.get("instructions") or []:
            if instruction.get("name") in _UNUSED_IF_ALONE:
                continue
            used.update(_qubit_list(instruction))
    return tuple(sorted(used)) or (0,)


def _qubit_list(instruction: dict[str, Any]) -> list[int]:
    qubits = instruction.get("qubits") or []
    if not isinstance(qubits, list) or not all(
        isinstance(q, int) and not isinstance(q, bool) and q >= 0 for q in qubits
    ):
        raise ValueError(f"instruction {instruction.get('name')!r}: bad 'qubits' {qubits!r}")
    return qubits


def reduce_qobj(qobj: dict[str, Any]) -> tuple[dict[str, Any], tuple[int, ...]]:
    """``qobj`` on only the qubits it uses, renumbered ``0..k-1``; and those device qubits.

    Device qubit ``used[i]`` becomes qubit ``i``. Memory slots, conditionals and every
    other field are unchanged, so counts are keyed exactly as on the whole device.
    Barriers keep only the qubits that remain (one on none of them is dropped), as do
    delays; a barrier over all qubits (no ``qubits``) stays one. The Qobj given is not
    modified.
    """
    used = used_qubits(qobj)
    index = {qubit: position for position, qubit in enumerate(used)}
    experiments = []
    for experiment in qobj.get("experiments") or []:
        instructions = []
        for instruction in experiment.get("instructions") or []:
            if "qubits" not in instruction:
                instructions.append(instruction)
                continue
            qubits = _qubit_list(instruction)
            kept = [index[q] for q in qubits if q in index]
            if qubits and not kept:
                continue  # a barrier or delay on dropped qubits only
            instructions.append({**instruction, "qubits": kept})
        header = dict(experiment.get("header") or {})
        header.pop("qubit_labels", None)
        header.pop("qreg_sizes", None)
        header["n_qubits"] = len(used)
        config = {**(experiment.get("config") or {}), "n_qubits": len(used)}
        experiments.append(
            {**experiment, "header": header, "config": config, "instructions": instructions}
        )
    qobj_config = {**(qobj.get("config") or {}), "n_qubits": len(used)}
    return {**qobj, "config": qobj_config, "experiments": experiments}, used


def device_simulator(snapshot: SnapshotRef, used: tuple[int, ...]) -> Any:
    """An Aer simulator of device qubits ``used`` (renumbered ``0..k-1``) with their noise.

    The noise is what qiskit-aer derives for the whole device (readout errors, gate
    depolarizing and thermal relaxation errors, relaxation during delays), restricted to
    these qubits and the gates between them: it is built from the device's target with
    every other qubit left out. Targets are cached per calibration and simulators per
    calibration and qubit set, so a warm job builds nothing.

    Raises:
        ValueError: if a qubit of ``used`` is not on the device.
    """
    key = (snapshot.backend_name, snapshot.props_file, used)
    cached = _simulators.get(key)
    if cached is not None:
        _simulators.move_to_end(key)
        return cached
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    target = _device_target(snapshot)
    if used[-1] >= target.num_qubits:
        raise ValueError(
            f"qubit {used[-1]} is not on {snapshot.backend_name} ({target.num_qubits} qubits)"
        )
    reduced = _ReducedDevice(target, used)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # e.g. a device without qubit properties
        noise_model = NoiseModel.from_backend(reduced)
    simulator = AerSimulator(noise_model=noise_model)
    _simulators[key] = simulator
    while len(_simulators) > _MAX_CACHED_SIMULATORS:
        _simulators.popitem(last=False)
    return simulator


class _ReducedDevice:
    """The parts of a BackendV2 that ``NoiseModel.from_backend`` reads, on a qubit subset."""

    version = 2

    def __init__(self, target: Any, used: tuple[int, ...]) -> None:
        self.operation_names = list(target.operation_names)
        self.dt = target.dt
        self.target = _sub_target(target, used)


def _sub_target(target: Any, used: tuple[int, ...]) -> Any:
    """``target`` on qubits ``used`` only, renumbered ``0..k-1`` (same properties objects)."""
    from qiskit.transpiler import Target

    index = {qubit: position for position, qubit in enumerate(used)}
    qubit_properties = target.qubit_properties
    sub = Target(
        description=target.description,
        num_qubits=len(used),
        dt=target.dt,
        granularity=target.granularity,
        min_length=target.min_length,
        pulse_alignment=target.pulse_alignment,
        acquire_alignment=target.acquire_alignment,
        qubit_properties=[qubit_properties[q] for q in used] if qubit_properties else None,
    )
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        properties = target[name]
        if isinstance(operation, type) or properties is None or None in properties:
            sub.add_instruction(operation, name=name)  # global: on every qubit, ideal
            continue
        kept = {
            tuple(index[q] for q in qargs): value
            for qargs, value in properties.items()
            if all(q in index for q in qargs)
        }
        if kept:
            sub.add_instruction(operation, kept, name=name)
    return sub


def _device_target(snapshot: SnapshotRef) -> Any:
    """The transpiler target of the snapshot's device and calibration (cached)."""
    key = (snapshot.backend_name, snapshot.props_file)
    cached = _targets.get(key)
    if cached is not None:
        _targets.move_to_end(key)
        return cached
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
    target = fake_class().target
    _targets[key] = target
    while len(_targets) > _MAX_CACHED_TARGETS:
        _targets.popitem(last=False)
    return target
