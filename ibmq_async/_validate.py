"""Checks that a QasmQobj can run on a backend, shared by the client and the local service.

The client runs them before it sends anything (so a bad circuit costs no request); the local
service runs the very same checks on what it receives, like a real device would, and fails the
job with ``ERROR_VALIDATING_JOB`` and the problem's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALWAYS_ALLOWED = frozenset({"measure", "barrier", "reset", "delay", "bfunc", "snapshot"})
"""Instructions that every backend accepts whatever its ``basis_gates``."""


@dataclass(frozen=True)
class Problem:
    """One reason why a Qobj cannot run: a stable numeric code and a message."""

    code: int
    message: str


# Numeric codes of validation failures, stable across releases.
TOO_MANY_QUBITS = 1101
GATE_NOT_IN_BASIS = 1102
NOT_IN_COUPLING_MAP = 1103
SHOTS_OUT_OF_RANGE = 1104
TOO_MANY_EXPERIMENTS = 1105
MEMORY_NOT_SUPPORTED = 1106
MALFORMED_QOBJ = 1107


def _gate_qubits(instruction: Mapping[str, Any]) -> list[int]:
    qubits = instruction.get("qubits") or []
    return [int(q) for q in qubits]


def validate_qobj(qobj: Mapping[str, Any], config: Mapping[str, Any]) -> list[Problem]:
    """Every reason why ``qobj`` (the wire dict) cannot run on the backend ``config`` describes.

    An empty list means the Qobj is acceptable. Checks: shots within ``1..max_shots``, the number
    of experiments within ``max_experiments``, each experiment's width within ``n_qubits``, every
    instruction in ``basis_gates`` (plus measure, barrier, reset, delay), every multi-qubit gate
    on a pair of the (directed) ``coupling_map``, and ``memory`` only where supported.
    """
    problems: list[Problem] = []
    name = config.get("backend_name", "the backend")
    try:
        qobj_config = qobj.get("config") or {}
        experiments = list(qobj.get("experiments") or [])
    except AttributeError:
        return [Problem(MALFORMED_QOBJ, "The Qobj is not a JSON object.")]
    if qobj.get("type", "QASM") != "QASM":
        return [Problem(MALFORMED_QOBJ, f"Only QASM Qobjs can run on {name}.")]
    if not experiments:
        problems.append(Problem(MALFORMED_QOBJ, "The Qobj has no experiments."))

    shots = qobj_config.get("shots")
    max_shots = config.get("max_shots")
    if not isinstance(shots, int) or isinstance(shots, bool) or shots < 1:
        problems.append(Problem(SHOTS_OUT_OF_RANGE, f"Invalid number of shots: {shots!r}."))
    elif isinstance(max_shots, int) and shots > max_shots:
        problems.append(
            Problem(
                SHOTS_OUT_OF_RANGE,
                f"Number of shots specified: {shots} exceeds max_shots property of the "
                f"backend: {max_shots}.",
            )
        )
    max_experiments = config.get("max_experiments")
    if isinstance(max_experiments, int) and len(experiments) > max_experiments:
        problems.append(
            Problem(
                TOO_MANY_EXPERIMENTS,
                f"{len(experiments)} experiments exceed the maximum of {max_experiments} "
                f"of {name}.",
            )
        )
    if qobj_config.get("memory") and not config.get("memory", False):
        problems.append(Problem(MEMORY_NOT_SUPPORTED, f"{name} does not support memory."))

    n_qubits = int(config.get("n_qubits", 0))
    basis = set(config.get("basis_gates") or ()) | ALWAYS_ALLOWED
    coupling = config.get("coupling_map")
    edges = {(int(a), int(b)) for a, b in coupling} if coupling else None
    for index, experiment in enumerate(experiments):
        label = (experiment.get("header") or {}).get("name") or f"experiment {index}"
        problems.extend(_check_experiment(experiment, label, name, n_qubits, basis, edges))
    return problems


def _check_experiment(
    experiment: Mapping[str, Any],
    label: str,
    backend: str,
    n_qubits: int,
    basis: set[str],
    edges: set[tuple[int, int]] | None,
) -> list[Problem]:
    problems: list[Problem] = []
    width = int((experiment.get("config") or {}).get("n_qubits", 0))
    used = {q for inst in experiment.get("instructions") or [] for q in _gate_qubits(inst)}
    width = max(width, max(used, default=-1) + 1)
    if width > n_qubits:
        return [
            Problem(
                TOO_MANY_QUBITS,
                f"Circuit '{label}' uses {width} qubits, more than the {n_qubits} of {backend}.",
            )
        ]
    reported: set[tuple[str, tuple[int, ...]]] = set()
    for inst in experiment.get("instructions") or []:
        gate = str(inst.get("name"))
        qubits = tuple(_gate_qubits(inst))
        if (gate, qubits) in reported:
            continue
        if gate not in basis:
            reported.add((gate, qubits))
            problems.append(
                Problem(
                    GATE_NOT_IN_BASIS,
                    f"Circuit '{label}' contains instruction '{gate}' on qubits {list(qubits)}, "
                    f"which is not in the basis gates of {backend}: "
                    f"{sorted(basis - ALWAYS_ALLOWED)}.",
                )
            )
        elif (
            edges is not None
            and len(qubits) == 2
            and gate not in ALWAYS_ALLOWED
            and qubits not in edges
        ):
            reported.add((gate, qubits))
            problems.append(
                Problem(
                    NOT_IN_COUPLING_MAP,
                    f"Circuit '{label}' applies '{gate}' to qubits {list(qubits)}, a pair that "
                    f"is not in the coupling map of {backend}.",
                )
            )
    return problems
