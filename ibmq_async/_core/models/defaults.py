"""Pulse defaults (``GET {bk}/defaults``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import SnakeModel


class PulseDefaults(SnakeModel):
    """Default pulse calibrations of a backend (frequencies in GHz, as on the wire)."""

    qubit_freq_est: list[float]
    meas_freq_est: list[float]
    buffer: int = 0
    pulse_library: list[dict[str, Any]] = Field(default_factory=list)
    cmd_def: list[dict[str, Any]] = Field(default_factory=list)
