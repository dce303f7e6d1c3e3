"""Run options of a backend: defaults, merging and validation, without I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qiskit.circuit import QuantumCircuit
from qiskit.providers import Options

from .exceptions import IBMQBackendValueError
from .models.configuration import BackendConfiguration

DEFAULT_SHOTS = 4000

KNOWN_OPTIONS = frozenset(
    {
        "shots",
        "memory",
        "qubit_lo_freq",
        "meas_lo_freq",
        "schedule_los",
        "meas_level",
        "meas_return",
        "memory_slots",
        "memory_slot_size",
        "rep_time",
        "rep_delay",
        "init_qubits",
        "use_measure_esp",
        "live_data_enabled",
        "noise_model",
        "seed_simulator",
        "method",
    }
)


def default_options(config: BackendConfiguration) -> Options:
    """The default run options of a backend (``IBMQBackend`` defaults of the legacy client).

    Unlike the legacy client, the default ``shots`` never exceeds the backend's ``max_shots``.
    """
    options = Options(
        shots=min(DEFAULT_SHOTS, config.max_shots),
        memory=False,
        qubit_lo_freq=None,
        meas_lo_freq=None,
        schedule_los=None,
        meas_level=2,
        meas_return="avg",
        memory_slots=None,
        memory_slot_size=100,
        rep_time=None,
        rep_delay=None,
        init_qubits=True,
        use_measure_esp=None,
        live_data_enabled=None,
    )
    if config.simulator:
        options.update_options(noise_model=None, seed_simulator=None)
    return options


def check_tags(job_tags: Any) -> list[str]:
    """``job_tags`` as a list; it must be ``None`` or a list of strings."""
    if job_tags is None:
        return []
    if not isinstance(job_tags, list) or not all(isinstance(tag, str) for tag in job_tags):
        raise IBMQBackendValueError("job_tags needs to be a list of strings.")
    return list(job_tags)


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
) -> dict[str, Any]:
    """Backend defaults overridden by every non-``None`` value given, then validated.

    With ``check_limits`` off, values of the right type are passed on even when they exceed
    the backend's limits (``max_shots``), for the server to judge.

    Raises:
        IBMQBackendValueError: for an option the backend cannot honour.
    """
    merged = {key: value for key, value in defaults.__dict__.items() if value is not None}
    merged.update({key: value for key, value in given.items() if value is not None})
    if "dynamic" in merged:
        raise IBMQBackendValueError("Dynamic circuits are not supported by this backend.")

    shots = merged.get("shots")
    if not isinstance(shots, int) or isinstance(shots, bool):
        raise IBMQBackendValueError(f"shots must be an integer, not {shots!r}.")
    if check_limits and not 1 <= shots <= config.max_shots:
        raise IBMQBackendValueError(
            f"Number of shots specified: {shots} is outside the range of the backend: "
            f"1 to {config.max_shots}."
        )
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
        if rep_delay is None and config.default_rep_delay is not None:
            merged["rep_delay"] = float(config.default_rep_delay)
        elif rep_delay is not None:
            micros = float(rep_delay) * 1e6
            low, high = (config.rep_delay_range or [0.0, float("inf")])[:2]
            if not low <= micros <= high:
                raise IBMQBackendValueError(
                    f"Supplied rep delay {rep_delay} not in the supported backend range "
                    f"[{low * 1e-6}, {high * 1e-6}]"
                )
            merged["rep_delay"] = micros
    if config.simulator and config.simulation_method and "method" not in merged:
        merged["method"] = config.simulation_method
    return merged
