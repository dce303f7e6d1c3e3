"""The bookkeeping of a project's shared status poll, without I/O.

When the status websocket is unavailable, every job of one project that waits for a final
state joins one :class:`PollBook`. One request per round (a job listing filtered by id, see
:func:`status_filter`) looks at all of them; each waiter then applies its own job's
:class:`Look`. The interval between rounds starts at ``FIRST_POLL``, grows by
``POLL_GROWTH`` while nothing changes, goes back to ``FIRST_POLL`` when a status or queue
position changes, and never exceeds the smallest ``wait`` of the jobs in the group. A job
nobody has looked at yet is looked at within ``FIRST_POLL`` of the last round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .defaults import FIRST_POLL, POLL_GROWTH
from .errors import ErrorFamily, protocol_error
from .exceptions import IBMQApiError
from .models import JobStatusResponse
from .replies import parse
from .statuses import FINAL_API_STATUSES

CHUNK = 100
"""Job ids per listing request of one round."""

STATUS_FIELDS = {"id": True, "status": True, "infoQueue": True}
"""The fields a round asks the listing for."""


def status_filter(job_ids: list[str]) -> dict[str, Any]:
    """The LoopBack filter of one listing request that returns the status of ``job_ids``."""
    return {
        "where": {"id": {"inq": list(job_ids)}},
        "fields": dict(STATUS_FIELDS),
        "limit": len(job_ids),
    }


def chunks(job_ids: list[str], size: int = CHUNK) -> list[list[str]]:
    """``job_ids`` in requests of at most ``size`` ids."""
    return [job_ids[start : start + size] for start in range(0, len(job_ids), size)]


def parse_statuses(payload: Any, family: ErrorFamily, context: str) -> dict[str, JobStatusResponse]:
    """A listing reply (a list of ``{id, status, infoQueue?}``) as ``{job id: status}``.

    Raises:
        IBMQApiError: of ``family``'s protocol class, when the reply is not a list of such
            objects.
    """
    if not isinstance(payload, list):
        raise protocol_error(family, context, f"expected a list, got {type(payload).__name__}")
    found: dict[str, JobStatusResponse] = {}
    for index, item in enumerate(payload):
        job_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(job_id, str):
            raise protocol_error(family, context, f"job {index} has no id")
        found[job_id] = parse(JobStatusResponse, item, family, f"{context}, job {job_id}")
    return found


@dataclass(frozen=True)
class Look:
    """The outcome of one round for one job: its status, or that the listing left it out
    (``reply`` and ``error`` both ``None``), or the error the round's request failed with."""

    round: int
    reply: JobStatusResponse | None = None
    error: IBMQApiError | None = None


@dataclass(eq=False)
class Ticket:
    """One waiter's membership of the group: which job, how often at least, what it saw."""

    job_id: str
    wait: float
    seen: int = 0
    """The last round whose look this waiter took."""
    looked: bool = False
    """Whether a round has looked at the job since the waiter joined."""


def _seen(reply: JobStatusResponse) -> tuple[str, int | None]:
    info = reply.info_queue
    return reply.status.value, info.position if info else None


@dataclass
class PollBook:
    """The group of one project's waiting jobs, and the pace of its rounds.

    Every method is called with the owner's lock held; none waits.
    """

    interval: float = FIRST_POLL
    """The pause after the last round, before backing off further."""
    polling: bool = False
    """Whether a waiter leads a round now."""
    round: int = 0
    """Rounds started so far."""
    last_end: float = float("-inf")
    """When the last round ended (``monotonic()``)."""
    timekeeper: Ticket | None = None
    """The waiter that sleeps until the next round is due (the others wait to be woken)."""
    timekeeper_until: float = float("inf")
    """When the timekeeper wakes up."""
    requests: int = 0
    """Listing requests sent so far (for tests and benchmarks)."""
    _tickets: dict[str, list[Ticket]] = field(default_factory=dict)
    _looks: dict[str, Look] = field(default_factory=dict)
    _unseen: set[str] = field(default_factory=set)
    _changed: bool = False

    @property
    def job_ids(self) -> list[str]:
        """The jobs in the group."""
        return list(self._tickets)

    def join(self, job_id: str, wait: float) -> Ticket:
        """Add a waiter of ``job_id`` that wants a look at least every ``wait`` seconds."""
        ticket = Ticket(job_id, wait, seen=self.round)
        if job_id not in self._tickets:
            self._tickets[job_id] = []
            self._unseen.add(job_id)
        self._tickets[job_id].append(ticket)
        return ticket

    def leave(self, ticket: Ticket) -> None:
        """Remove a waiter; its job leaves the group with its last waiter."""
        waiting = self._tickets.get(ticket.job_id, [])
        if ticket in waiting:
            waiting.remove(ticket)
        if not waiting:
            self._tickets.pop(ticket.job_id, None)
            self._looks.pop(ticket.job_id, None)
            self._unseen.discard(ticket.job_id)
        if self.timekeeper is ticket:
            self.timekeeper = None
            self.timekeeper_until = float("inf")

    def news(self, ticket: Ticket) -> Look | None:
        """The look at the ticket's job that its waiter has not taken yet, if any."""
        look = self._looks.get(ticket.job_id)
        if look is None or look.round <= ticket.seen:
            return None
        ticket.seen = look.round
        ticket.looked = True
        return look

    def due(self) -> float:
        """When the next round should start (``monotonic()`` time)."""
        if not self._tickets:
            return float("inf")
        pause = min(self.interval, *(t.wait for ts in self._tickets.values() for t in ts))
        if self._unseen:
            pause = min(pause, FIRST_POLL)
        return self.last_end + pause

    def start_round(self) -> tuple[int, list[str]]:
        """A waiter leads the next round: its number and the ids to look at (none final)."""
        self.polling = True
        self.round += 1
        ids = [
            job_id
            for job_id in self._tickets
            if (look := self._looks.get(job_id)) is None
            or look.reply is None
            or look.reply.status not in FINAL_API_STATUSES
        ]
        self._unseen.difference_update(ids)
        self._changed = False
        return self.round, ids

    def record(
        self,
        number: int,
        job_ids: Iterable[str],
        replies: dict[str, JobStatusResponse] | None = None,
        error: IBMQApiError | None = None,
    ) -> None:
        """Keep the outcome of one request of round ``number``: ``replies`` by job id (a job
        left out of them is missing from the listing), or the ``error`` it failed with."""
        self.requests += 1
        for job_id in job_ids:
            if job_id not in self._tickets:
                continue  # its waiters left meanwhile
            reply = None if replies is None else replies.get(job_id)
            before = self._looks.get(job_id)
            if reply is not None and before is not None and before.reply is not None:
                self._changed |= _seen(before.reply) != _seen(reply)
            self._looks[job_id] = Look(number, reply, error)

    def end_round(self, now: float) -> None:
        """The round's leader is done (or gave up): set the pace of the next round."""
        self.polling = False
        self.last_end = now
        if self._changed:
            self.interval = FIRST_POLL
        else:
            self.interval = self.interval * POLL_GROWTH
        waits = [t.wait for ts in self._tickets.values() for t in ts]
        if waits:
            self.interval = min(self.interval, min(waits))
        self._changed = False
