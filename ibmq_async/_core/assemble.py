"""Circuits to QasmQobj: what qiskit-terra's ``assemble()`` did for ``IBMQBackend.run``.

qiskit 2 has neither ``assemble`` nor Qobj classes, so the upload body of protocol.md 3.5 is
built here, as plain data, without I/O. The output matches terra 0.46's for the same circuits
(``tests/unit/data/terra_0_46_qobjs.json`` is the reference), except where noted below.

Decisions, and deliberate differences from terra:

* **Bit order.** Instruction indices are the circuit's bit indices (``circuit.find_bit``), and
  ``qubit_labels``/``clbit_labels`` list one ``[register, index]`` per bit *in that order*, so
  that ``labels[i]`` always names bit ``i``. ``n_qubits``/``memory_slots`` are the circuit's bit
  counts. For ordinary circuits (every bit in exactly one register, registers added in order)
  this is exactly terra's output. Terra instead walked the registers, which mislabels bits and
  miscounts when a bit is in no register or in several.
* **Bits in no register** (``QuantumCircuit([Qubit(), Clbit()])``) are put in one synthesized
  register per kind, named ``q``/``c`` (or ``q_1``, ``c_1``, ... if taken), appended last to
  ``qreg_sizes``/``creg_sizes``. A bit in several registers is labelled by its first one.
* **Delays.** The Qobj has no unit field; a delay's ``params`` is ``[duration in dt]``. A delay
  in ``dt`` is sent as an int. A delay in SI units (``s``, ``ms``, ``us``, ``ns``, ``ps``) is
  converted to the nearest whole number of samples when the caller passes the backend's ``dt``
  (seconds), and otherwise raises :class:`QobjAssemblyError`. (Terra 0.46 sent the bare number
  in whatever unit it had, so ``delay(1, unit="us")`` became one ``dt``: silently wrong.)
  Delays of stretch (``expr``) duration are rejected.
* **Conditionals.** qiskit 2 has no ``c_if``; a top-level ``if_test`` whose condition is
  ``(Clbit, bool/int)`` or ``(ClassicalRegister, int)``, with no ``else`` and a body of gates,
  measurements and resets only, is sent as terra sent a ``c_if``: a ``bfunc`` into a fresh
  register slot (``memory_slots + k``) before each such block, ``conditional`` on every body
  instruction, and ``register`` on every measurement of the experiment. Any other control flow
  (``else``, expression conditions, loops, ``switch``, ``box``, nesting), ``Store``, and
  operations that are not circuit instructions are rejected.
* **Names.** An experiment keeps its circuit's name, also after parameter binding (terra 0.46
  and qiskit 2 rename bound copies ``<name>-<counter>``).
* **Params.** Real gate parameters are floats; complex values ``[re, im]``; numpy values plain
  Python; bound parameter expressions their value. Unbound parameters are an error.
* ``meas_level=0`` keeps ``meas_level`` and ``meas_return`` in the config (terra dropped both,
  because it tested ``if meas_level:``).
"""

from __future__ import annotations

import numbers
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from qiskit.circuit import (
    ClassicalRegister,
    Clbit,
    ControlFlowOp,
    Delay,
    Gate,
    IfElseOp,
    Instruction,
    Measure,
    Parameter,
    ParameterExpression,
    QuantumCircuit,
    Reset,
)

from .gc_pause import gc_paused
from .models.qobj import QasmQobj, QasmQobjConfig, QobjHeader, json_ready
from .run_options import ASSEMBLER_OPTIONS, shots_problem

__all__ = ["QobjAssemblyError", "circuits_to_qobj"]

_SI_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}
_MEAS_RETURNS = ("avg", "single")
_CONFIG_FIELDS = ASSEMBLER_OPTIONS | {
    "parameter_binds",
    "n_qubits",
    "memory_slots",
    "parametric_pulses",
}
"""Qobj config keys computed from this module's own arguments."""


class QobjAssemblyError(ValueError):
    """A circuit or run option cannot be expressed as a QasmQobj."""


def circuits_to_qobj(
    circuits: QuantumCircuit | Sequence[QuantumCircuit],
    *,
    backend_name: str,
    backend_version: str,
    shots: int,
    memory: bool = False,
    meas_level: int = 2,
    meas_return: str = "avg",
    init_qubits: bool = True,
    use_measure_esp: bool | None = None,
    rep_delay: float | None = None,
    parameter_binds: Sequence[Mapping[Parameter, Any]] | None = None,
    header: Mapping[str, Any] | None = None,
    qobj_id: str | None = None,
    parametric_pulses: Sequence[str] | None = None,
    extra_config: Mapping[str, Any] | None = None,
    dt: float | None = None,
) -> QasmQobj:
    """Serialize circuits into the QasmQobj that ``IBMQBackend.run`` uploads.

    Args:
        circuits: one circuit or a sequence of them, already transpiled for the backend.
        backend_name: goes into the Qobj header.
        backend_version: goes into the Qobj header.
        shots: number of repetitions of each circuit.
        memory: whether per-shot bitstrings are requested.
        meas_level: measurement level (0, 1 or 2).
        meas_return: ``"avg"`` or ``"single"``; sent only when ``meas_level`` is not 2.
        init_qubits: whether qubits are reset before each shot.
        use_measure_esp: ESP readout; sent only when not ``None``.
        rep_delay: delay between shots **in microseconds**, the wire unit (``run()`` takes
            seconds; converting and range-checking against the backend are the caller's).
            Sent as a float only when given.
        parameter_binds: one ``{parameter: value}`` mapping per binding. Every circuit is bound
            with every mapping, giving one experiment per (circuit, binding) pair, circuit-major;
            each mapping must bind exactly the circuit's parameters. ``config.parameter_binds``
            is then sent as ``[]``.
        header: user header keys, merged after ``backend_name``/``backend_version`` (so they may
            override them); keys whose value is ``None`` are left out.
        qobj_id: the Qobj id; a uuid4 string when not given.
        parametric_pulses: the backend's parametric pulse shapes; ``[]`` when not given.
        extra_config: further run options copied into the config (``seed_simulator``, ...);
            ``None`` values are left out. They may not repeat a key set by the other arguments.
        dt: the backend's sample time **in seconds** (a configuration document gives it in
            nanoseconds), used to convert delays given in SI units into ``dt``.

    Returns:
        The Qobj; ``to_wire()`` gives the upload body.

    Raises:
        QobjAssemblyError: for an unbound parameter, an instruction the Qobj cannot express,
            a delay in SI units without ``dt``, a value with no JSON form, or an invalid option.
    """
    circuit_list = _as_circuit_list(circuits)
    _check_options(shots, meas_level, meas_return, dt)

    pairs = _bind_all(circuit_list, parameter_binds)
    with gc_paused():
        experiments = [_experiment(bound, name=source.name, dt=dt) for source, bound in pairs]
    header_model = _qobj_header(backend_name, backend_version, header)

    config = QasmQobjConfig(
        shots=int(shots),
        memory=bool(memory),
        parameter_binds=[],
        meas_level=int(meas_level),
        meas_return=str(meas_return) if meas_level != 2 else None,
        n_qubits=max(e["config"]["n_qubits"] for e in experiments),
        memory_slots=max(e["config"]["memory_slots"] for e in experiments),
        rep_delay=float(rep_delay) if rep_delay is not None else None,
        init_qubits=bool(init_qubits),
        use_measure_esp=bool(use_measure_esp) if use_measure_esp is not None else None,
        parametric_pulses=list(parametric_pulses) if parametric_pulses is not None else [],
        **_extra_config(extra_config),
    )
    # The experiments are built as wire data in one pass over each circuit (no model per
    # instruction); the Qobj builds their models only if someone reads them.
    return QasmQobj.from_wire_experiments(
        qobj_id=qobj_id if qobj_id is not None else str(uuid.uuid4()),
        header=header_model,
        config=config,
        experiments=experiments,
    )


# -- options ---------------------------------------------------------------------------------


def _as_circuit_list(circuits: QuantumCircuit | Sequence[QuantumCircuit]) -> list[QuantumCircuit]:
    circuit_list = [circuits] if isinstance(circuits, QuantumCircuit) else list(circuits)
    if not circuit_list:
        raise QobjAssemblyError("No circuits to assemble.")
    for circuit in circuit_list:
        if not isinstance(circuit, QuantumCircuit):
            raise QobjAssemblyError(
                f"Expected QuantumCircuit objects, got {type(circuit).__name__}."
            )
    return circuit_list


def _check_options(shots: int, meas_level: int, meas_return: str, dt: float | None) -> None:
    problem = shots_problem(shots)
    if problem is not None:
        raise QobjAssemblyError(problem)
    if meas_level not in (0, 1, 2):
        raise QobjAssemblyError(f"meas_level must be 0, 1 or 2, got {meas_level!r}.")
    if meas_level != 2 and meas_return not in _MEAS_RETURNS:
        raise QobjAssemblyError(f"meas_return must be 'avg' or 'single', got {meas_return!r}.")
    if dt is not None and not dt > 0:
        raise QobjAssemblyError(f"dt must be a positive number of seconds, got {dt!r}.")


def _qobj_header(
    backend_name: str, backend_version: str, header: Mapping[str, Any] | None
) -> QobjHeader:
    merged: dict[str, Any] = {"backend_name": backend_name, "backend_version": backend_version}
    merged.update(header or {})
    return QobjHeader(**_json_fields(merged, "Qobj header"))


def _extra_config(extra: Mapping[str, Any] | None) -> dict[str, Any]:
    fields = _json_fields(extra or {}, "extra_config")
    clashes = sorted(_CONFIG_FIELDS.intersection(fields))
    if clashes:
        raise QobjAssemblyError(
            f"extra_config may not set {', '.join(clashes)}: "
            "they come from circuits_to_qobj's own arguments."
        )
    return fields


def _json_fields(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Keys with a value, as JSON data (``None`` values are left out, as terra did)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if not isinstance(key, str):
            raise QobjAssemblyError(f"{where} keys must be strings, got {key!r}.")
        out[key] = _json_value(value, f"{where} key {key!r}")
    return out


def _json_value(value: Any, where: str) -> Any:
    try:
        return json_ready(value)
    except TypeError as exc:
        raise QobjAssemblyError(f"{where}: {exc}") from exc


# -- parameters ------------------------------------------------------------------------------


def _bind_all(
    circuits: list[QuantumCircuit],
    parameter_binds: Sequence[Mapping[Parameter, Any]] | None,
) -> list[tuple[QuantumCircuit, QuantumCircuit]]:
    """``(source, bound)`` pairs: one per circuit, or one per (circuit, binding) pair."""
    binds = list(parameter_binds or [])
    if not any(binds):
        pairs = [(circuit, circuit) for circuit in circuits]
    else:
        pairs = []
        for index, circuit in enumerate(circuits):
            for bind in binds:
                try:
                    bound = circuit.assign_parameters(bind, inplace=False, strict=True)
                except Exception as exc:  # qiskit raises CircuitError, TypeError, ...
                    raise QobjAssemblyError(
                        f"Cannot bind parameter_binds to circuit {index} ({circuit.name!r}): {exc}"
                    ) from exc
                pairs.append((circuit, bound))
    for source, bound in pairs:
        if bound.parameters:
            names = ", ".join(sorted(p.name for p in bound.parameters))
            raise QobjAssemblyError(
                f"Circuit {source.name!r} has unbound parameters: {names}. Bind them with "
                "assign_parameters() or parameter_binds."
            )
    return pairs


def _param_value(value: Any, *, gate: bool, where: str) -> Any:
    """One instruction parameter as JSON data."""
    if isinstance(value, ParameterExpression):
        if value.parameters:
            names = ", ".join(sorted(p.name for p in value.parameters))
            raise QobjAssemblyError(f"{where}: unbound parameters {names}.")
        value = value.numeric()
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return float(value) if gate else int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, numbers.Complex):
        return [float(value.real), float(value.imag)]
    return _json_value(value, where)


# -- experiments -----------------------------------------------------------------------------


def _free_name(base: str, taken: set[str]) -> str:
    name, counter = base, 0
    while name in taken:
        counter += 1
        name = f"{base}_{counter}"
    return name


def _labels(
    circuit: QuantumCircuit, bits: Sequence[Any], registers: Sequence[Any], loose_base: str
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Per-bit ``[register, index]`` labels in bit order, and ``[register, size]`` sizes."""
    loose_name = _free_name(loose_base, {register.name for register in registers})
    labels: list[tuple[str, int]] = []
    loose = 0
    for bit in bits:
        owners = circuit.find_bit(bit).registers
        if owners:
            register, index = owners[0]
            labels.append((register.name, index))
        else:
            labels.append((loose_name, loose))
            loose += 1
    sizes = [(register.name, register.size) for register in registers]
    if loose:
        sizes.append((loose_name, loose))
    return labels, sizes


def _experiment(circuit: QuantumCircuit, *, name: str, dt: float | None) -> dict[str, Any]:
    """One experiment as wire data, in the key order the typed models dump."""
    n_qubits = circuit.num_qubits
    memory_slots = circuit.num_clbits
    qubit_labels, qreg_sizes = _labels(circuit, circuit.qubits, circuit.qregs, "q")
    clbit_labels, creg_sizes = _labels(circuit, circuit.clbits, circuit.cregs, "c")
    metadata = _json_value(dict(circuit.metadata or {}), f"Circuit {name!r} metadata")

    instructions = _InstructionBuilder(circuit, name=name, dt=dt).build()

    header = {
        "name": name,
        "global_phase": float(circuit.global_phase),
        "metadata": metadata,
        "n_qubits": n_qubits,
        "memory_slots": memory_slots,
        "qubit_labels": [list(label) for label in qubit_labels],
        "clbit_labels": [list(label) for label in clbit_labels],
        "qreg_sizes": [list(size) for size in qreg_sizes],
        "creg_sizes": [list(size) for size in creg_sizes],
    }
    return {
        "header": header,
        "config": {"n_qubits": n_qubits, "memory_slots": memory_slots},
        "instructions": instructions,
    }


class _InstructionBuilder:
    """Turns one bound circuit's data into Qobj instructions (wire dicts)."""

    def __init__(self, circuit: QuantumCircuit, *, name: str, dt: float | None) -> None:
        self._circuit = circuit
        self._name = name
        self._dt = dt
        self._qubit_index = {bit: index for index, bit in enumerate(circuit.qubits)}
        self._clbit_index = {bit: index for index, bit in enumerate(circuit.clbits)}
        # ``count_ops`` is cheap; only operations named "if_else" are looked at.
        self._conditional = "if_else" in circuit.count_ops() and any(
            isinstance(ci.operation, IfElseOp) for ci in circuit.data if ci.name == "if_else"
        )
        self._next_register = circuit.num_clbits

    def _where(self, position: int, name: str) -> str:
        return f"Circuit {self._name!r}, instruction {position} ({name!r})"

    def build(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        append = out.append
        qubit_index = self._qubit_index
        clbit_index = self._clbit_index
        for position, ci in enumerate(self._circuit.data):
            if ci.is_standard_gate():
                # The hot path: a standard gate is a Gate with no clbits, and the circuit
                # instruction gives its name, params and label without building the operation.
                entry: dict[str, Any] = {"name": ci.name}
                qubits = [qubit_index[bit] for bit in ci.qubits]
                if qubits:
                    entry["qubits"] = qubits
                params = ci.params
                if params:
                    entry["params"] = [
                        value
                        if type(value) is float
                        else _param_value(value, gate=True, where=self._where(position, ci.name))
                        for value in params
                    ]
                label = ci.label
                if label:
                    entry["label"] = str(label)
                append(entry)
                continue
            operation = ci.operation
            qubits = [qubit_index[bit] for bit in ci.qubits]
            clbits = [clbit_index[bit] for bit in ci.clbits]
            where = self._where(position, operation.name)
            if isinstance(operation, IfElseOp):
                out.extend(self._if_test(operation, qubits, clbits, where))
            else:
                append(self._instruction(operation, qubits, clbits, where))
        return out

    def _instruction(
        self,
        operation: Any,
        qubits: list[int],
        clbits: list[int],
        where: str,
        *,
        conditional: int | None = None,
    ) -> dict[str, Any]:
        if isinstance(operation, ControlFlowOp):
            raise QobjAssemblyError(
                f"{where}: control flow cannot be sent in a Qobj; only a top-level if_test on a "
                "classical bit or register, without else, around gates, measurements and "
                "resets is supported."
            )
        if not isinstance(operation, Instruction):
            raise QobjAssemblyError(
                f"{where}: {type(operation).__name__} is not a circuit instruction; "
                "transpile the circuit for the backend first."
            )
        if operation.name == "store":
            raise QobjAssemblyError(f"{where}: classical variables cannot be sent in a Qobj.")

        # Keys in the order the typed model dumps them.
        fields: dict[str, Any] = {"name": operation.name}
        if qubits:
            fields["qubits"] = qubits
        if isinstance(operation, Delay):
            fields["params"] = [self._delay_duration(operation, where)]
        elif operation.params:
            gate = isinstance(operation, Gate)
            fields["params"] = [
                _param_value(param, gate=gate, where=where) for param in operation.params
            ]
        if clbits:
            fields["memory"] = clbits
            if self._conditional and isinstance(operation, Measure):
                fields["register"] = list(clbits)
        if conditional is not None:
            fields["conditional"] = conditional
        label = getattr(operation, "label", None)
        if label:
            fields["label"] = str(label)
        return fields

    def _delay_duration(self, delay: Delay, where: str) -> int:
        unit = delay.unit
        if unit != "dt" and unit not in _SI_UNITS:
            raise QobjAssemblyError(f"{where}: delays in unit {unit!r} cannot be sent in a Qobj.")
        duration = _param_value(delay.duration, gate=False, where=where)
        if isinstance(duration, bool) or not isinstance(duration, int | float):
            raise QobjAssemblyError(f"{where}: delay duration {duration!r} is not a number.")
        if unit == "dt":
            if duration != int(duration):
                raise QobjAssemblyError(f"{where}: a delay in dt must be whole, got {duration}.")
            return int(duration)
        if self._dt is None:
            raise QobjAssemblyError(
                f"{where}: a delay of {duration} {unit} needs the backend's dt to be sent "
                "(the Qobj counts delays in dt); transpile the circuit for the backend, or "
                "pass dt."
            )
        return round(duration * _SI_UNITS[unit] / self._dt)

    def _if_test(
        self, op: IfElseOp, qubits: list[int], clbits: list[int], where: str
    ) -> list[dict[str, Any]]:
        body, orelse = op.blocks[0], (op.blocks[1] if len(op.blocks) > 1 else None)
        if orelse is not None:
            raise QobjAssemblyError(f"{where}: if_test with an else branch is not supported.")
        mask, value = self._condition_mask(op.condition, where)
        if not body.data:  # nothing to condition
            return []
        # The body's bits stand for the if_test's own bits, position by position.
        body_qubits = dict(zip(body.qubits, qubits, strict=True))
        body_clbits = dict(zip(body.clbits, clbits, strict=True))
        register = self._next_register
        self._next_register += 1
        out = [
            {
                "name": "bfunc",
                "register": register,
                "mask": f"0x{mask:X}",
                "relation": "==",
                "val": f"0x{value:X}",
            }
        ]
        for ci in body.data:
            inner_where = f"{where}, body instruction {ci.operation.name!r}"
            if not isinstance(ci.operation, Gate | Measure | Reset):
                raise QobjAssemblyError(
                    f"{inner_where}: an if_test body may hold only gates, measurements and resets."
                )
            out.append(
                self._instruction(
                    ci.operation,
                    [body_qubits[bit] for bit in ci.qubits],
                    [body_clbits[bit] for bit in ci.clbits],
                    inner_where,
                    conditional=register,
                )
            )
        return out

    def _condition_mask(self, condition: Any, where: str) -> tuple[int, int]:
        """The ``bfunc`` mask and value over memory slots for ``(bit or register, value)``."""
        if not isinstance(condition, tuple) or len(condition) != 2:
            raise QobjAssemblyError(
                f"{where}: only (classical bit, value) or (classical register, value) "
                "conditions can be sent in a Qobj."
            )
        target, value = condition
        index_of = self._circuit.find_bit
        if isinstance(target, Clbit):
            slot = index_of(target).index
            return 1 << slot, (int(value) & 1) << slot
        if isinstance(target, ClassicalRegister):
            value = int(value)
            if not 0 <= value < (1 << target.size):
                raise QobjAssemblyError(
                    f"{where}: value {value} does not fit register {target.name!r} "
                    f"of {target.size} bits."
                )
            mask = bits = 0
            for position, bit in enumerate(target):
                slot = index_of(bit).index
                mask |= 1 << slot
                bits |= ((value >> position) & 1) << slot
            return mask, bits
        raise QobjAssemblyError(f"{where}: unsupported condition target {target!r}.")
