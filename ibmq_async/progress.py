"""Progress of a job set: a terminal progress bar for people, a callback for services."""

from __future__ import annotations

import sys
import threading
from typing import Any

from tqdm import tqdm

from ._core.progress_events import ProgressCallback, ProgressEvent, Stage

__all__ = ["Progress", "ProgressCallback", "ProgressEvent"]


class Progress:
    """Counts a set's submissions and completions; shows bars and calls the callback.

    The bars are drawn on standard error when it is a terminal, or when ``show`` is true.
    """

    def __init__(
        self,
        jobs: int,
        label: str,
        *,
        show: bool | None = None,
        callback: ProgressCallback | None = None,
    ) -> None:
        self._jobs = jobs
        self._label = label
        self._callback = callback
        self._show = sys.stderr.isatty() if show is None else bool(show)
        self._lock = threading.Lock()
        self._counts: dict[Stage, int] = {"submitted": 0, "finished": 0}
        self._bars: dict[Stage, tqdm[Any]] = {}

    def _bar(self, stage: Stage) -> tqdm[Any] | None:
        if not self._show:
            return None
        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(
                total=self._jobs,
                desc=f"{self._label} {stage}",
                unit="job",
                file=sys.stderr,
                position=len(self._bars),
                leave=True,
            )
        return bar

    def start(self, stage: Stage, already: int = 0) -> None:
        """Show the bar of ``stage`` with ``already`` jobs counted (a resumed set)."""
        with self._lock:
            self._counts[stage] = already
            bar = self._bar(stage)
            if bar is not None and already:
                bar.update(already)

    def step(
        self, stage: Stage, job_index: int, job_id: str | None = None, error: str | None = None
    ) -> None:
        """Count one job as having passed ``stage``."""
        with self._lock:
            self._counts[stage] += 1
            bar = self._bar(stage)
            if bar is not None:
                bar.update(1)
            event = ProgressEvent(
                stage,
                job_index,
                self._jobs,
                self._counts["submitted"],
                self._counts["finished"],
                job_id,
                error,
            )
        if self._callback is not None:
            self._callback(event)

    def close(self) -> None:
        """Take the bars off the terminal."""
        with self._lock:
            for bar in self._bars.values():
                bar.close()
            self._bars.clear()
