"""The PulseQobj: the JSON document uploaded as a pulse job's payload (protocol.md 3.5).

Like the QASM models (:mod:`.qobj`), every model keeps unknown keys and leaves ``None`` fields
out of the JSON. Complex numbers are ``[re, im]`` pairs on the wire: pulse library samples and
the ``amp`` of parametric pulses. Frequencies are in GHz, ``rep_time`` in microseconds (an int)
and ``rep_delay`` in microseconds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from .qobj import QobjHeader, _QobjModel, json_ready

__all__ = [
    "PulseLibraryItem",
    "PulseQobj",
    "PulseQobjConfig",
    "PulseQobjExperiment",
    "PulseQobjExperimentConfig",
    "PulseQobjExperimentHeader",
    "PulseQobjInstruction",
]


class PulseLibraryItem(_QobjModel):
    """A sampled pulse the experiments play by name."""

    name: str
    samples: list[tuple[float, float]]
    """Complex samples as ``[re, im]`` pairs."""


class PulseQobjInstruction(_QobjModel):
    """One instruction of a pulse experiment, at time ``t0`` (in ``dt``).

    Plays and frame changes name a channel (``ch``: ``d0``, ``m1``, ``u2``...); ``acquire``
    lists ``qubits`` and ``memory_slot``; ``parametric_pulse`` carries ``pulse_shape`` and
    ``parameters``.
    """

    name: str
    t0: int
    ch: str | None = None
    phase: float | str | None = None
    frequency: float | str | None = None
    duration: int | str | None = None
    qubits: list[int] | None = None
    memory_slot: list[int] | None = None
    register_slot: list[int] | None = None
    pulse_shape: str | None = None
    parameters: dict[str, Any] | None = None
    label: str | None = None


class PulseQobjExperimentHeader(_QobjModel):
    """Experiment header: copied into the result."""

    name: str | None = None
    memory_slots: int | None = None
    metadata: dict[str, Any] | None = None


class PulseQobjExperimentConfig(_QobjModel):
    """Per-experiment LO frequencies (GHz), from ``schedule_los``."""

    qubit_lo_freq: list[float] | None = None
    meas_lo_freq: list[float] | None = None


class PulseQobjExperiment(_QobjModel):
    """One schedule of the job."""

    header: PulseQobjExperimentHeader = Field(default_factory=PulseQobjExperimentHeader)
    config: PulseQobjExperimentConfig | None = None
    instructions: list[PulseQobjInstruction] = Field(default_factory=list)


class PulseQobjConfig(_QobjModel):
    """Job-wide run configuration of a pulse job; extra run options are kept as extra
    fields."""

    shots: int | None = None
    memory: bool | None = None
    meas_level: int | None = None
    meas_return: str | None = None
    memory_slots: int | None = None
    memory_slot_size: int | None = None
    n_qubits: int | None = None
    qubit_lo_freq: list[float]
    """GHz, one per qubit."""
    meas_lo_freq: list[float]
    """GHz, one per qubit."""
    rep_time: int | None = None
    """Microseconds."""
    rep_delay: float | None = None
    """Microseconds."""
    init_qubits: bool | None = None
    use_measure_esp: bool | None = None
    parametric_pulses: list[str] = Field(default_factory=list)
    pulse_library: list[PulseLibraryItem] = Field(default_factory=list)


class PulseQobj(_QobjModel):
    """A PulseQobj (``type: "PULSE"``, ``schema_version: "1.2.0"``)."""

    qobj_id: str
    type: Literal["PULSE"] = "PULSE"
    schema_version: str = "1.2.0"
    header: QobjHeader = Field(default_factory=QobjHeader)
    config: PulseQobjConfig
    experiments: list[PulseQobjExperiment] = Field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON-ready upload body (``None`` fields left out, ``[re, im]`` pairs
        for complex numbers)."""
        wire: dict[str, Any] = json_ready(self.model_dump())
        return wire
