"""Backend calibration properties (``GET {bk}/properties``)."""

from __future__ import annotations

from pydantic import Field

from ._base import SnakeModel, UtcDatetime


class Nduv(SnakeModel):
    """A named, dated, unit-carrying value (a calibration figure)."""

    date: UtcDatetime
    name: str
    unit: str
    value: float


class GateProperties(SnakeModel):
    """Calibration of one gate on some qubits."""

    qubits: list[int]
    gate: str
    parameters: list[Nduv]
    name: str | None = None


class BackendProperties(SnakeModel):
    """The calibration snapshot of a device (the ``backend_properties`` schema)."""

    backend_name: str
    backend_version: str
    last_update_date: UtcDatetime
    qubits: list[list[Nduv]]
    gates: list[GateProperties]
    general: list[Nduv] = Field(default_factory=list)

    def qubit_property(self, qubit: int, name: str) -> Nduv | None:
        """Return the named property of a qubit (``T1``, ``readout_error``, ...), or ``None``."""
        for item in self.qubits[qubit]:
            if item.name == name:
                return item
        return None

    def gate_property(self, gate: str, qubits: list[int], name: str) -> Nduv | None:
        """Return the named property (``gate_error``, ``gate_length``) of a gate, or ``None``."""
        for entry in self.gates:
            if entry.gate == gate and entry.qubits == qubits:
                for item in entry.parameters:
                    if item.name == name:
                        return item
        return None
