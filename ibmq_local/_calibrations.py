"""Calibration history of each device: its shipped snapshot, then configured recalibrations.

``GET {bk}/properties`` serves the newest calibration already made (one dated in the future
is not made yet); with a filter such as ``{"last_update_date": {"lt": T}}`` the newest one
that matches (protocol 2.3). A device simulates with the calibration in effect when a job
starts.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ibmq_async._core.dates import format_iso, parse_iso, utc_now

from ._catalog import BackendCatalog, SnapshotRef
from ._loopback import matches
from .config import RecalibrationConfig, Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Calibration:
    """One calibration of a device."""

    date: datetime
    document: dict[str, Any]
    """The ``backend_properties`` document served; shared, do not modify."""
    body: bytes
    """:attr:`document` as JSON, serialised once."""
    props_path: str
    """The file whose figures the simulator's noise model is built from."""


class CalibrationHistory:
    """Every device's calibrations, oldest first, built on first use. Thread-safe."""

    def __init__(self, catalog: BackendCatalog, settings: Settings) -> None:
        self._catalog = catalog
        self._settings = settings
        self._lock = threading.Lock()
        self._histories: dict[str, list[Calibration]] = {}

    def history(self, name: str) -> list[Calibration]:
        """All calibrations of ``name``, oldest first; empty for the simulator."""
        with self._lock:
            cached = self._histories.get(name)
        if cached is not None:
            return cached
        built = self._build(name)
        with self._lock:
            return self._histories.setdefault(name, built)

    def newest(
        self, name: str, *, where: dict[str, Any] | None = None, at: datetime | None = None
    ) -> Calibration | None:
        """The newest calibration made by ``at`` (default now) that matches ``where``."""
        moment = at or utc_now()
        for calibration in reversed(self.history(name)):
            if calibration.date > moment:
                continue
            if where and not matches(calibration.document, where):
                continue
            return calibration
        return None

    def snapshot_at(self, name: str, at: datetime | None = None) -> SnapshotRef | None:
        """The snapshot to simulate ``name`` with at ``at``: its calibration then, if any."""
        snapshot = self._catalog.snapshot(name)
        calibration = self.newest(name, at=at)
        if snapshot is None or calibration is None:
            return snapshot
        return replace(snapshot, props_file=calibration.props_path)

    def _build(self, name: str) -> list[Calibration]:
        snapshot = self._catalog.snapshot(name)
        shipped = self._catalog.properties(name)
        if snapshot is None or snapshot.props_file is None or not shipped:
            return []
        date = parse_iso(str(shipped.get("last_update_date", "")))
        if date is None:
            logger.warning("properties of %s have no usable last_update_date", name)
            return []
        path = str(Path(snapshot.directory) / snapshot.props_file)
        history = [_calibration(date, shipped, path)]
        for recalibration in self._settings.backend_settings(name).recalibrations:
            made = _recalibrate(name, history[-1], recalibration)
            if made is not None:
                history.append(made)
        history.sort(key=lambda calibration: calibration.date)
        return history


def _calibration(date: datetime, document: dict[str, Any], path: str) -> Calibration:
    return Calibration(date, document, json.dumps(document).encode(), path)


def _recalibrate(
    name: str, previous: Calibration, recalibration: RecalibrationConfig
) -> Calibration | None:
    """The calibration ``recalibration`` describes, or ``None`` if its file is unusable."""
    if recalibration.properties_file is None:
        document = _redated(previous.document, recalibration.date)
        path = previous.props_path
    else:
        path = str(recalibration.properties_file)
        try:
            loaded = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("ignoring recalibration %s of %s: %s", path, name, exc)
            return None
        if not isinstance(loaded, dict) or not {"qubits", "gates"} <= set(loaded):
            logger.warning("ignoring recalibration %s of %s: not backend properties", path, name)
            return None
        document = {**loaded, "last_update_date": format_iso(recalibration.date)}
    document["backend_name"] = name
    return _calibration(recalibration.date, document, path)


def _redated(document: dict[str, Any], date: datetime) -> dict[str, Any]:
    """A copy of ``document`` measured again at ``date``: same figures, new dates."""
    stamp = format_iso(date)
    copied = copy.deepcopy(document)
    copied["last_update_date"] = stamp
    figures = [item for qubit in copied.get("qubits", []) for item in qubit]
    figures += [item for gate in copied.get("gates", []) for item in gate.get("parameters", [])]
    figures += list(copied.get("general", []))
    for item in figures:
        if isinstance(item, dict) and "date" in item:
            item["date"] = stamp
    return copied
