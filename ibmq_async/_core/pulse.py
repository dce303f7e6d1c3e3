"""Pulse schedules as PulseQobj (protocol.md 3.5, "PulseQobj"), where qiskit still has pulse.

qiskit 1.x has ``qiskit.pulse``; qiskit 2.0 removed it. Nothing here imports ``qiskit.pulse``
at module level: a schedule is recognised through ``sys.modules`` (whoever built one has
imported the module), and the assembler of the installed qiskit 1.x is imported only to build
or read back a pulse job. With qiskit 2 no schedule can exist and pulse options are refused by
:func:`~.run_options.merge_options`.

A pulse job goes in two steps, so that every bad input is refused before any request:

1. :func:`plan_pulse_job` checks the schedules and run options against the backend's
   configuration (``open_pulse``, ``meas_levels``, ``rep_times``, the LO ranges) and binds
   parameters. It needs no I/O.
2. :meth:`PulsePlan.to_qobj` assembles the PulseQobj, taking the LO frequencies the caller
   left out from the backend's pulse defaults (which the caller fetches only if
   :attr:`PulsePlan.needs_defaults`).

Units, as in the legacy client: ``qubit_lo_freq``, ``meas_lo_freq`` and ``schedule_los`` in
Hz, ``rep_time`` in seconds. On the wire frequencies are GHz and ``rep_time`` an int of
microseconds.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import numbers
import sys
import uuid
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .exceptions import IBMQBackendValueError
from .models.configuration import BackendConfiguration
from .models.defaults import PulseDefaults
from .models.pulse_qobj import PulseQobj
from .models.qobj import json_ready
from .run_options import OPTIONS_BY_NAME, split_for_qobj

__all__ = [
    "PulsePlan",
    "is_pulse_qobj",
    "plan_pulse_job",
    "pulse_experiments",
    "qiskit_has_pulse",
    "qobj_to_schedules",
]

_GHZ = 1e9
_QISKIT_DEPRECATION = (
    r"The (function|class) ``qiskit\.[\w.]+(\(\))?`` is deprecated as of [Qq]iskit 1\.\d+"
)
"""The deprecation notices qiskit 1.x's assembler and Qobj classes emit (since 1.2) and its
pulse classes (since 1.3): the assembler is deprecated there, and is silenced while it runs."""


@functools.cache
def qiskit_has_pulse() -> bool:
    """Whether the installed qiskit has ``qiskit.pulse`` (qiskit 1.x), without importing it."""
    try:
        return importlib.util.find_spec("qiskit.pulse") is not None
    except (ImportError, ValueError):
        return False


def _schedule_types() -> tuple[type, ...]:
    """``(Schedule, ScheduleBlock)`` if ``qiskit.pulse`` is loaded, else ``()``."""
    module = sys.modules.get("qiskit.pulse")
    if module is None:
        return ()
    return tuple(
        kind
        for kind in (getattr(module, "Schedule", None), getattr(module, "ScheduleBlock", None))
        if isinstance(kind, type)
    )


def pulse_experiments(circuits: Any, config: BackendConfiguration) -> list[Any] | None:
    """The schedules of a ``run()`` input, or ``None`` when it holds no schedule.

    Raises:
        IBMQBackendValueError: schedules mixed with circuits (or anything else), or schedules
            for a backend whose configuration has ``open_pulse: false``.
    """
    kinds = _schedule_types()
    if not kinds:
        return None
    if isinstance(circuits, kinds):
        items = [circuits]
    elif isinstance(circuits, Sequence) and not isinstance(circuits, str | bytes):
        items = list(circuits)
        if not any(isinstance(item, kinds) for item in items):
            return None
    else:
        return None
    for item in items:
        if not isinstance(item, kinds):
            raise IBMQBackendValueError(
                "A job runs either circuits or pulse schedules, not both: found a "
                f"{type(item).__name__} among the schedules."
            )
    if not config.open_pulse:
        raise IBMQBackendValueError(
            f"{config.backend_name} does not run pulse schedules (its configuration has "
            "open_pulse: false)."
        )
    return items


def is_pulse_qobj(qobj: Mapping[str, Any]) -> bool:
    """Whether a Qobj (as JSON) is a PulseQobj."""
    return qobj.get("type") == "PULSE"


@contextmanager
def _quiet_assembler() -> Iterator[None]:
    """Silence qiskit 1.x's deprecation notices of its own assembler, Qobj and pulse
    classes while they run on our behalf; any other warning still shows."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_QISKIT_DEPRECATION, category=DeprecationWarning)
        yield


def _extra(config: BackendConfiguration, name: str) -> Any:
    """A configuration field the model does not type (pulse fields are kept as extras)."""
    return (config.model_extra or {}).get(name, getattr(config, name, None))


def _is_real(value: Any) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _ranges(config: BackendConfiguration, name: str) -> list[tuple[float, float]] | None:
    """``qubit_lo_range`` / ``meas_lo_range`` in Hz, or ``None`` when absent or malformed."""
    raw = _extra(config, name)
    if not isinstance(raw, list):
        return None
    ranges = []
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2 and all(_is_real(v) for v in pair)):
            return None
        ranges.append((float(pair[0]) * _GHZ, float(pair[1]) * _GHZ))
    return ranges


def _check_lo(
    option: str,
    kind: str,
    frequencies: Mapping[int, Any],
    ranges: list[tuple[float, float]] | None,
    config: BackendConfiguration,
) -> None:
    """Each frequency (Hz) by qubit index must be a number inside the backend's LO range."""
    for index, frequency in frequencies.items():
        if not _is_real(frequency):
            raise IBMQBackendValueError(
                f"{option} must hold frequencies in Hz, not {frequency!r} (qubit {index})."
            )
        if not 0 <= index < config.n_qubits:
            raise IBMQBackendValueError(
                f"{option} names qubit {index}, but {config.backend_name} has "
                f"{config.n_qubits} qubits."
            )
        if ranges is None or index >= len(ranges):
            continue
        low, high = ranges[index]
        if not low <= float(frequency) <= high:
            raise IBMQBackendValueError(
                f"{option}: the {kind} LO frequency of qubit {index} is {frequency} Hz, outside "
                f"{config.backend_name}'s range [{low}, {high}] Hz."
            )


def _lo_list(
    option: str, value: Any, config: BackendConfiguration, check_limits: bool
) -> list[float] | None:
    """A job-level LO list (Hz), one frequency per qubit, checked against its range."""
    if value is None:
        return None
    if len(value) != config.n_qubits:
        raise IBMQBackendValueError(
            f"{option} needs one frequency (Hz) per qubit of {config.backend_name} "
            f"({config.n_qubits}), not {len(value)}."
        )
    kind = "qubit" if option.startswith("qubit") else "meas"
    ranges = _ranges(config, f"{kind}_lo_range") if check_limits else None
    _check_lo(option, kind, dict(enumerate(value)), ranges, config)
    return [float(frequency) for frequency in value]


def _schedule_los(
    value: Any, n_schedules: int, config: BackendConfiguration, check_limits: bool
) -> list[Any]:
    """``schedule_los`` as a list of ``LoConfig``, each checked against the LO ranges."""
    if value is None:
        return []
    from qiskit.pulse import DriveChannel, LoConfig, MeasureChannel

    entries = value if isinstance(value, list) else [value]
    if n_schedules > 1 and len(entries) not in (0, 1, n_schedules):
        raise IBMQBackendValueError(
            f"schedule_los must have one entry for all schedules or one per schedule "
            f"({n_schedules}), not {len(entries)}."
        )
    converted = []
    with _quiet_assembler():
        for entry in entries:
            if isinstance(entry, LoConfig):
                converted.append(entry)
                continue
            if not isinstance(entry, Mapping) or not all(
                isinstance(channel, DriveChannel | MeasureChannel) for channel in entry
            ):
                raise IBMQBackendValueError(
                    "schedule_los entries must be LoConfig objects or dicts of DriveChannel / "
                    f"MeasureChannel to frequency (Hz), not {entry!r}."
                )
            for channel, frequency in entry.items():
                if not _is_real(frequency):
                    raise IBMQBackendValueError(
                        f"schedule_los must hold frequencies in Hz, not {frequency!r} ({channel})."
                    )
            try:
                converted.append(LoConfig(dict(entry)))
            except Exception as exc:  # qiskit's PulseError, for a value it refuses
                raise IBMQBackendValueError(f"schedule_los entry {entry!r}: {exc}") from None
    for lo_config in converted:
        for option, kind, los in (
            ("schedule_los", "qubit", lo_config.qubit_los),
            ("schedule_los", "meas", lo_config.meas_los),
        ):
            ranges = _ranges(config, f"{kind}_lo_range") if check_limits else None
            _check_lo(option, kind, {ch.index: f for ch, f in los.items()}, ranges, config)
    return converted


def _rep_time(
    value: Any, config: BackendConfiguration, check_limits: bool
) -> tuple[int | None, bool]:
    """``(rep_time in µs for the wire, whether the caller gave it)``; by default the
    backend's first ``rep_times`` entry."""
    rep_times = _extra(config, "rep_times")
    known = [float(t) for t in rep_times if _is_real(t)] if isinstance(rep_times, list) else []
    if value is None:
        return (round(known[0]) if known else None), False
    scale = OPTIONS_BY_NAME["rep_time"].wire_scale
    micros = float(value) * scale
    if (
        check_limits
        and known
        and not any(math.isclose(micros, t, rel_tol=1e-9, abs_tol=1e-6) for t in known)
    ):
        allowed = ", ".join(f"{t / scale:g}" for t in known)
        raise IBMQBackendValueError(
            f"rep_time {value} s is not one of {config.backend_name}'s rep_times: [{allowed}] s."
        )
    return round(micros), True


def _bind(schedules: list[Any], parameter_binds: Sequence[Mapping[Any, Any]] | None) -> list[Any]:
    """One schedule per (schedule, bind) pair, every parameter bound."""
    if parameter_binds:
        bound = []
        with _quiet_assembler():
            for schedule in schedules:
                for bind in parameter_binds:
                    try:
                        bound.append(schedule.assign_parameters(dict(bind), inplace=False))
                    except Exception as exc:  # qiskit's PulseError / TypeError
                        raise IBMQBackendValueError(
                            f"parameter_binds cannot be bound into schedule "
                            f"{schedule.name!r}: {exc}"
                        ) from None
        schedules = bound
    for schedule in schedules:
        if schedule.is_parameterized():
            names = sorted(str(parameter) for parameter in schedule.parameters)
            raise IBMQBackendValueError(
                f"Schedule {schedule.name!r} has unbound parameters {names}: bind them "
                "(parameter_binds) before running it."
            )
    return schedules


@dataclass
class PulsePlan:
    """A checked pulse job, waiting only for the LO frequencies it may take from the
    backend's pulse defaults."""

    config: BackendConfiguration
    schedules: list[Any]
    named: dict[str, Any]
    """Options in wire units for the Qobj config (``shots``, ``meas_level``...)."""
    extra: dict[str, Any]
    """Further Qobj config entries (unknown options pass through)."""
    header: dict[str, Any]
    qubit_lo_freq: list[float] | None
    """Hz; ``None``: from the defaults."""
    meas_lo_freq: list[float] | None
    """Hz; ``None``: from the defaults."""
    schedule_los: list[Any] = field(default_factory=list)

    @property
    def needs_defaults(self) -> bool:
        """Whether :meth:`to_qobj` needs the backend's pulse defaults."""
        return self.qubit_lo_freq is None or self.meas_lo_freq is None

    def to_qobj(self, defaults: PulseDefaults | None) -> dict[str, Any]:
        """Assemble the PulseQobj upload body.

        Raises:
            IBMQBackendValueError: the backend serves no defaults for LO frequencies not
                given, or qiskit's assembler refuses the schedules.
        """
        qubit_los = self.qubit_lo_freq
        meas_los = self.meas_lo_freq
        if self.needs_defaults:
            if defaults is None:
                raise IBMQBackendValueError(
                    f"{self.config.backend_name} serves no pulse defaults: pass qubit_lo_freq "
                    "and meas_lo_freq (Hz) to run schedules on it."
                )
            if qubit_los is None:
                qubit_los = [f * _GHZ for f in defaults.qubit_freq_est]
            if meas_los is None:
                meas_los = [f * _GHZ for f in defaults.meas_freq_est]
        from qiskit.compiler import assemble

        named = dict(self.named)
        rep_time = named.pop("rep_time", None)
        rep_delay = named.pop("rep_delay", None)
        try:
            with _quiet_assembler():
                assembled = assemble(
                    self.schedules,
                    qobj_id=str(uuid.uuid4()),
                    shots=named.pop("shots", None),
                    memory=named.pop("memory", False),
                    qubit_lo_freq=qubit_los,
                    meas_lo_freq=meas_los,
                    schedule_los=self.schedule_los or None,
                    meas_level=named.pop("meas_level", 2),
                    meas_return=named.pop("meas_return", "avg"),
                    meas_map=_extra(self.config, "meas_map"),
                    memory_slot_size=named.pop("memory_slot_size", 100),
                    parametric_pulses=list(self.config.parametric_pulses or []),
                    init_qubits=named.pop("init_qubits", True),
                )
                qobj = json_ready(assembled.to_dict())
        except IBMQBackendValueError:
            raise
        except Exception as exc:  # QiskitError / PulseError from the assembler
            raise IBMQBackendValueError(f"The schedules cannot be assembled: {exc}") from None
        qobj["header"] = {
            "backend_name": self.config.backend_name,
            "backend_version": self.config.backend_version,
            **self.header,
        }
        run_config = qobj["config"]
        run_config["n_qubits"] = self.config.n_qubits
        if rep_time is not None:
            run_config["rep_time"] = rep_time
        if rep_delay is not None:
            run_config["rep_delay"] = rep_delay
        run_config.update(named)
        run_config.update(self.extra)
        try:
            return PulseQobj.model_validate(qobj).to_wire()
        except (ValidationError, TypeError, ValueError) as exc:
            raise IBMQBackendValueError(f"The schedules cannot be sent: {exc}") from None


def plan_pulse_job(
    schedules: list[Any],
    config: BackendConfiguration,
    options: Mapping[str, Any],
    *,
    header: Mapping[str, Any] | None = None,
    parameter_binds: Sequence[Mapping[Any, Any]] | None = None,
    check_limits: bool = True,
) -> PulsePlan:
    """Check a pulse job against ``config``; no I/O.

    Args:
        schedules: what :func:`pulse_experiments` returned.
        config: the backend's configuration.
        options: the merged run options (:func:`~.run_options.merge_options` with
            ``pulse=True``), ``rep_delay`` already in microseconds.
        header: the user's Qobj header.
        parameter_binds: one experiment per (schedule, bind).
        check_limits: check ``meas_levels``, ``rep_times`` and the LO ranges (``validate``).

    Raises:
        IBMQBackendValueError: naming the option or schedule that cannot run.
    """
    merged = dict(options)
    level = merged.get("meas_level")
    levels = _extra(config, "meas_levels")
    if check_limits and isinstance(levels, list) and level not in levels:
        raise IBMQBackendValueError(
            f"meas_level {level!r} is not supported by {config.backend_name}: it returns "
            f"measurement levels {levels}."
        )
    rep_time, rep_time_given = _rep_time(merged.pop("rep_time", None), config, check_limits)
    if rep_time_given and config.dynamic_reprate_enabled:
        warnings.warn(
            f"{config.backend_name} has a dynamic repetition rate: it uses rep_delay, and "
            "rep_time may be ignored.",
            RuntimeWarning,
            stacklevel=4,
        )
    qubit_lo_freq = _lo_list(
        "qubit_lo_freq", merged.pop("qubit_lo_freq", None), config, check_limits
    )
    meas_lo_freq = _lo_list("meas_lo_freq", merged.pop("meas_lo_freq", None), config, check_limits)
    schedule_los = _schedule_los(
        merged.pop("schedule_los", None), len(schedules), config, check_limits
    )
    memory_slot_size = merged.pop("memory_slot_size", OPTIONS_BY_NAME["memory_slot_size"].default)
    named, extra = split_for_qobj(merged)
    named["memory_slot_size"] = memory_slot_size
    named.setdefault("meas_return", OPTIONS_BY_NAME["meas_return"].default)
    if rep_time is not None:
        named["rep_time"] = rep_time
    return PulsePlan(
        config=config,
        schedules=_bind(schedules, parameter_binds),
        named=named,
        extra=extra,
        header=json_ready(dict(header or {})),
        qubit_lo_freq=qubit_lo_freq,
        meas_lo_freq=meas_lo_freq,
        schedule_los=schedule_los,
    )


def _complex_pairs(value: Any) -> Any:
    """``[re, im]`` pairs back into complex numbers."""
    if isinstance(value, list) and len(value) == 2 and all(_is_real(v) for v in value):
        return complex(value[0], value[1])
    return value


def _decoded(qobj: Mapping[str, Any]) -> dict[str, Any]:
    """The wire PulseQobj with its complex values as Python complex numbers, as qiskit's
    ``PulseQobj.from_dict`` wants them."""
    decoded: dict[str, Any] = json_ready(dict(qobj))
    config = decoded.get("config") or {}
    for item in config.get("pulse_library") or []:
        item["samples"] = [_complex_pairs(sample) for sample in item.get("samples") or []]
    for experiment in decoded.get("experiments") or []:
        for instruction in experiment.get("instructions") or []:
            parameters = instruction.get("parameters")
            if isinstance(parameters, dict) and "amp" in parameters:
                parameters["amp"] = _complex_pairs(parameters["amp"])
    return decoded


def qobj_to_schedules(qobj: Mapping[str, Any]) -> list[Any]:
    """The schedules of a PulseQobj (qiskit 1.x's disassembler), one per experiment.

    Raises:
        RuntimeError: the installed qiskit has no pulse module (2.0 and later).
        ValueError: the Qobj cannot be read back.
    """
    if not qiskit_has_pulse():
        raise RuntimeError("pulse schedules left Qiskit in 2.0; this qiskit cannot rebuild them")
    from qiskit.assembler import disassemble
    from qiskit.pulse import Schedule
    from qiskit.qobj import PulseQobj as QiskitPulseQobj

    try:
        with _quiet_assembler():
            schedules, _, _ = disassemble(QiskitPulseQobj.from_dict(_decoded(qobj)))
            # The disassembler names schedules anew: give them their experiments' names back.
            headers = [e.get("header") or {} for e in qobj.get("experiments") or []]
            return [
                Schedule(
                    *schedule.instructions,
                    name=header.get("name") or schedule.name,
                    metadata=header.get("metadata") or None,
                )
                for schedule, header in zip(schedules, headers, strict=True)
            ]
    except Exception as exc:  # whatever qiskit raises on a document it cannot read
        raise ValueError(f"the PulseQobj cannot be disassembled: {exc}") from None
