"""Unit tests of Qobj validation against backend configurations (no server)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ibmq_async._core.codes import JobErrorCode
from ibmq_async._core.validate import JobValidationError, validate_qobj
from ibmq_local._catalog import BackendCatalog
from ibmq_local._simulator_config import simulator_configuration


@pytest.fixture(scope="module")
def vigo() -> dict[str, Any]:
    configuration = BackendCatalog().configuration("ibmq_vigo")
    assert configuration is not None
    return configuration


def qobj(instructions: list[dict[str, Any]], n_qubits: int = 5, **config: Any) -> dict[str, Any]:
    return {
        "qobj_id": "q",
        "type": "QASM",
        "header": {},
        "config": {"shots": 100, **config},
        "experiments": [
            {
                "header": {"name": "c", "n_qubits": n_qubits, "memory_slots": 1},
                "config": {"n_qubits": n_qubits, "memory_slots": 1},
                "instructions": instructions,
            }
        ],
    }


GOOD = [
    {"name": "rz", "qubits": [0], "params": [0.5]},
    {"name": "sx", "qubits": [0]},
    {"name": "cx", "qubits": [0, 1]},
    {"name": "cx", "qubits": [1, 0]},
    {"name": "reset", "qubits": [2]},
    {"name": "delay", "qubits": [2], "params": [100]},
    {"name": "barrier", "qubits": [0, 1, 2]},
    {"name": "measure", "qubits": [1], "memory": [0]},
    {"name": "bfunc", "mask": "0x1", "relation": "==", "val": "0x1", "register": 1},
    {"name": "x", "qubits": [3], "conditional": 1},
]


def test_a_transpiled_circuit_passes(vigo: dict[str, Any]) -> None:
    summary = validate_qobj(json.dumps(qobj(GOOD)).encode(), vigo)
    assert (summary.qobj_id, summary.shots, summary.n_experiments) == ("q", 100, 1)


@pytest.mark.parametrize(
    ("payload", "code", "words"),
    [
        (qobj([{"name": "h", "qubits": [0]}]), JobErrorCode.INSTRUCTION_NOT_SUPPORTED, "'h'"),
        (qobj([{"name": "cx", "qubits": [0, 2]}]), JobErrorCode.COUPLING_MAP_VIOLATION, "0->2"),
        (qobj([{"name": "x", "qubits": [5]}]), JobErrorCode.TOO_MANY_QUBITS, "qubit 5"),
        (qobj([], n_qubits=6), JobErrorCode.TOO_MANY_QUBITS, "6 qubits"),
        (qobj([], shots=8193), JobErrorCode.INVALID_SHOTS, "max_shots"),
        (qobj([], shots=0), JobErrorCode.INVALID_SHOTS, "positive"),
        (qobj([], shots=10.5), JobErrorCode.INVALID_SHOTS, "positive"),
        (qobj([{"name": "rz", "qubits": [0]}]), JobErrorCode.INVALID_PARAMETERS, "parameter"),
        (
            qobj([{"name": "rz", "qubits": [0], "params": ["theta"]}]),
            JobErrorCode.INVALID_PARAMETERS,
            "bound",
        ),
        (qobj([], seed_simulator=-1), JobErrorCode.INVALID_RUN_OPTION, "seed"),
        (
            qobj([{"name": "rz", "qubits": [0], "params": [float("nan")]}]),
            JobErrorCode.INVALID_PARAMETERS,
            "bound",
        ),
        (
            qobj([{"name": "measure", "qubits": [0], "memory": [10**9]}]),
            JobErrorCode.MALFORMED_QOBJ,
            "memory",
        ),
        ({"type": "PULSE", "experiments": []}, JobErrorCode.UNSUPPORTED_QOBJ_TYPE, "Pulse"),
        ({"type": "QASM", "experiments": []}, JobErrorCode.MALFORMED_QOBJ, "experiments"),
        (qobj([{"qubits": [0]}]), JobErrorCode.MALFORMED_QOBJ, "no name"),
        (qobj([{"name": "cx", "qubits": [1, 1]}]), JobErrorCode.MALFORMED_QOBJ, "repeated"),
        (
            qobj([{"name": "x", "qubits": [0], "conditional": 3}]),
            JobErrorCode.MALFORMED_QOBJ,
            "bfunc",
        ),
        (qobj([{"name": "measure", "qubits": [0]}]), JobErrorCode.MALFORMED_QOBJ, "memory"),
        (qobj([{"name": "cx", "qubits": [0]}]), JobErrorCode.MALFORMED_QOBJ, "2 qubit"),
    ],
)
def test_failures_carry_code_and_message(
    vigo: dict[str, Any], payload: dict[str, Any], code: JobErrorCode, words: str
) -> None:
    with pytest.raises(JobValidationError) as caught:
        validate_qobj(json.dumps(payload).encode(), vigo)
    assert caught.value.code == code
    assert words in caught.value.message


def test_too_many_experiments(vigo: dict[str, Any]) -> None:
    payload = qobj([])
    payload["experiments"] = payload["experiments"] * (vigo["max_experiments"] + 1)
    with pytest.raises(JobValidationError) as caught:
        validate_qobj(payload, vigo)
    assert caught.value.code == JobErrorCode.TOO_MANY_EXPERIMENTS


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_undecodable_uploads_are_malformed(vigo: dict[str, Any], raw: bytes) -> None:
    with pytest.raises(JobValidationError) as caught:
        validate_qobj(raw, vigo)
    assert caught.value.code == JobErrorCode.MALFORMED_QOBJ


def test_simulator_accepts_standard_gates_and_checks_method() -> None:
    simulator = simulator_configuration()
    payload = qobj(
        [
            {"name": "h", "qubits": [0]},
            {"name": "ccx", "qubits": [0, 1, 31]},
            {"name": "cx", "qubits": [5, 0]},
        ],
        n_qubits=32,
    )
    validate_qobj(payload, simulator)
    with pytest.raises(JobValidationError) as caught:
        validate_qobj(qobj([], method="quantum_magic"), simulator)
    assert caught.value.code == JobErrorCode.INVALID_RUN_OPTION
    with pytest.raises(JobValidationError) as caught:
        validate_qobj(qobj([], n_qubits=33), simulator)
    assert caught.value.code == JobErrorCode.TOO_MANY_QUBITS


def test_deeply_nested_upload_is_malformed_not_a_crash(vigo: dict[str, Any]) -> None:
    with pytest.raises(JobValidationError) as caught:
        validate_qobj(b"[" * 100_000 + b"]" * 100_000, vigo)
    assert caught.value.code == JobErrorCode.MALFORMED_QOBJ
