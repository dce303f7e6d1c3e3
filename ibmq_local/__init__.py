"""ibmq_local: an embedded IBM Quantum service speaking the legacy REST protocol.

The public names are imported lazily, so that worker processes (which import
``ibmq_local._worker``) do not pay for FastAPI and uvicorn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .config import Settings, load_settings
    from .service import LocalService, default_data_dir, embedded_service

__all__ = [
    "LocalService",
    "Settings",
    "create_app",
    "default_data_dir",
    "embedded_service",
    "load_settings",
]

_LOCATIONS = {
    "LocalService": "service",
    "default_data_dir": "service",
    "embedded_service": "service",
    "create_app": "app",
    "Settings": "config",
    "load_settings": "config",
}


def __getattr__(name: str) -> Any:
    module = _LOCATIONS.get(name)
    if module is None:
        raise AttributeError(f"module 'ibmq_local' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
