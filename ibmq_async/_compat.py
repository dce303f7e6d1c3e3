"""Blocking primitives, the twin of ``_acompat.py`` used by the generated sync facade."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from ibmq_local.service import LocalService

__all__ = ["monotonic", "sleep", "start_local_service"]

monotonic = time.monotonic


def sleep(seconds: float) -> None:
    """Block the calling thread."""
    time.sleep(seconds)


def start_local_service(data_dir: Path | None) -> LocalService:
    """Start (or reuse) the embedded local service."""
    from ._local import embedded

    return embedded(data_dir)
