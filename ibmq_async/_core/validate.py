"""Checks a real device makes before queueing a Qobj (no I/O), shared by client and service.

The client runs them before it sends anything, so a circuit the backend cannot run costs no
request; the local service runs the very same checks on what it receives and fails such a job
with ``ERROR_VALIDATING_JOB``.

:func:`validate_qobj` either returns a :class:`QobjSummary` or raises
:class:`JobValidationError` carrying a :class:`JobErrorCode` and a
message meant for the user. It never raises anything else for bad input.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from .codes import JobErrorCode
from .defaults import QOBJ_DEFAULT_SHOTS
from .exceptions import IBMQJobInvalidStateError
from .run_options import shots_problem

ALWAYS_ALLOWED = frozenset({"measure", "barrier", "reset", "delay", "bfunc"})
"""Instructions accepted on every backend, whatever its basis gates."""

SIMULATION_METHODS = frozenset(
    {
        "automatic",
        "statevector",
        "density_matrix",
        "stabilizer",
        "matrix_product_state",
        "extended_stabilizer",
    }
)
MAX_MEMORY_SLOTS = 10_000
"""Upper bound on classical memory slots per experiment."""
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class JobValidationError(Exception):
    """The Qobj cannot run on the backend; the job ends as ``ERROR_VALIDATING_JOB``."""

    def __init__(self, code: JobErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class QobjSummary:
    """What the service keeps about a Qobj that passed validation."""

    qobj_id: str
    shots: int
    n_experiments: int
    qobj: Mapping[str, Any] | None = None
    """The Qobj that passed (for the service's ``summaryData``)."""


@functools.cache
def _standard_gate_shapes() -> dict[str, tuple[int, int]]:
    """``{name: (num_qubits, num_params)}`` of qiskit's standard gates."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return {
        name: (gate.num_qubits, len(gate.params))
        for name, gate in get_standard_gate_name_mapping().items()
    }


def parse_qobj(payload: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """Decode an uploaded Qobj; raise :class:`JobValidationError` if it is not an object."""
    if isinstance(payload, Mapping):
        return dict(payload)
    try:
        decoded = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise JobValidationError(
            JobErrorCode.MALFORMED_QOBJ, f"The uploaded Qobj is not valid JSON: {exc}"
        ) from None
    if not isinstance(decoded, dict):
        raise JobValidationError(JobErrorCode.MALFORMED_QOBJ, "The Qobj must be a JSON object.")
    return decoded


def validate_qobj(
    payload: bytes | str | Mapping[str, Any], configuration: Mapping[str, Any]
) -> QobjSummary:
    """Validate a QASM Qobj against a backend configuration.

    Raises:
        JobValidationError: describing the first problem found.
    """
    try:
        qobj = parse_qobj(payload)
        return _Validator(qobj, configuration).run()
    except RecursionError:
        raise JobValidationError(
            JobErrorCode.MALFORMED_QOBJ, "The Qobj is nested too deeply."
        ) from None


_OWN_RULES = frozenset({"unitary", "initialize"})
"""Instructions whose params are checked by rules of their own, not by a gate's shape."""
_NO_PARAMS: list[Any] = []
_PlainGate = tuple[int, int, dict[int, set[int]] | None]
"""A basis gate's qubit count, parameter count and allowed pairs (first qubit to seconds)."""


def _plain_gate_passes(instruction: dict[str, Any], shape: _PlainGate, limit: float) -> bool:
    """Whether a gate instruction certainly passes every check of ``_check_instruction``:
    exactly ``width`` distinct in-range int qubits (an allowed pair on a device), exactly the
    expected number of finite float params, no ``conditional``."""
    width, n_params, allowed = shape
    qubits = instruction.get("qubits")
    params = instruction.get("params", _NO_PARAMS)
    if (
        type(qubits) is not list
        or len(qubits) != width
        or type(params) is not list
        or len(params) != n_params
        or "conditional" in instruction
    ):
        return False
    # No allocation in here (no generator, no tuple): with 100,000s of instructions, every
    # tracked object made per instruction brings the garbage collector back over the whole job.
    for qubit in qubits:
        if type(qubit) is not int or not 0 <= qubit < limit:
            return False
    if width == 2:
        first, second = qubits
        if first == second or (allowed is not None and second not in allowed.get(first, ())):
            return False
    elif width > 2 and len(set(qubits)) != width:
        return False
    passes = True
    for param in params:
        # Finite floats only (x - x is nan for inf and nan); ints take the full check.
        passes = passes and type(param) is float and param - param == 0.0
    return passes


def _malformed(message: str) -> JobValidationError:
    return JobValidationError(JobErrorCode.MALFORMED_QOBJ, f"Malformed Qobj: {message}")


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite int or float (JSON parsers let ``NaN`` and ``Infinity`` through)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_hex(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value[:2].lower() == "0x"
        and len(value) > 2
        and set(value[2:]) <= _HEX_DIGITS
    )


class _Validator:
    def __init__(self, qobj: dict[str, Any], configuration: Mapping[str, Any]) -> None:
        self.qobj = qobj
        self.conf = configuration
        self.backend = str(configuration.get("backend_name", "the backend"))
        self.n_qubits = configuration.get("n_qubits")
        self.simulator = bool(configuration.get("simulator"))
        self.basis = set(configuration.get("basis_gates") or [])
        if self.simulator:
            # A simulator runs its supported instructions beyond the basis (``unitary``); a
            # device's list also names pulse and control-flow instructions it cannot take here.
            self.basis |= {
                name
                for name in configuration.get("supported_instructions") or []
                if isinstance(name, str)
            }
        coupling = configuration.get("coupling_map")
        self.coupling = (
            {tuple(pair) for pair in coupling if isinstance(pair, list)}
            if isinstance(coupling, list) and coupling
            else None
        )
        self.gate_params: dict[str, int] = {}
        self.gate_coupling: dict[str, set[tuple[int, ...]]] = {}
        for gate in configuration.get("gates") or []:
            if not isinstance(gate, Mapping) or not isinstance(gate.get("name"), str):
                continue
            if isinstance(gate.get("parameters"), list):
                self.gate_params[gate["name"]] = len(gate["parameters"])
            pairs = gate.get("coupling_map")
            if (
                isinstance(pairs, list)
                and pairs
                and all(isinstance(p, list) and len(p) == 2 for p in pairs)
            ):
                self.gate_coupling[gate["name"]] = {tuple(p) for p in pairs}
        self.plain_gates = self._plain_gates()

    def _plain_gates(self) -> dict[str, _PlainGate]:
        """``{name: (qubits, params, {qubit: allowed second qubits} or None)}`` of the basis
        gates whose instructions the fast check in :meth:`_check_experiment` may pass:
        standard gates on at least one qubit, other than instructions with rules of their own."""
        shapes = _standard_gate_shapes()
        plain: dict[str, _PlainGate] = {}
        for name in self.basis:
            shape = shapes.get(name)
            if name in ALWAYS_ALLOWED or name in _OWN_RULES or shape is None or shape[0] < 1:
                continue
            width = shape[0]
            allowed: dict[int, set[int]] | None = None
            pairs = self.gate_coupling.get(name, self.coupling)
            if width == 2 and not self.simulator and pairs is not None:
                allowed = {}
                for pair in pairs:
                    if len(pair) == 2:
                        allowed.setdefault(pair[0], set()).add(pair[1])
            plain[name] = (width, self.gate_params.get(name, shape[1]), allowed)
        return plain

    def run(self) -> QobjSummary:
        qobj_type = self.qobj.get("type", "QASM")
        if qobj_type == "PULSE":
            raise JobValidationError(
                JobErrorCode.UNSUPPORTED_QOBJ_TYPE,
                f"Pulse jobs are not supported by {self.backend}; submit a QASM Qobj.",
            )
        if qobj_type != "QASM":
            raise _malformed(f"unknown Qobj type {qobj_type!r}")
        config = self.qobj.get("config", {})
        if not isinstance(config, Mapping):
            raise _malformed("'config' must be an object")
        experiments = self.qobj.get("experiments")
        if not isinstance(experiments, list) or not experiments:
            raise _malformed("'experiments' must be a non-empty list")
        if not all(isinstance(e, Mapping) for e in experiments):
            raise _malformed("every experiment must be an object")
        header = self.qobj.get("header", {})
        if not isinstance(header, Mapping):
            raise _malformed("'header' must be an object")
        qobj_id = self.qobj.get("qobj_id", "")
        if not isinstance(qobj_id, str):
            raise _malformed("'qobj_id' must be a string")

        max_experiments = self.conf.get("max_experiments")
        if _is_int(max_experiments) and len(experiments) > max_experiments:
            raise JobValidationError(
                JobErrorCode.TOO_MANY_EXPERIMENTS,
                f"The job has {len(experiments)} experiments but {self.backend} accepts at "
                f"most {max_experiments} per job.",
            )
        shots = self._check_shots(config.get("shots", QOBJ_DEFAULT_SHOTS))
        self._check_options(config)
        for index, experiment in enumerate(experiments):
            self._check_experiment(index, experiment, config)
        return QobjSummary(
            qobj_id=qobj_id, shots=shots, n_experiments=len(experiments), qobj=self.qobj
        )

    def _check_shots(self, shots: Any, where: str = "") -> int:
        problem = shots_problem(shots, self.conf.get("max_shots"), self.backend, where)
        if problem is not None:
            raise JobValidationError(JobErrorCode.INVALID_SHOTS, problem)
        return int(shots)

    def _check_options(self, config: Mapping[str, Any]) -> None:
        if config.get("memory") is True and not self.conf.get("memory", False):
            raise JobValidationError(
                JobErrorCode.MEMORY_NOT_SUPPORTED,
                f"{self.backend} does not support memory (per-shot results).",
            )
        if config.get("memory") not in (None, True, False):
            raise _malformed("'config.memory' must be a boolean")
        level = config.get("meas_level")
        levels = self.conf.get("meas_levels")
        if level is not None and isinstance(levels, list) and level not in levels:
            raise JobValidationError(
                JobErrorCode.INVALID_RUN_OPTION,
                f"meas_level {level!r} is not supported by {self.backend}: it returns "
                f"measurement levels {levels}.",
            )
        seed = config.get("seed_simulator")
        if seed is not None and not (_is_int(seed) and seed >= 0):
            raise JobValidationError(
                JobErrorCode.INVALID_RUN_OPTION,
                f"seed_simulator must be a non-negative integer, got {seed!r}.",
            )
        if not self.simulator:
            return
        method = config.get("method")
        if method is not None and method not in SIMULATION_METHODS:
            raise JobValidationError(
                JobErrorCode.INVALID_RUN_OPTION,
                f"Unknown simulation method {method!r}; use one of "
                f"{', '.join(sorted(SIMULATION_METHODS))}.",
            )
        noise_model = config.get("noise_model")
        if noise_model is not None and not isinstance(noise_model, Mapping):
            raise JobValidationError(
                JobErrorCode.INVALID_RUN_OPTION, "noise_model must be a NoiseModel dict."
            )

    def _check_experiment(
        self, index: int, experiment: Mapping[str, Any], config: Mapping[str, Any]
    ) -> None:
        header = experiment.get("header", {})
        exp_config = experiment.get("config", {})
        if not isinstance(header, Mapping) or not isinstance(exp_config, Mapping):
            raise _malformed(f"experiment {index}: 'header' and 'config' must be objects")
        name = header.get("name")
        label = f"experiment {index}" + (f" ({name!r})" if isinstance(name, str) else "")
        if "shots" in exp_config:
            self._check_shots(exp_config["shots"], f" of {label}")

        declared = exp_config.get("n_qubits", header.get("n_qubits"))
        if declared is not None and not (_is_int(declared) and declared >= 0):
            raise _malformed(f"{label}: n_qubits must be a non-negative integer")
        if _is_int(declared) and _is_int(self.n_qubits) and declared > self.n_qubits:
            raise self._too_many_qubits(label, declared)

        slots = exp_config.get("memory_slots", header.get("memory_slots"))
        if slots is not None and not (_is_int(slots) and 0 <= slots <= MAX_MEMORY_SLOTS):
            raise _malformed(f"{label}: memory_slots must be an integer in 0..{MAX_MEMORY_SLOTS}")

        instructions = experiment.get("instructions")
        if not isinstance(instructions, list):
            raise _malformed(f"{label}: 'instructions' must be a list")
        registers: set[int] = set()
        plain = self.plain_gates
        limit = self.n_qubits if _is_int(self.n_qubits) else math.inf
        for position, instruction in enumerate(instructions):
            # Fast check of the common case, a basis gate with plain ints and floats: it only
            # ever passes what _check_instruction passes; anything else (or anything wrong)
            # gets the full check, which names the problem.
            if type(instruction) is dict:
                name = instruction.get("name")
                shape = plain.get(name) if type(name) is str else None
                if shape is not None and _plain_gate_passes(instruction, shape, limit):
                    continue
            self._check_instruction(label, position, instruction, registers)

    def _too_many_qubits(self, label: str, count: int) -> JobValidationError:
        return JobValidationError(
            JobErrorCode.TOO_MANY_QUBITS,
            f"The circuit of {label} needs {count} qubits but {self.backend} has "
            f"{self.n_qubits} qubits.",
        )

    def _check_instruction(
        self, label: str, position: int, instruction: Any, registers: set[int]
    ) -> None:
        if not isinstance(instruction, Mapping) or not isinstance(instruction.get("name"), str):
            raise _malformed(f"{label}: instruction {position} has no name")
        name: str = instruction["name"]
        where = f"{label}, instruction {position} ({name})"

        if name == "bfunc":
            self._check_bfunc(where, instruction)
            registers.add(instruction["register"])
            return
        if name not in ALWAYS_ALLOWED and name not in self.basis:
            raise JobValidationError(
                JobErrorCode.INSTRUCTION_NOT_SUPPORTED,
                f"Instruction '{name}' in {label} is not supported by {self.backend}. "
                f"Its basis gates are {sorted(self.basis)}; transpile the circuit first.",
            )

        qubits = instruction.get("qubits", [])
        if not isinstance(qubits, list) or not all(_is_int(q) and q >= 0 for q in qubits):
            raise _malformed(f"{where}: 'qubits' must be a list of non-negative integers")
        if len(set(qubits)) != len(qubits):
            raise _malformed(f"{where}: repeated qubit in {qubits}")
        if qubits and _is_int(self.n_qubits) and max(qubits) >= self.n_qubits:
            raise JobValidationError(
                JobErrorCode.TOO_MANY_QUBITS,
                f"Instruction '{name}' in {label} acts on qubit {max(qubits)} but "
                f"{self.backend} has {self.n_qubits} qubits (0..{self.n_qubits - 1}).",
            )

        conditional = instruction.get("conditional")
        if conditional is not None and not (_is_int(conditional) and conditional in registers):
            raise _malformed(f"{where}: 'conditional' refers to no preceding bfunc register")

        if name == "measure":
            memory = instruction.get("memory")
            if (
                not qubits
                or not isinstance(memory, list)
                or len(memory) != len(qubits)
                or not all(_is_int(m) and 0 <= m < MAX_MEMORY_SLOTS for m in memory)
            ):
                raise _malformed(f"{where}: measure needs matching 'qubits' and 'memory' lists")
            return
        if name in ("barrier", "reset"):
            return
        if not qubits:
            raise _malformed(f"{where}: no qubits")

        params = instruction.get("params", [])
        if not isinstance(params, list):
            raise _malformed(f"{where}: 'params' must be a list")
        if name == "delay":
            if len(params) != 1 or not _is_number(params[0]) or params[0] < 0:
                raise JobValidationError(
                    JobErrorCode.INVALID_PARAMETERS,
                    f"{where}: delay needs one non-negative duration parameter.",
                )
            return
        if name in ("unitary", "initialize"):
            if not params:
                raise JobValidationError(
                    JobErrorCode.INVALID_PARAMETERS, f"{where}: missing matrix/amplitudes."
                )
            return
        self._check_gate(name, where, qubits, params)

    def _check_gate(self, name: str, where: str, qubits: list[int], params: list[Any]) -> None:
        shape = _standard_gate_shapes().get(name)
        if shape is not None and len(qubits) != shape[0]:
            raise _malformed(f"{where}: '{name}' acts on {shape[0]} qubit(s), got {len(qubits)}")
        expected = self.gate_params.get(name, shape[1] if shape else None)
        if expected is not None and len(params) != expected:
            raise JobValidationError(
                JobErrorCode.INVALID_PARAMETERS,
                f"{where}: '{name}' takes {expected} parameter(s), got {len(params)}.",
            )
        if not all(_is_number(p) for p in params):
            raise JobValidationError(
                JobErrorCode.INVALID_PARAMETERS,
                f"{where}: parameters must be bound to numbers, got {params!r}.",
            )
        if len(qubits) == 2 and not self.simulator:
            allowed = self.gate_coupling.get(name, self.coupling)
            if allowed is not None and tuple(qubits) not in allowed:
                raise JobValidationError(
                    JobErrorCode.COUPLING_MAP_VIOLATION,
                    f"Gate '{name}' on qubits {qubits} in {where.split(',')[0]} is not "
                    f"allowed: {qubits[0]}->{qubits[1]} is not in the coupling map of "
                    f"{self.backend}.",
                )

    def _check_bfunc(self, where: str, instruction: Mapping[str, Any]) -> None:
        if not (
            _is_int(instruction.get("register"))
            and _is_hex(instruction.get("mask"))
            and _is_hex(instruction.get("val"))
            and instruction.get("relation", "==") in ("==", "!=")
        ):
            raise _malformed(f"{where}: bfunc needs register, hex mask/val and relation")
        if int(instruction["mask"], 16).bit_length() > MAX_MEMORY_SLOTS:
            raise _malformed(f"{where}: bfunc mask is wider than {MAX_MEMORY_SLOTS} bits")


# -- arguments of job methods (checked before anything is sent) --------------------------------


def check_wait_arguments(timeout: Any, wait: Any, callback: Any = None) -> None:
    """Reject ``timeout``, ``wait`` and ``callback`` arguments of a job's waiting methods
    (``result()``, ``wait_for_final_state()``) that cannot be right.

    ``timeout`` is ``None`` or a finite number of seconds, at least 0; ``wait`` a positive
    finite number of seconds; ``callback`` ``None`` or a callable.

    Raises:
        IBMQJobInvalidStateError: naming the bad argument and its value.
    """

    def seconds(value: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value) if math.isfinite(value) else None

    if timeout is not None:
        given = seconds(timeout)
        if given is None or given < 0:
            raise IBMQJobInvalidStateError(
                f"timeout must be None or a number of seconds (0 or more), not {timeout!r}."
            )
    given = seconds(wait)
    if given is None or given <= 0:
        raise IBMQJobInvalidStateError(f"wait must be a positive number of seconds, not {wait!r}.")
    if callback is not None and not callable(callback):
        raise IBMQJobInvalidStateError(f"callback must be a callable, not {callback!r}.")


def check_flag(name: str, value: Any) -> None:
    """Reject a job method's flag (``partial``, ``refresh``) that is not a bool.

    Raises:
        IBMQJobInvalidStateError: naming the argument and its value.
    """
    if not isinstance(value, bool):
        raise IBMQJobInvalidStateError(f"{name} must be True or False, not {value!r}.")
