"""Job-limit bookkeeping for one backend of one account: when may another job be created?

Pure state, no I/O and no waiting: the async and blocking gates (``ibmq_async/_slots.py`` and
its generated twin) feed it what happened and wait while :meth:`SlotBook.admit` says no.

The server is the source of truth. ``GET {bk}/jobsLimit`` reports how many unfinished jobs the
caller has on the backend (``runningJobs``, which counts jobs of other clients and processes
too) and how many it may have (``maximumJobs``, ``-1`` for no limit). Between two such reports
the book counts what this client did: jobs it created (one more running), creations still in
flight (reserved), and jobs it saw reach a final state (one fewer). A count that drifts low is
corrected by the server: it answers error 3458, the book marks the backend full, and the next
report restores the truth. A job therefore holds its slot until it reaches a final state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import BackendJobLimit

REFRESH_FIRST = 0.02
"""Seconds before the first report is asked again while callers wait for a slot.

A slot frees when a job holding it ends; while nobody waits on those jobs (every ``run()``
of a batch first, then every ``result()``), this report is how the waiters learn of it.
bench/batch.py measured ``gather(run)``, then ``gather(result)``, at 1.20 to 1.34 times the
raw floor with 50 ms, 1.06 to 1.23 with 20 ms, for 0.3 more reports per job. The interval
still grows while nothing changes, to one report a second."""

REFRESH_MAX = 1.0
"""The longest interval between two reports while callers wait for a slot."""

REFRESH_GROWTH = 1.5
"""How much the interval grows after a report that freed nothing."""


@dataclass
class SlotBook:
    """Counts the unfinished jobs of one backend as this client knows them.

    Attributes:
        maximum: jobs allowed at once, ``-1`` for no limit, ``None`` until the first report.
        running: unfinished jobs at the last report, plus those created since.
        reserved: creations admitted and not answered yet.
        counted: ids of this client's jobs included in ``running``, not yet seen final.
        interval: seconds until the next report while someone waits.
    """

    maximum: int | None = None
    running: int = 0
    reserved: int = 0
    counted: set[str] = field(default_factory=set)
    interval: float = REFRESH_FIRST
    refreshing: bool = False
    created_while_refreshing: int = 0

    @property
    def known(self) -> bool:
        """Whether a report arrived (or the limit is known to be absent)."""
        return self.maximum is not None

    @property
    def free(self) -> int | None:
        """Slots free now, ``None`` for no limit or before the first report."""
        if self.maximum is None or self.maximum < 0:
            return None
        return max(self.maximum - self.running - self.reserved, 0)

    def admit(self) -> bool:
        """Take a slot for a creation if one is free; return whether it was taken."""
        if self.maximum is None:
            return False
        if self.maximum >= 0 and self.running + self.reserved >= self.maximum:
            return False
        self.reserved += 1
        return True

    def created(self, job_id: str) -> None:
        """A creation admitted by :meth:`admit` succeeded."""
        self.reserved = max(self.reserved - 1, 0)
        self.running += 1
        self.counted.add(job_id)
        if self.refreshing:
            # The report under way may have been counted before this job existed.
            self.created_while_refreshing += 1

    def abandoned(self) -> None:
        """A creation admitted by :meth:`admit` failed: no job holds its slot."""
        self.reserved = max(self.reserved - 1, 0)

    def full(self) -> None:
        """The server answered 3458: every slot is taken, whatever the book said."""
        self.reserved = max(self.reserved - 1, 0)
        if self.maximum is not None and self.maximum >= 0:
            self.running = max(self.running, self.maximum)
        self.interval = REFRESH_FIRST

    def finished(self, job_id: str) -> bool:
        """This client saw ``job_id`` reach a final state; return whether a slot came free."""
        if job_id not in self.counted:
            return False
        self.counted.discard(job_id)
        self.running = max(self.running - 1, 0)
        return True

    def report_started(self) -> None:
        """A jobs-limit report was asked for."""
        self.refreshing = True
        self.created_while_refreshing = 0

    def reported(self, limit: BackendJobLimit) -> None:
        """A jobs-limit report arrived.

        Creations still in flight stay reserved, and jobs created while the report was under
        way are added to it: the server may or may not have counted either, and counting them
        twice only delays the next creation until the following report, where counting them
        never would trip the limit.
        """
        before = self.free
        self.maximum = -1 if limit.maximum_jobs is None else limit.maximum_jobs
        self.running = limit.active_jobs + self.created_while_refreshing
        self.created_while_refreshing = 0
        after = self.free
        grew = after is None or before is None or after > before
        self.interval = REFRESH_FIRST if grew else min(self.interval * REFRESH_GROWTH, REFRESH_MAX)

    def report_failed(self) -> None:
        """The jobs-limit report could not be had: let one creation probe the server.

        Without a limit known the book admits freely and relies on 3458 answers; with one, it
        frees a single slot, so a backend that stays full answers 3458 again instead of
        everyone waiting on a report that never comes.
        """
        self.created_while_refreshing = 0
        if self.maximum is None:
            self.maximum = -1
        elif self.maximum > 0:
            self.running = min(self.running, self.maximum - 1)
        self.interval = min(self.interval * REFRESH_GROWTH, REFRESH_MAX)
