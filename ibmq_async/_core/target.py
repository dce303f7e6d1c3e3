"""A qiskit ``Target`` built from a backend configuration, so ``transpile(qc, backend)`` works."""

from __future__ import annotations

from qiskit.circuit import Delay, Measure, Parameter, Reset
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.transpiler import InstructionProperties, Target

from .models.configuration import BackendConfiguration
from .models.properties import BackendProperties

_ALWAYS = {"measure": Measure(), "reset": Reset(), "delay": Delay(Parameter("t"))}


def _props(
    properties: BackendProperties | None, gate: str, qubits: tuple[int, ...], dt: float | None
) -> InstructionProperties | None:
    if properties is None:
        return None
    error = properties.gate_property(gate, list(qubits), "gate_error")
    length = properties.gate_property(gate, list(qubits), "gate_length")
    if error is None and length is None:
        return None
    duration = length.value * 1e-9 if length is not None else None
    return InstructionProperties(error=error.value if error else None, duration=duration)


def build_target(
    config: BackendConfiguration, properties: BackendProperties | None = None
) -> Target:
    """The transpiler target of a backend: its basis gates on its coupling map.

    Gates with no coupling map apply to every qubit (or every pair, on a simulator without a
    coupling map). Gate errors and lengths come from ``properties`` when given.
    """
    dt = config.dt * 1e-9 if config.dt else None
    target = Target(num_qubits=config.n_qubits, dt=dt)
    library = get_standard_gate_name_mapping()
    edges = [tuple(edge) for edge in config.coupling_map] if config.coupling_map else None
    for name in config.basis_gates:
        gate = _ALWAYS.get(name) or library.get(name)
        if gate is None or name in target:
            continue
        if gate.num_qubits == 1:
            qargs: dict[tuple[int, ...], InstructionProperties | None] | None = {
                (q,): _props(properties, name, (q,), dt) for q in range(config.n_qubits)
            }
        elif gate.num_qubits == 2 and edges is not None:
            qargs = {(a, b): _props(properties, name, (a, b), dt) for a, b in edges}
        else:
            qargs = None  # every combination of qubits: an all-to-all simulator
        target.add_instruction(gate, qargs, name=name)
    for name, instruction in _ALWAYS.items():
        if name not in target:
            target.add_instruction(
                instruction, {(q,): None for q in range(config.n_qubits)}, name=name
            )
    return target
