"""Change notifications for job watchers (the status websocket).

A watcher is woken, not handed the change: it re-reads the job when woken, so changes that
come faster than it reads are coalesced and none is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


class JobEvents:
    """Per-job wake-ups, used from one event loop."""

    def __init__(self) -> None:
        self._watchers: dict[str, set[asyncio.Event]] = {}

    @contextmanager
    def watch(self, job_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``job_id`` changes, for the duration of the block.

        Clear it *before* reading the job, then wait on it: a change made in between
        leaves it set, so the next wait returns at once.
        """
        event = asyncio.Event()
        watchers = self._watchers.setdefault(job_id, set())
        watchers.add(event)
        try:
            yield event
        finally:
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(job_id, None)

    def changed(self, job_ids: Iterable[str]) -> None:
        """Wake the watchers of each of ``job_ids``."""
        for job_id in job_ids:
            for event in self._watchers.get(job_id, ()):
                event.set()

    def watched(self) -> bool:
        """Whether anyone watches any job (to skip work nobody would see)."""
        return bool(self._watchers)
