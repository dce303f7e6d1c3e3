"""Turn QASM Qobj experiments back into qiskit 2 ``QuantumCircuit`` objects.

qiskit 2 dropped ``disassemble``; this module covers what ``assemble`` used to emit
(protocol 3.5):

* gates by name from qiskit's standard gate mapping, with numeric ``params``;
* ``measure`` (``qubits`` to ``memory`` slots), ``barrier``, ``reset``;
* ``delay`` with its duration in ``dt``;
* ``bfunc`` followed by instructions carrying ``conditional``: an ``if_test`` on the
  memory clbits selected by the mask;
* ``unitary`` (matrix entries as numbers or ``[re, im]``) and ``initialize``.

Every circuit has one quantum register ``q`` and one classical register ``c`` spanning
the memory slots, so simulator counts are keyed by memory slots as the Result schema
wants.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qiskit.circuit import ClassicalRegister, Clbit, Gate, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.exceptions import QiskitError


class QobjFormatError(ValueError):
    """The experiment cannot be turned into a circuit."""


@dataclass(frozen=True)
class _Condition:
    mask: int
    value: int
    relation: str


@functools.cache
def _standard_gates() -> dict[str, Any]:
    mapping: dict[str, Any] = get_standard_gate_name_mapping()
    return mapping


def qobj_to_circuits(qobj: Mapping[str, Any]) -> list[QuantumCircuit]:
    """Convert every experiment of a QASM Qobj."""
    config = qobj.get("config") or {}
    experiments = qobj.get("experiments")
    if not isinstance(experiments, list):
        raise QobjFormatError("'experiments' must be a list")
    return [experiment_to_circuit(experiment, qobj_config=config) for experiment in experiments]


def experiment_to_circuit(
    experiment: Mapping[str, Any], *, qobj_config: Mapping[str, Any] | None = None
) -> QuantumCircuit:
    """Convert one Qobj experiment into a circuit.

    Raises:
        QobjFormatError: for an instruction that cannot be represented.
    """
    if not isinstance(experiment, Mapping):
        raise QobjFormatError("an experiment must be an object")
    header = experiment.get("header") or {}
    exp_config = experiment.get("config") or {}
    instructions = experiment.get("instructions")
    if not isinstance(instructions, list):
        raise QobjFormatError("'instructions' must be a list")
    qobj_config = qobj_config or {}

    n_qubits, n_clbits = _sizes(instructions, header, exp_config, qobj_config)
    registers: list[Any] = [QuantumRegister(n_qubits, "q")] if n_qubits else []
    if n_clbits:
        registers.append(ClassicalRegister(n_clbits, "c"))
    name = header.get("name")
    circuit = QuantumCircuit(*registers, name=name if isinstance(name, str) else None)
    phase = header.get("global_phase")
    if isinstance(phase, int | float) and not isinstance(phase, bool):
        circuit.global_phase = phase
    metadata = header.get("metadata")
    if isinstance(metadata, dict):
        circuit.metadata = metadata

    builder = _Builder(circuit)
    for position, instruction in enumerate(instructions):
        try:
            builder.add(instruction)
        except QobjFormatError as exc:
            raise QobjFormatError(f"instruction {position}: {exc}") from None
        except (QiskitError, TypeError, ValueError, IndexError, KeyError) as exc:
            raise QobjFormatError(f"instruction {position}: {exc}") from exc
    return circuit


def _sizes(
    instructions: list[Any],
    header: Mapping[str, Any],
    exp_config: Mapping[str, Any],
    qobj_config: Mapping[str, Any],
) -> tuple[int, int]:
    """Qubit and clbit counts: the declared ones, widened to what is actually used."""
    used_qubits = 0
    used_clbits = 0
    for instruction in instructions:
        if not isinstance(instruction, Mapping):
            raise QobjFormatError("an instruction must be an object")
        qubits = instruction.get("qubits") or []
        if qubits and all(isinstance(q, int) for q in qubits):
            used_qubits = max(used_qubits, max(qubits) + 1)
        memory = instruction.get("memory") or []
        if memory and all(isinstance(m, int) for m in memory):
            used_clbits = max(used_clbits, max(memory) + 1)
        if instruction.get("name") == "bfunc":
            mask = _hex(instruction.get("mask"), "mask")
            used_clbits = max(used_clbits, mask.bit_length())

    def declared(key: str) -> int:
        for source in (exp_config, header, qobj_config):
            value = source.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return value
        return 0

    return max(declared("n_qubits"), used_qubits), max(declared("memory_slots"), used_clbits)


def _hex(value: Any, what: str) -> int:
    if not isinstance(value, str):
        raise QobjFormatError(f"bfunc {what} must be a hex string")
    try:
        return int(value, 16)
    except ValueError:
        raise QobjFormatError(f"bfunc {what} {value!r} is not hexadecimal") from None


def _complex(value: Any) -> complex:
    if isinstance(value, list | tuple) and len(value) == 2:
        return complex(float(value[0]), float(value[1]))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return complex(value)
    raise QobjFormatError(f"{value!r} is not a number or [re, im] pair")


class _Builder:
    def __init__(self, circuit: QuantumCircuit) -> None:
        self.circuit = circuit
        self.conditions: dict[int, _Condition] = {}
        self.aliases: dict[int, ClassicalRegister] = {}

    def add(self, instruction: Mapping[str, Any]) -> None:
        name = instruction.get("name")
        if not isinstance(name, str):
            raise QobjFormatError("instruction without a name")
        if name == "bfunc":
            register = instruction.get("register")
            if not isinstance(register, int):
                raise QobjFormatError("bfunc needs an integer register")
            relation = instruction.get("relation", "==")
            if relation not in ("==", "!="):
                raise QobjFormatError(f"bfunc relation {relation!r} is not supported")
            self.conditions[register] = _Condition(
                _hex(instruction.get("mask"), "mask"),
                _hex(instruction.get("val"), "val"),
                relation,
            )
            return
        conditional = instruction.get("conditional")
        if conditional is None:
            self._append(name, instruction)
            return
        condition = self.conditions.get(conditional)
        if condition is None:
            raise QobjFormatError(f"conditional {conditional!r} has no preceding bfunc")
        self._append_conditioned(name, instruction, conditional, condition)

    def _append_conditioned(
        self, name: str, instruction: Mapping[str, Any], register: int, condition: _Condition
    ) -> None:
        bits = [i for i in range(condition.mask.bit_length()) if condition.mask >> i & 1]
        if not bits:
            # An empty mask compares 0 with val: the outcome is known without measuring.
            if (condition.value == 0) == (condition.relation == "=="):
                self._append(name, instruction)
            return
        clbits = self.circuit.clbits
        target: tuple[ClassicalRegister | Clbit, int]
        if len(bits) == 1:
            target = (clbits[bits[0]], condition.value >> bits[0] & 1)
        else:
            alias = self.aliases.get(register)
            if alias is None:
                alias = ClassicalRegister(name=f"bfunc{register}", bits=[clbits[i] for i in bits])
                self.circuit.add_register(alias)
                self.aliases[register] = alias
            value = sum((condition.value >> bit & 1) << k for k, bit in enumerate(bits))
            target = (alias, value)
        if condition.relation == "==":
            with self.circuit.if_test(target):
                self._append(name, instruction)
        else:
            with self.circuit.if_test(target) as otherwise:
                pass
            with otherwise:
                self._append(name, instruction)

    def _append(self, name: str, instruction: Mapping[str, Any]) -> None:
        circuit = self.circuit
        qubits = _int_list(instruction.get("qubits", []), "qubits")
        params = instruction.get("params") or []
        if not isinstance(params, list):
            raise QobjFormatError("'params' must be a list")
        if name == "measure":
            memory = _int_list(instruction.get("memory", []), "memory")
            if len(memory) != len(qubits):
                raise QobjFormatError("measure needs as many memory slots as qubits")
            for qubit, slot in zip(qubits, memory, strict=True):
                circuit.measure(qubit, slot)
        elif name == "barrier":
            circuit.barrier(*qubits) if qubits else circuit.barrier()
        elif name == "reset":
            for qubit in qubits:
                circuit.reset(qubit)
        elif name == "delay":
            if len(params) != 1:
                raise QobjFormatError("delay needs exactly one duration parameter")
            duration = params[0]
            if isinstance(duration, float) and duration.is_integer():
                duration = int(duration)
            circuit.delay(duration, qubits, unit="dt")
        elif name == "unitary":
            circuit.append(_unitary(params), qubits)
        elif name == "initialize":
            from qiskit.circuit.library import Initialize

            circuit.append(Initialize([_complex(a) for a in _flatten_amplitudes(params)]), qubits)
        else:
            circuit.append(_gate(name, params), qubits)


def _int_list(value: Any, what: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise QobjFormatError(f"'{what}' must be a list of integers")
    return value


def _gate(name: str, params: Sequence[Any]) -> Gate:
    template = _standard_gates().get(name)
    if template is None or not isinstance(template, Gate):
        raise QobjFormatError(f"unknown instruction {name!r}")
    if len(params) != len(template.params):
        raise QobjFormatError(f"{name!r} takes {len(template.params)} parameter(s)")
    if not params:
        return template
    numbers = []
    for param in params:
        if isinstance(param, bool) or not isinstance(param, int | float):
            raise QobjFormatError(f"{name!r} parameter {param!r} is not a number")
        numbers.append(float(param))
    gate: Gate = type(template)(*numbers)
    return gate


def _flatten_amplitudes(params: list[Any]) -> list[Any]:
    # Some encoders wrap the amplitude vector in one more list.
    if (
        len(params) == 1
        and isinstance(params[0], list)
        and params[0]
        and isinstance(params[0][0], list)
    ):
        return list(params[0])
    return params


def _unitary(params: list[Any]) -> Gate:
    import numpy as np
    from qiskit.circuit.library import UnitaryGate

    if not params or not isinstance(params[0], list):
        raise QobjFormatError("unitary needs a matrix parameter")
    try:
        matrix = np.array([[_complex(x) for x in row] for row in params[0]], dtype=complex)
    except TypeError:
        raise QobjFormatError("unitary matrix rows must be lists") from None
    try:
        return UnitaryGate(matrix)
    except Exception as exc:  # qiskit raises its own error types for a non-unitary matrix
        raise QobjFormatError(f"invalid unitary: {exc}") from None
