"""Configuration of the ideal ``ibmq_qasm_simulator`` backend.

Its basis gates are the qiskit standard gates that qiskit-aer runs, so a circuit transpiled
for it runs. ``initialize`` and ``unitary`` are supported instructions but no basis gates:
qiskit 2 refuses them in ``transpile(basis_gates=...)``. The ``gates`` entries carry a
``qasm_def`` rendered from each gate's one-level qiskit definition.
"""

from __future__ import annotations

import functools
from importlib import metadata
from typing import Any

SIMULATOR_NAME = "ibmq_qasm_simulator"
SIMULATOR_QUBITS = 32
SIMULATOR_ONLINE_DATE = "2019-05-02T00:00:00.000Z"

# Instructions that are not gates in the Qobj sense but that qiskit lists as standard.
_NOT_GATES = frozenset({"measure", "reset", "delay", "global_phase", "barrier"})
# Gates without a qiskit definition, given as their OpenQASM 2 primitives.
_PRIMITIVES = {
    "u": "U(theta,phi,lambda) q0;",
    "cx": "CX q0,q1;",
    "id": "U(0,0,0) q0;",
}
_PARAMETER_NAMES = str.maketrans(
    {"\u03f4": "theta", "\u03c6": "phi", "\u03bb": "lambda", "\u03b3": "gamma", "\u03b2": "beta"}
)
_EXTRA_INSTRUCTIONS = ("initialize", "unitary")


def _aer_version() -> str:
    try:
        return metadata.version("qiskit-aer")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _render_param(value: Any) -> str:
    from qiskit.circuit import ParameterExpression
    from qiskit.circuit.tools import pi_check

    if isinstance(value, ParameterExpression):
        return str(value).translate(_PARAMETER_NAMES)
    return str(pi_check(value, output="qasm"))


def _qasm_def(name: str, gate: Any) -> str:
    params = [str(p).translate(_PARAMETER_NAMES) for p in gate.params]
    qargs = [f"q{i}" for i in range(gate.num_qubits)]
    head = f"gate {name}" + (f"({','.join(params)})" if params else "") + " " + ",".join(qargs)
    definition = gate.definition
    if definition is None:
        body = _PRIMITIVES.get(name, "")
    else:
        lines = []
        for instruction in definition.data:
            operation = instruction.operation
            args = ",".join(_render_param(p) for p in operation.params)
            targets = ",".join(f"q{definition.find_bit(q).index}" for q in instruction.qubits)
            lines.append(f"{operation.name}{f'({args})' if args else ''} {targets};")
        body = " ".join(lines)
    return f"{head} {{ {body} }}"


def _aer_operations() -> frozenset[str]:
    """The instructions qiskit-aer's simulator runs."""
    from qiskit_aer import AerSimulator

    return frozenset(AerSimulator().target.operation_names)


@functools.cache
def simulator_configuration() -> dict[str, Any]:
    """Return the backend configuration of the ideal simulator (computed once)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    gates = []
    names = []
    runnable = _aer_operations()
    for name, gate in sorted(get_standard_gate_name_mapping().items()):
        if name in _NOT_GATES or name not in runnable:
            continue
        names.append(name)
        gates.append(
            {
                "name": name,
                "parameters": [str(p).translate(_PARAMETER_NAMES) for p in gate.params],
                "qasm_def": _qasm_def(name, gate),
            }
        )
    return {
        "backend_name": SIMULATOR_NAME,
        "backend_version": _aer_version(),
        "n_qubits": SIMULATOR_QUBITS,
        "basis_gates": names,
        "gates": gates,
        "local": False,
        "simulator": True,
        "conditional": True,
        "open_pulse": False,
        "memory": True,
        "max_shots": 100000,
        "meas_levels": [2],
        "max_experiments": 300,
        "coupling_map": None,
        "online_date": SIMULATOR_ONLINE_DATE,
        "description": "Ideal, noise-free simulator (qiskit-aer) of the local service",
        "sample_name": "local",
        "n_registers": 1,
        "conditional_latency": [],
        "acquisition_latency": [],
        "input_allowed": ["job"],
        "supported_instructions": [
            *names,
            *_EXTRA_INSTRUCTIONS,
            "measure",
            "reset",
            "delay",
            "barrier",
        ],
    }
