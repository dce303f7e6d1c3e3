"""Async primitives; ``_compat.py`` is the blocking twin the sync facade uses.

The sync generator maps this module's name to ``_compat``: everything that truly differs between
the async core and the blocking facade lives in this pair, nowhere else.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread

if TYPE_CHECKING:
    from pathlib import Path

    from ibmq_local.service import LocalService

__all__ = ["monotonic", "sleep", "start_local_service"]

monotonic = time.monotonic


async def sleep(seconds: float) -> None:
    """Wait without blocking the event loop."""
    await anyio.sleep(seconds)


async def start_local_service(data_dir: Path | None) -> LocalService:
    """Start (or reuse) the embedded local service in a worker thread."""
    from ._local import embedded

    return await anyio.to_thread.run_sync(embedded, data_dir)
