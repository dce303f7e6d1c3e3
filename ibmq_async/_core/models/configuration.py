"""Backend configuration (``GET {hgp}/devices/v/1``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import SnakeModel, UtcDatetime


class GateConfig(SnakeModel):
    """One gate the backend supports, as listed in its configuration."""

    name: str
    parameters: list[str] | None = None
    qasm_def: str | None = None
    coupling_map: list[list[int]] | None = None


class BackendConfiguration(SnakeModel):
    """The static description of a backend (the IBM Quantum ``backend_configuration`` schema).

    Only the fields the SDK relies on are typed; every other field the server sends is kept
    and reachable as an attribute (``config.quantum_volume``) or through ``model_extra``.
    """

    backend_name: str
    backend_version: str
    n_qubits: int
    basis_gates: list[str]
    gates: list[GateConfig] = Field(default_factory=list)
    local: bool = False
    simulator: bool = False
    conditional: bool = False
    open_pulse: bool = False
    memory: bool = False
    max_shots: int
    coupling_map: list[list[int]] | None = None
    max_experiments: int | None = None
    online_date: UtcDatetime | None = None
    supported_instructions: list[str] | None = None
    dynamic_reprate_enabled: bool = False
    rep_delay_range: list[float] | None = None
    default_rep_delay: float | None = None
    measure_esp_enabled: bool = False
    simulation_method: str | None = None
    parametric_pulses: list[str] | None = None
    dt: float | None = None
    """Sample time in nanoseconds, as on the wire."""

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as the wire dictionary."""
        return self.model_dump(mode="json", exclude_none=True)
