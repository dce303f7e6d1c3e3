"""The job-limit gate of one backend: creations wait here for a free slot.

Concurrent ``run()`` calls of one provider share a gate per backend, sized by the backend's
``jobsLimit`` report (see ``_core/slots.py`` for the bookkeeping). A caller that finds no free
slot waits; one of the waiters at a time asks the server for a fresh report, at a pace that
slows while nothing changes, and every change wakes the others.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._acompat import Signal, StateLock, monotonic
from ._core.exceptions import IBMQApiError
from ._core.slots import REFRESH_MAX, SlotBook

IDLE_WAIT = 10.0
"""Seconds a waiter that keeps no time sleeps at most before it looks at the gate again."""

if TYPE_CHECKING:
    from .backend import AsyncIBMQBackend

logger = logging.getLogger(__name__)


class AsyncSlotGate:
    """Admits job creations on one backend while the account's job limit allows."""

    def __init__(self, backend: AsyncIBMQBackend) -> None:
        self._name = backend.name()
        self._backend = backend
        self._book = SlotBook()
        self._lock = StateLock()
        self._signal = Signal()
        self._next_report = 0.0
        self._watching = False
        """Whether a waiter keeps time for the next report (the others wait to be woken)."""

    def __repr__(self) -> str:
        book = self._book
        return (
            f"<{type(self).__name__} {self._name} maximum={book.maximum} "
            f"running={book.running} reserved={book.reserved}>"
        )

    @property
    def book(self) -> SlotBook:
        """The gate's bookkeeping (read it, do not change it)."""
        return self._book

    async def acquire(self) -> None:
        """Wait until a creation may be sent, and reserve its slot.

        Follow with exactly one of :meth:`created`, :meth:`abandoned` or :meth:`full`.
        """
        while True:
            watch = False
            with self._lock:
                if self._book.admit():
                    return
                generation = self._signal.generation
                now = monotonic()
                lead = not self._book.refreshing and now >= self._next_report
                if lead:
                    self._book.report_started()
                elif not self._book.refreshing and not self._watching:
                    self._watching = watch = True
                pause = max(self._next_report - now, 0.0) if not self._book.refreshing else 0.0
            if lead:
                await self._refresh()
            elif watch:
                # This waiter leads the next report when it is due.
                try:
                    await self._signal.wait(generation, pause or REFRESH_MAX)
                finally:
                    with self._lock:
                        self._watching = False
            else:
                # Woken when a slot may be free or a report is to be led; the timeout only
                # guards against a wake-up lost in between.
                await self._signal.wait(generation, IDLE_WAIT)

    async def _refresh(self) -> None:
        try:
            limit = await self._backend.job_limit()
        except IBMQApiError as exc:
            logger.debug("%s: no job-limit report (%s); probing with one job", self._name, exc)
            with self._lock:
                self._book.report_failed()
        else:
            with self._lock:
                self._book.reported(limit)
        finally:
            with self._lock:
                self._book.refreshing = False
                self._next_report = monotonic() + self._book.interval
            self._wake()

    def _wake(self) -> None:
        """Signal a change to as many waiters as it may let through: one per free slot,
        plus one to keep time for the next report (all, while the limit is unknown)."""
        with self._lock:
            free = self._book.free
            watched = self._watching or self._book.refreshing
        self._signal.notify(None if free is None else free + (0 if watched else 1))

    def created(self, job_id: str) -> None:
        """The reserved creation made job ``job_id``: it holds the slot until final."""
        with self._lock:
            self._book.created(job_id)
        self._wake()

    def abandoned(self) -> None:
        """The reserved creation failed: its slot is free again."""
        with self._lock:
            self._book.abandoned()
        self._wake()

    def full(self) -> None:
        """The server refused the reserved creation with 3458: wait for the next report."""
        with self._lock:
            self._book.full()
            self._next_report = min(self._next_report, monotonic())
        self._wake()

    def finished(self, job_id: str) -> None:
        """Job ``job_id`` reached a final state: its slot (if it held one) is free."""
        with self._lock:
            freed = self._book.finished(job_id)
        if freed:
            self._wake()
