"""The process pool that runs simulations off the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import spawn
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from ._worker import ExecutionOutcome, ExecutionRequest, execute

logger = logging.getLogger(__name__)


class IbmqLocalWorker(SpawnProcess):
    """A spawned worker process that does not re-run the parent's ``__main__``.

    A spawned child normally re-imports the parent's main script before it can work.
    Scripts that start the embedded service at import time (no
    ``if __name__ == "__main__":`` guard) would then start a service inside every worker
    and never get their jobs run. The workers only need ``ibmq_local._worker``, so the
    main-module entries are dropped from their preparation data (see
    :func:`_skip_main_for_workers`). The process name, derived from this class name, is
    what marks a process as one of ours.
    """


class _WorkerContext(SpawnContext):
    Process = IbmqLocalWorker


_patch_lock = threading.Lock()


def _skip_main_for_workers() -> None:
    """Wrap ``multiprocessing.spawn.get_preparation_data`` once, for our workers only."""
    with _patch_lock:
        original = spawn.get_preparation_data
        if getattr(original, "_ibmq_local", False):
            return

        def get_preparation_data(name: str) -> dict[str, Any]:
            data: dict[str, Any] = original(name)
            if name.startswith(IbmqLocalWorker.__name__ + "-"):
                data.pop("init_main_from_path", None)
                data.pop("init_main_from_name", None)
            return data

        get_preparation_data._ibmq_local = True  # type: ignore[attr-defined]
        spawn.get_preparation_data = get_preparation_data


class WorkerCrashed(Exception):
    """A worker process died while running a job."""


class PoolClosed(Exception):
    """The pool no longer accepts work (the service is stopping)."""


class WorkerPool:
    """A lazily created ``ProcessPoolExecutor`` of spawned :class:`IbmqLocalWorker` processes.

    ``spawn`` is used because the service runs next to other threads (uvicorn's, the
    caller's); forking a threaded process is unsafe.
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _get_executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise PoolClosed("the worker pool is closed")
            if self._executor is None:
                _skip_main_for_workers()
                self._executor = ProcessPoolExecutor(
                    max_workers=self.max_workers, mp_context=_WorkerContext()
                )
            return self._executor

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, request: ExecutionRequest) -> ExecutionOutcome:
        """Run ``request`` in a worker process.

        Raises:
            WorkerCrashed: if the worker died (the pool is replaced for later jobs).
            PoolClosed: if the pool is shutting down.
        """
        executor = self._get_executor()
        try:
            future = executor.submit(execute, request)
        except BrokenProcessPool:
            self._discard(executor)
            executor = self._get_executor()
            future = executor.submit(execute, request)
        except RuntimeError as exc:  # "cannot schedule new futures after shutdown"
            raise PoolClosed(str(exc)) from exc
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool as exc:
            self._discard(executor)
            raise WorkerCrashed(
                "The worker process running the job terminated abruptly (out of memory, or killed)."
            ) from exc

    def close(self, timeout: float = 10.0) -> None:
        """Stop the workers: let running jobs finish for ``timeout`` s, then kill them.

        Blocking; call it from a thread when an event loop is running.
        """
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is None:
            return
        processes: list[Any] = list(getattr(executor, "_processes", {}).values())
        executor.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
        for process in processes:
            if process.is_alive():
                logger.warning("terminating worker process %s", process.pid)
                process.terminate()
                process.join(2.0)
        executor.shutdown(wait=True)
