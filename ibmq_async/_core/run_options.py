"""The run options of a backend: one table drives defaults, checks, messages and the Qobj split.

Every option ``IBMQBackend.run()`` and ``set_options()`` know is a row of :data:`RUN_OPTIONS`;
nothing else in the SDK lists option names. No I/O.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qiskit.circuit import QuantumCircuit
from qiskit.providers import Options

from .defaults import DEFAULT_SHOTS
from .exceptions import IBMQBackendUnknownOptionError, IBMQBackendValueError
from .models.configuration import BackendConfiguration
from .models.qobj import QasmQobj, json_ready

Backends = Literal["all", "simulator", "pulse", "dynamic_reprate", "measure_esp"]
Wire = Literal["assembler", "config", "job", "none"]


@dataclass(frozen=True)
class RunOption:
    """One run option.

    Attributes:
        name: the keyword of ``run()`` and ``set_options()``.
        kinds: the Python types a value must have (``()``: any JSON-ready value).
        default: the backend default (``shots`` is capped at ``max_shots``).
        wire: where the value goes: ``assembler`` (an argument of ``circuits_to_qobj``, which
            writes the Qobj config key of the same name), ``config`` (copied into the Qobj
            config), ``job`` (the job-creation body), ``none`` (pulse-only: never sent for
            circuits; ``_core/pulse.py`` writes it into a PulseQobj).
        unit: the unit the user gives; ``wire_scale`` converts it to the wire's unit.
        wire_scale: factor from the user's unit to the wire's.
        backends: which backends accept it.
        summary: what it means, for docs and messages.
        choices: the only values allowed, when the option is an enumeration.
    """

    name: str
    kinds: tuple[type, ...]
    default: Any
    wire: Wire
    summary: str
    unit: str = ""
    wire_scale: float = 1.0
    backends: Backends = "all"
    choices: tuple[Any, ...] = ()

    def is_default_of(self, config: BackendConfiguration) -> bool:
        """Whether the option is among the backend's default options."""
        return self.backends != "simulator" or config.simulator

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable for this option, or ``None``."""
        if value is None or not self.kinds:
            return None
        if isinstance(value, bool) and bool not in self.kinds:
            return self._wrong_type(value)
        right_type = (
            (float in self.kinds and isinstance(value, numbers.Real))
            or (int in self.kinds and isinstance(value, numbers.Integral))
            or isinstance(value, self.kinds)
        )
        if not right_type:
            return self._wrong_type(value)
        if self.choices and value not in self.choices:
            allowed = ", ".join(repr(choice) for choice in self.choices)
            return f"{self.name} must be one of {allowed}, not {value!r}."
        return None

    def _wrong_type(self, value: Any) -> str:
        names = " or ".join(kind.__name__ for kind in self.kinds)
        return f"{self.name} must be of type {names}, not {value!r}."


RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption("shots", (int,), DEFAULT_SHOTS, "assembler", "repetitions of each circuit"),
    RunOption("memory", (bool,), False, "assembler", "return per-shot measurement results"),
    RunOption(
        "qubit_lo_freq", (list,), None, "none", "qubit drive LO frequencies", "Hz", 1e-9, "pulse"
    ),
    RunOption(
        "meas_lo_freq", (list,), None, "none", "measurement LO frequencies", "Hz", 1e-9, "pulse"
    ),
    RunOption(
        "schedule_los",
        (list, dict),
        None,
        "none",
        "per-schedule LO frequencies",
        "Hz",
        1e-9,
        "pulse",
    ),
    RunOption(
        "meas_level", (int,), 2, "assembler", "measurement level (2: classified)", choices=(0, 1, 2)
    ),
    RunOption(
        "meas_return",
        (str,),
        "avg",
        "assembler",
        "'avg' or 'single', below level 2",
        choices=("avg", "single"),
    ),
    RunOption("memory_slots", (int,), None, "none", "classical slots (taken from the circuits)"),
    RunOption("memory_slot_size", (int,), 100, "none", "bits per memory slot", backends="pulse"),
    RunOption("rep_time", (int, float), None, "none", "shot repetition time", "s", 1e6, "pulse"),
    RunOption(
        "rep_delay",
        (float,),
        None,
        "assembler",
        "delay between shots",
        "s",
        1e6,
        "dynamic_reprate",
    ),
    RunOption("init_qubits", (bool,), True, "assembler", "reset qubits before each shot"),
    RunOption(
        "use_measure_esp",
        (bool,),
        None,
        "assembler",
        "excited-state-promoted readout",
        backends="measure_esp",
    ),
    RunOption("live_data_enabled", (bool,), None, "job", "ask for live data"),
    RunOption("noise_model", (), None, "config", "an Aer noise model", backends="simulator"),
    RunOption(
        "seed_simulator", (int,), None, "config", "the simulator's seed", backends="simulator"
    ),
    RunOption("method", (str,), None, "config", "the simulation method", backends="simulator"),
)

OPTIONS_BY_NAME: dict[str, RunOption] = {option.name: option for option in RUN_OPTIONS}
"""The table, by option name."""

ASSEMBLER_OPTIONS = frozenset(o.name for o in RUN_OPTIONS if o.wire == "assembler")
"""Options that are arguments of ``circuits_to_qobj``; extra config may not set them."""


def shots_problem(
    shots: Any, max_shots: Any = None, backend: str = "", where: str = ""
) -> str | None:
    """Why ``shots`` cannot run, or ``None``: the one shots check of client, assembler and
    service.

    Args:
        shots: the value to check.
        max_shots: the backend's limit, if it is to be checked.
        backend: the backend's name, for the message.
        where: which part of a job, for the message (``" of experiment 0"``).
    """
    if isinstance(shots, bool) or not isinstance(shots, numbers.Integral):
        return f"Number of shots{where} must be a positive integer of type 'int', got {shots!r}."
    if shots < 1:
        return f"Number of shots{where} must be a positive integer (at least 1), got {shots}."
    limited = isinstance(max_shots, int) and not isinstance(max_shots, bool) and max_shots > 0
    if limited and shots > max_shots:
        return (
            f"Number of shots{where} specified: {shots} exceeds max_shots property of "
            f"{backend or 'the backend'}: {max_shots}."
        )
    return None


def default_options(config: BackendConfiguration) -> Options:
    """The default run options of a backend (``IBMQBackend``'s defaults).

    Unlike the legacy client, the default ``shots`` never exceeds the backend's ``max_shots``.
    """
    values = {o.name: o.default for o in RUN_OPTIONS if o.is_default_of(config)}
    values["shots"] = min(DEFAULT_SHOTS, config.max_shots)
    return Options(**values)


def check_option_values(fields: Mapping[str, Any], *, known_only: bool) -> None:
    """Check the types of option values against the table.

    Args:
        fields: option names and values.
        known_only: reject names that are not in the table (``set_options``); ``run()`` passes
            unknown names on into the Qobj config.

    Raises:
        IBMQBackendValueError: naming the first bad option.
    """
    for name, value in fields.items():
        option = OPTIONS_BY_NAME.get(name)
        if option is None:
            if known_only:
                raise IBMQBackendUnknownOptionError(
                    f"'{name}' is not a run option; known options: {', '.join(OPTIONS_BY_NAME)}."
                )
            continue
        problem = shots_problem(value) if name == "shots" else option.problem(value)
        if value is not None and problem is not None:
            raise IBMQBackendValueError(problem)


SHARE_LEVELS = ("global", "hub", "group", "project", "none")
"""Who may see a job, widest first."""


def check_share_level(level: Any) -> str | None:
    """``job_share_level``: ``None`` or one of :data:`SHARE_LEVELS` (any case)."""
    if level is None:
        return None
    if isinstance(level, str) and level.lower() in SHARE_LEVELS:
        return level.lower()
    raise IBMQBackendValueError(
        f"{level!r} is not a valid job share level. Valid values are {', '.join(SHARE_LEVELS)}."
    )


def check_tags(job_tags: Any) -> list[str]:
    """``job_tags`` as a list; it must be ``None`` or a list of strings."""
    if job_tags is None:
        return []
    if not isinstance(job_tags, list) or not all(isinstance(tag, str) for tag in job_tags):
        raise IBMQBackendValueError(f"job_tags needs to be a list of strings, not {job_tags!r}.")
    return list(job_tags)


def check_run_arguments(
    *,
    job_name: Any = None,
    experiment_id: Any = None,
    header: Any = None,
    parameter_binds: Any = None,
    live_data_enabled: Any = None,
    validate: Any = True,
) -> None:
    """Reject the arguments of ``run()`` beside the run options that cannot be right.

    Raises:
        IBMQBackendValueError: naming the first bad argument and its value.
    """
    for name, value in (("job_name", job_name), ("experiment_id", experiment_id)):
        if value is not None and not isinstance(value, str):
            raise IBMQBackendValueError(f"{name} must be a string, not {value!r}.")
    if header is not None:
        if not isinstance(header, Mapping):
            raise IBMQBackendValueError(f"header must be a dict, not {header!r}.")
        try:
            json_ready(dict(header))
        except (TypeError, ValueError, RecursionError) as exc:
            raise IBMQBackendValueError(f"header is not JSON data: {exc}") from None
    if parameter_binds is not None and (
        not isinstance(parameter_binds, list)
        or not all(isinstance(bind, Mapping) for bind in parameter_binds)
    ):
        raise IBMQBackendValueError(
            f"parameter_binds must be a list of dicts (parameter: values), not {parameter_binds!r}."
        )
    problem = OPTIONS_BY_NAME["live_data_enabled"].problem(live_data_enabled)
    if problem is not None:
        raise IBMQBackendValueError(problem)
    if not isinstance(validate, bool):
        raise IBMQBackendValueError(f"validate must be True or False, not {validate!r}.")


def check_circuits(circuits: Any) -> list[QuantumCircuit]:
    """``circuits`` as a non-empty list of circuits."""
    items = [circuits] if isinstance(circuits, QuantumCircuit) else circuits
    if not isinstance(items, Sequence) or isinstance(items, str | bytes):
        raise IBMQBackendValueError(
            f"circuits must be a QuantumCircuit or a list of them, not {type(circuits).__name__}."
        )
    items = list(items)
    if not items:
        raise IBMQBackendValueError("circuits is empty: there is nothing to run.")
    for item in items:
        if not isinstance(item, QuantumCircuit):
            raise IBMQBackendValueError(
                f"circuits must contain only QuantumCircuit objects, not {type(item).__name__}."
            )
    return items


def merge_options(
    config: BackendConfiguration,
    defaults: Options,
    given: Mapping[str, Any],
    check_limits: bool = True,
    pulse: bool = False,
) -> dict[str, Any]:
    """Backend defaults overridden by every non-``None`` value given, then validated.

    Values come back in the wire's units (``rep_delay`` in microseconds); the pulse-only
    options of a pulse job (``pulse``) come back as given, for ``_core/pulse.py``. With
    ``check_limits`` off, values of the right type are passed on even when they exceed the
    backend's limits (``max_shots``), for the server to judge.

    Raises:
        IBMQBackendValueError: for an option the backend cannot honour.
    """
    check_option_values(given, known_only=False)
    for name, value in given.items():
        option = OPTIONS_BY_NAME.get(name)
        if value is None:
            continue
        if option is not None and option.backends == "pulse" and not pulse:
            raise IBMQBackendValueError(_pulse_only(name))
        if name == "memory_slots":
            raise IBMQBackendValueError(
                "memory_slots is taken from the circuits' classical bits (a schedule's "
                "acquire slots); do not pass it."
            )
        if name == "rep_delay" and not config.dynamic_reprate_enabled:
            raise IBMQBackendValueError(
                f"{config.backend_name} has no dynamic repetition rate: rep_delay does not apply."
            )
        if config.simulator or name == "dynamic":
            continue
        if option is None:
            # Issue 10's policy: unknown keys reach a device's Qobj config, with a warning.
            warnings.warn(
                f"{name} is not a recognized runtime option and may be ignored by the backend.",
                UserWarning,
                stacklevel=4,
            )
        elif option.backends == "simulator":
            warnings.warn(
                f"{name} is a simulator option and may be ignored by {config.backend_name}.",
                UserWarning,
                stacklevel=4,
            )
    merged = {key: value for key, value in defaults.__dict__.items() if value is not None}
    merged.update({key: value for key, value in given.items() if value is not None})
    if "dynamic" in merged:
        raise IBMQBackendValueError("Dynamic circuits are not supported by this backend.")

    problem = shots_problem(
        merged.get("shots"), config.max_shots if check_limits else None, config.backend_name
    )
    if problem is not None:
        raise IBMQBackendValueError(problem)
    if merged.get("memory") and not config.memory:
        raise IBMQBackendValueError(f"{config.backend_name} does not support memory=True.")

    esp = merged.get("use_measure_esp")
    if esp is None:
        merged["use_measure_esp"] = config.measure_esp_enabled
    elif esp and not config.measure_esp_enabled:
        raise IBMQBackendValueError(
            "ESP readout not supported on this device. Please make sure the flag "
            "'use_measure_esp' is unset or set to 'False'."
        )

    rep_delay = merged.pop("rep_delay", None)
    if config.dynamic_reprate_enabled:
        scale = OPTIONS_BY_NAME["rep_delay"].wire_scale
        if rep_delay is None and config.default_rep_delay is not None:
            merged["rep_delay"] = float(config.default_rep_delay)
        elif rep_delay is not None:
            micros = float(rep_delay) * scale
            low, high = (config.rep_delay_range or [0.0, float("inf")])[:2]
            if not low <= micros <= high:
                raise IBMQBackendValueError(
                    f"Supplied rep delay {rep_delay} not in the supported backend range "
                    f"[{low / scale}, {high / scale}]"
                )
            merged["rep_delay"] = micros
    if config.simulator and config.simulation_method and "method" not in merged:
        merged["method"] = config.simulation_method
    return merged


def _pulse_only(name: str) -> str:
    """Why a pulse-only option cannot go with circuits."""
    from .pulse import qiskit_has_pulse

    if qiskit_has_pulse():
        return f"{name} applies to pulse schedules only: circuit jobs do not use it."
    return (
        f"{name} applies to pulse jobs only, and pulse schedules left Qiskit in 2.0: "
        "circuit jobs do not use it."
    )


def split_for_qobj(merged: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(assembler arguments, extra Qobj config)`` of merged options.

    Options that are never sent for circuits (pulse-only ones) and job-body options are left
    out; unknown options go into the Qobj config as they are.
    """
    named: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in merged.items():
        option = OPTIONS_BY_NAME.get(key)
        wire = option.wire if option is not None else "config"
        if wire == "assembler":
            named[key] = value
        elif wire == "config":
            extra[key] = value
    noise_model = extra.get("noise_model")
    if noise_model is not None and hasattr(noise_model, "to_dict"):
        extra["noise_model"] = noise_model.to_dict(serializable=True)
    return named, extra


def qobj_upload(
    qobj: Any, given: Mapping[str, Any], config: BackendConfiguration
) -> dict[str, Any]:
    """A Qobj passed to ``run()`` (deprecated), as the JSON to upload.

    Its config holds the run options, so options given beside it would be lost: they are
    refused. A simulator's ``method`` is filled in when the Qobj names none.

    Raises:
        IBMQBackendValueError: options beside the Qobj, or a Qobj that is no JSON object.
    """
    warnings.warn(
        "Passing a Qobj to run() is deprecated: pass circuits instead.",
        DeprecationWarning,
        stacklevel=3,
    )
    extra = sorted(key for key, value in given.items() if value is not None)
    if extra:
        raise IBMQBackendValueError(
            f"A Qobj carries its own run options; do not also pass {', '.join(extra)}."
        )
    try:
        wire = qobj.to_wire() if isinstance(qobj, QasmQobj) else json_ready(dict(qobj))
    except (TypeError, ValueError, RecursionError) as exc:
        raise IBMQBackendValueError(f"The Qobj is not JSON data: {exc}") from None
    run_config = wire.get("config")
    if config.simulator and config.simulation_method and isinstance(run_config, dict):
        run_config.setdefault("method", config.simulation_method)
    return wire
