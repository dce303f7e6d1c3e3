"""The backends the local service serves: the ideal simulator and device snapshots.

Device snapshots are the ``conf_*.json`` / ``props_*.json`` pairs that
``qiskit-ibm-runtime`` ships under ``qiskit_ibm_runtime/fake_provider/backends/*/``. They
are found through the package's location on disk, without importing
``qiskit_ibm_runtime`` (which takes seconds), and served under the ``backend_name``
recorded in each configuration.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._simulator_config import SIMULATOR_NAME, simulator_configuration

logger = logging.getLogger(__name__)

PULSE_DEFAULTS = Path(__file__).parent / "data" / "pulse_defaults"
"""``{backend_name}.json.gz``: pulse defaults of devices (see the NOTICE there)."""


@dataclass(frozen=True)
class SnapshotRef:
    """Where the files of one device snapshot live (picklable, for worker processes)."""

    backend_name: str
    directory: str
    conf_file: str
    props_file: str | None


def find_snapshot_root() -> Path | None:
    """Return ``qiskit_ibm_runtime/fake_provider/backends`` if the package is installed."""
    try:
        spec = importlib.util.find_spec("qiskit_ibm_runtime")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        root = Path(location) / "fake_provider" / "backends"
        if root.is_dir():
            return root
    return None


class BackendCatalog:
    """Configurations and properties of every served backend, loaded lazily and cached.

    Thread-safe: the first access scans the snapshot folders (in whatever thread calls).
    """

    def __init__(self, snapshot_root: Path | None = None, *, discover: bool = True) -> None:
        self._root = (
            snapshot_root
            if snapshot_root is not None
            else (find_snapshot_root() if discover else None)
        )
        self._lock = threading.Lock()
        self._configs: dict[str, dict[str, Any]] | None = None
        self._snapshots: dict[str, SnapshotRef] = {}
        self._properties: dict[str, tuple[dict[str, Any], bytes]] = {}
        self._listing: bytes | None = None

    def load(self) -> None:
        """Scan the snapshots now (otherwise done on first use)."""
        self._ensure_loaded()

    def names(self) -> list[str]:
        """Names of all backends, the simulator first."""
        return list(self._ensure_loaded())

    def configuration(self, name: str) -> dict[str, Any] | None:
        """The configuration of backend ``name``, or ``None`` if unknown."""
        return self._ensure_loaded().get(name)

    def is_simulator(self, name: str) -> bool:
        """Whether ``name`` is the ideal simulator."""
        return name == SIMULATOR_NAME

    def snapshot(self, name: str) -> SnapshotRef | None:
        """The snapshot files of device ``name`` (``None`` for the simulator)."""
        self._ensure_loaded()
        return self._snapshots.get(name)

    def listing_json(self) -> bytes:
        """The ``GET devices/v/1`` response body, serialised once."""
        configs = self._ensure_loaded()
        with self._lock:
            if self._listing is None:
                self._listing = json.dumps(list(configs.values())).encode()
            return self._listing

    def properties(self, name: str) -> dict[str, Any]:
        """The calibration snapshot of ``name``; ``{}`` for the simulator or when absent.

        The returned dict is shared: do not modify it.
        """
        return self._load_properties(name)[0]

    def properties_json(self, name: str) -> bytes:
        """:meth:`properties`, serialised once."""
        return self._load_properties(name)[1]

    def defaults_json(self, name: str) -> bytes:
        """The ``GET {bk}/defaults`` body: the device's pulse defaults, or ``{}``."""
        if name not in self._ensure_loaded():
            return b"{}"
        path = PULSE_DEFAULTS / f"{name}.json.gz"
        try:
            return gzip.decompress(path.read_bytes())
        except OSError:
            return b"{}"

    def _load_properties(self, name: str) -> tuple[dict[str, Any], bytes]:
        snapshot = self.snapshot(name)
        if snapshot is None or snapshot.props_file is None:
            return {}, b"{}"
        with self._lock:
            cached = self._properties.get(name)
        if cached is not None:
            return cached
        path = Path(snapshot.directory) / snapshot.props_file
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("cannot read properties of %s: %s", name, exc)
            loaded = {}
        if not isinstance(loaded, dict):
            loaded = {}
        if loaded:
            loaded["backend_name"] = name
        entry = (loaded, json.dumps(loaded).encode())
        with self._lock:
            self._properties[name] = entry
        return entry

    def _ensure_loaded(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if self._configs is None:
                self._configs = self._scan()
            return self._configs

    def _scan(self) -> dict[str, dict[str, Any]]:
        configs: dict[str, dict[str, Any]] = {SIMULATOR_NAME: simulator_configuration()}
        if self._root is None:
            logger.info("qiskit-ibm-runtime not found: serving only %s", SIMULATOR_NAME)
            return configs
        for conf_path in sorted(self._root.glob("*/conf_*.json")):
            try:
                config = json.loads(conf_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                logger.warning("skipping snapshot %s: %s", conf_path, exc)
                continue
            name = config.get("backend_name") if isinstance(config, dict) else None
            if not isinstance(name, str) or not name or name in configs:
                logger.warning("skipping snapshot %s: missing or duplicate name", conf_path)
                continue
            if "online_date" not in config:
                continue
            suffix = conf_path.name[len("conf_") :]
            props_path = conf_path.with_name("props_" + suffix)
            if config.get("open_pulse") and not (PULSE_DEFAULTS / f"{name}.json.gz").exists():
                # Without pulse defaults a device cannot honour pulse: do not advertise it.
                config["open_pulse"] = False
            # Aer returns classified counts only: kerneled (level 1) data cannot be served.
            config["meas_levels"] = [2]
            configs[name] = config
            self._snapshots[name] = SnapshotRef(
                backend_name=name,
                directory=str(conf_path.parent),
                conf_file=conf_path.name,
                props_file=props_path.name if props_path.exists() else None,
            )
        return configs
