"""When queued jobs will start and finish: the dispatcher's rules played forward. No I/O.

The scheduler runs one job per backend at a time, at most ``slots`` jobs at once, and
whenever a slot is free starts the oldest queued job (by queue sequence) whose backend is
idle. :func:`estimate_schedule` replays exactly that with expected durations, so an estimate
accounts for the jobs ahead on the same backend *and* for other backends competing for the
worker slots.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class QueuedJob:
    """A job waiting in a backend's queue."""

    sequence: int
    """Global queue order: the dispatcher starts lower numbers first."""
    job_id: str
    duration: float
    """Expected run time, in seconds."""


@dataclass(frozen=True)
class Slot:
    """Expected start and end of a queued job, in seconds from now."""

    start: float
    end: float


def estimate_schedule(
    queues: Mapping[str, Sequence[QueuedJob]],
    running: Mapping[str, float],
    slots: int,
) -> dict[str, Slot]:
    """Expected start and end of every queued job.

    Args:
        queues: per backend, its queued jobs in queue order; only backends whose queue is
            being processed (a paused backend's jobs never start).
        running: per busy backend, the seconds its running job still needs.
        slots: how many jobs may run at once.
    """
    backend_free = dict(running)
    # Each running job holds a slot until it ends; the other slots are free now.
    free_at = sorted(running.values())
    free_at += [0.0] * max(0, slots - len(free_at))
    heapq.heapify(free_at)
    heads = {backend: 0 for backend, queue in queues.items() if queue}
    schedule: dict[str, Slot] = {}
    while heads and free_at:
        now = heapq.heappop(free_at)
        ready = [b for b in heads if backend_free.get(b, 0.0) <= now]
        if not ready:
            # Every backend with work is busy: this slot idles until the first one frees.
            heapq.heappush(free_at, min(backend_free[b] for b in heads))
            continue
        backend = min(ready, key=lambda b: queues[b][heads[b]].sequence)
        job = queues[backend][heads[backend]]
        end = now + job.duration
        schedule[job.job_id] = Slot(now, end)
        backend_free[backend] = end
        heapq.heappush(free_at, end)
        heads[backend] += 1
        if heads[backend] == len(queues[backend]):
            del heads[backend]
    return schedule
