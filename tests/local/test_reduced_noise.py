"""Device jobs simulate only the qubits they use, with those qubits' noise.

The worker renumbers a job's qubits onto ``0..k-1`` and builds the noise of only those
device qubits (``reduce_qobj`` and ``device_simulator`` of :mod:`ibmq_local._worker`).
These tests check that the counts stay what the whole-device noise model gives, in-process
against ``AerSimulator.from_backend`` on the full device, and through the service on a
156-qubit device.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from ibmq_async._core.disassemble import qobj_to_circuits
from ibmq_local._catalog import BackendCatalog, SnapshotRef
from ibmq_local._worker import ExecutionRequest, execute, reduce_qobj, used_qubits

SHOTS = 4000
SEED = 11
TOLERANCE = 0.04
"""Largest total variation distance between the reduced and the whole-device counts."""


@pytest.fixture(scope="module")
def catalog() -> BackendCatalog:
    catalog = BackendCatalog()
    catalog.load()
    return catalog


def _snapshot(catalog: BackendCatalog, name: str) -> SnapshotRef:
    snapshot = catalog.snapshot(name)
    if snapshot is None:
        pytest.skip(f"no snapshot of {name}")
    return snapshot


def _full_device_counts(snapshot: SnapshotRef, qobj: dict[str, Any]) -> dict[str, int]:
    """What the worker did before: the whole device's noise, every qubit simulated."""
    from qiskit_aer import AerSimulator
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    fake = type(
        "FullSnapshot",
        (FakeBackendV2,),
        {
            "dirname": snapshot.directory,
            "conf_filename": snapshot.conf_file,
            "props_filename": snapshot.props_file,
            "backend_name": snapshot.backend_name,
        },
    )()
    simulator = AerSimulator.from_backend(fake)
    result = simulator.run(qobj_to_circuits(qobj), shots=SHOTS, seed_simulator=SEED).result()
    return {str(k): int(v) for k, v in result.get_counts(0).items()}


def _reduced_counts(snapshot: SnapshotRef, qobj: dict[str, Any]) -> dict[str, int]:
    request = ExecutionRequest(
        "reduced", snapshot.backend_name, "1.0.0", json.dumps(qobj).encode(), snapshot
    )
    outcome = execute(request)
    assert outcome.success, outcome.error_message
    counts: dict[str, int] = json.loads(outcome.result_json)["results"][0]["data"]["counts"]
    # Aer keys counts by bit string for get_counts(); the Result JSON by hex.
    width = qobj["experiments"][0]["config"]["memory_slots"]
    return {format(int(key, 16), f"0{width}b"): n for key, n in counts.items()}


def _distance(a: dict[str, int], b: dict[str, int]) -> float:
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0) / SHOTS - b.get(k, 0) / SHOTS) for k in keys)


def _ghz(build: Any, chain: list[int], n_qubits: int, two_qubit: str = "cx") -> dict[str, Any]:
    experiment: dict[str, Any] = build.ghz_device(chain, n_qubits)
    for instruction in experiment["instructions"]:
        if instruction["name"] == "cx":
            instruction["name"] = two_qubit
    return experiment


# -- the reduction itself ----------------------------------------------------------------------


def test_reduction_renumbers_qubits_and_keeps_memory_slots(build: Any) -> None:
    experiment = build.experiment(
        [
            {"name": "barrier", "qubits": list(range(127))},
            {"name": "x", "qubits": [120]},
            {"name": "delay", "qubits": [50], "params": [100]},
            {"name": "cx", "qubits": [120, 3]},
            {"name": "barrier", "qubits": [7, 8]},
            {"name": "barrier", "qubits": []},
            {"name": "bfunc", "mask": "0x1", "val": "0x1", "relation": "==", "register": 0},
            {"name": "x", "qubits": [3], "conditional": 0},
            *build.measure([120, 3]),
        ],
        127,
        2,
    )
    qobj = build.qobj([experiment], "ibm_brisbane")
    original = json.dumps(qobj)

    reduced, used = reduce_qobj(qobj)

    assert used == (3, 120)
    assert json.dumps(qobj) == original  # not modified
    [out] = reduced["experiments"]
    assert out["config"]["n_qubits"] == 2 and reduced["config"]["n_qubits"] == 2
    assert out["config"]["memory_slots"] == 2
    assert [(i["name"], i.get("qubits"), i.get("memory")) for i in out["instructions"]] == [
        ("barrier", [0, 1], None),
        ("x", [1], None),
        ("cx", [1, 0], None),
        ("barrier", [], None),
        ("bfunc", None, None),
        ("x", [0], None),
        ("measure", [1], [0]),
        ("measure", [0], [1]),
    ]
    assert out["instructions"][5]["conditional"] == 0


def test_a_job_on_no_qubit_simulates_one(build: Any) -> None:
    qobj = build.qobj([build.experiment([{"name": "barrier", "qubits": [4]}], 5, 1)], "x")
    assert used_qubits(qobj) == (0,)
    assert reduce_qobj(qobj)[0]["experiments"][0]["instructions"] == []


def test_bad_qubits_are_a_failed_job_not_a_crash(catalog: BackendCatalog, build: Any) -> None:
    snapshot = _snapshot(catalog, "ibmq_manila")
    for qubits in ([7], ["a"]):
        qobj = build.qobj([build.experiment([{"name": "x", "qubits": qubits}], 8, 1)], "m")
        request = ExecutionRequest("bad", "ibmq_manila", "1", json.dumps(qobj).encode(), snapshot)
        outcome = execute(request)
        assert not outcome.success
        assert outcome.error_message


# -- the same distribution as the whole device -------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "n_qubits", "chain", "two_qubit"),
    [
        ("ibmq_manila", 5, [3, 2, 1], "cx"),  # renumbered, reversed order
        ("ibmq_kolkata", 27, [25, 22, 19, 16], "cx"),  # high qubits, a 4-qubit chain
    ],
)
def test_reduced_noise_gives_the_whole_device_distribution(
    catalog: BackendCatalog,
    build: Any,
    backend: str,
    n_qubits: int,
    chain: list[int],
    two_qubit: str,
) -> None:
    snapshot = _snapshot(catalog, backend)
    experiment = _ghz(build, chain, n_qubits, two_qubit)
    qobj = build.qobj([experiment], backend, shots=SHOTS, seed_simulator=SEED)

    full = _full_device_counts(snapshot, qobj)
    reduced = _reduced_counts(snapshot, qobj)

    assert sum(reduced.values()) == SHOTS
    ideal = {"0" * len(chain), "1" * len(chain)}
    noisy = sum(n for key, n in reduced.items() if key not in ideal)
    assert noisy > 0.01 * SHOTS  # the device's noise is there ...
    assert _distance(full, reduced) < TOLERANCE  # ... and it is the whole device's


def test_readout_error_of_the_measured_qubit_is_kept(catalog: BackendCatalog, build: Any) -> None:
    """Only measuring qubit 4 of manila: the 0s read as 1 are that qubit's readout error."""
    snapshot = _snapshot(catalog, "ibmq_manila")
    experiment = build.experiment(build.measure([4]), 5, 1)
    qobj = build.qobj([experiment], "ibmq_manila", shots=SHOTS, seed_simulator=SEED)
    full = _full_device_counts(snapshot, qobj)
    reduced = _reduced_counts(snapshot, qobj)
    assert reduced.get("1", 0) > 0
    assert _distance(full, reduced) < TOLERANCE


# -- through the service, on a 156-qubit device ------------------------------------------------

FEZ = "ibm_fez"  # 156 qubits, basis cz/id/rz/sx/x; 120-121 and 122-123 are coupled


def test_qubits_above_100_keep_their_memory_slots(api: Any, build: Any) -> None:
    experiment = build.experiment(
        [
            {"name": "x", "qubits": [122]},
            *build.measure([3, 122]),  # qubit 3 -> slot 0, qubit 122 -> slot 1
        ],
        156,
        2,
    )
    job = api.run(build.qobj([experiment], FEZ, shots=2000, seed_simulator=5), FEZ)
    assert job["status"] == "COMPLETED", job.get("error")
    counts = api.result(job["id"])["results"][0]["data"]["counts"]
    assert sum(counts.values()) == 2000
    assert counts.get("0x2", 0) > 0.8 * 2000  # slot 1 set, slot 0 clear
    assert counts.get("0x2", 0) < 2000  # with the device's noise


def test_noisy_bell_pair_above_100(api: Any, build: Any) -> None:
    h = [
        {"name": "rz", "qubits": [121], "params": [math.pi / 2]},
        {"name": "sx", "qubits": [121]},
        {"name": "rz", "qubits": [121], "params": [math.pi / 2]},
    ]
    h_target = [dict(gate, qubits=[120]) for gate in h]
    gates = [*h, *h_target, {"name": "cz", "qubits": [121, 120]}, *h_target]  # CX = H CZ H
    experiment = build.experiment([*gates, *build.measure([121, 120])], 156, 2)
    job = api.run(build.qobj([experiment], FEZ, shots=2000, seed_simulator=7), FEZ)
    assert job["status"] == "COMPLETED", job.get("error")
    counts = api.result(job["id"])["results"][0]["data"]["counts"]
    correlated = counts.get("0x0", 0) + counts.get("0x3", 0)
    assert correlated > 0.8 * 2000
    assert correlated < 2000
    assert min(counts.get("0x0", 0), counts.get("0x3", 0)) > 600


def test_conditional_and_reset_on_a_device(api: Any, build: Any) -> None:
    experiment = build.experiment(
        [
            {"name": "x", "qubits": [130]},
            {"name": "measure", "qubits": [130], "memory": [0]},
            {"name": "bfunc", "mask": "0x1", "val": "0x1", "relation": "==", "register": 0},
            {"name": "x", "qubits": [131], "conditional": 0},
            {"name": "measure", "qubits": [131], "memory": [1]},
            {"name": "reset", "qubits": [130]},
            {"name": "measure", "qubits": [130], "memory": [2]},
        ],
        156,
        3,
    )
    job = api.run(build.qobj([experiment], FEZ, shots=2000, seed_simulator=9), FEZ)
    assert job["status"] == "COMPLETED", job.get("error")
    counts = api.result(job["id"])["results"][0]["data"]["counts"]
    assert counts.get("0x3", 0) > 0.8 * 2000  # slot 0 and (conditionally) slot 1 set, reset
