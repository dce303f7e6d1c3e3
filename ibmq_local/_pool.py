"""The worker processes that run simulations off the event loop.

Each worker is a long-lived spawned process that runs one job at a time, so that it keeps
its simulators warm between jobs, and so that the job it runs can be stopped by stopping
it (a cancelled job's simulation must not hold its device, and a process pool shared by
jobs cannot stop one of them).

No worker outlives the service, however the service ends (SIGKILL included): each worker
arms ``PR_SET_PDEATHSIG`` and watches its parent (:func:`ibmq_local._worker.die_with_parent`).
The kernel ties that signal to the parent *thread* that started the worker, so every worker
is started from the pool's one spawner thread, which lives as long as the pool.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from multiprocessing import resource_tracker, spawn
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from ._worker import ExecutionOutcome, ExecutionRequest, serve

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


class JobStopped(Exception):
    """The job's simulation was stopped on request (the job was cancelled)."""


_STOP_GRACE = 5.0
"""Seconds a worker gets to die of SIGTERM before it is killed."""


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in the calling thread, so that the processes it spawns start blocking it.

    Ctrl-C in a terminal signals the whole process group, workers included. A worker
    ignores SIGINT once it runs (see :func:`ibmq_local._worker.serve`), but it spends a
    second or two importing first, and SIGINT then would kill it and fail its job. The
    signal mask, unlike handlers, survives ``exec``: the child holds the signal pending
    until it has made it harmless. The stdlib starts its resource tracker the same way.
    """
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    # Starting the resource tracker unblocks SIGINT in the calling thread when done: have
    # it started first, so that starting the worker finds it running.
    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, context: _WorkerContext) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, os.getpid()), daemon=True)
        self.connection: Connection = parent
        self.backends: set[str] = set()
        """Backends this process has run a job of: their noise models and simulators are
        cached in it, so it is the one to pick for their next jobs."""
        with _sigint_blocked():
            self.process.start()
        # Only the child may hold its end: then the parent reads EOF as soon as it dies.
        child.close()

    def exchange(self, request: ExecutionRequest) -> object:
        """Send ``request``, return the reply (blocking; run it in a thread)."""
        self.connection.send(request)
        return self.connection.recv()

    def alive(self) -> bool:
        return self.process.is_alive()

    def terminate(self) -> None:
        if self.process.exitcode is None:
            self.process.terminate()

    def finish(self, timeout: float) -> None:
        """Wait up to ``timeout`` s for the process to end, then kill it; close the pipe."""
        self.process.join(timeout)
        if self.process.exitcode is None:
            logger.warning("killing worker process %s", self.process.pid)
            self.process.kill()
            self.process.join(_STOP_GRACE)
        self.connection.close()


class WorkerPool:
    """Up to ``max_workers`` idle :class:`IbmqLocalWorker` processes, started on demand.

    ``spawn`` is used because the service runs next to other threads (uvicorn's, the
    caller's); forking a threaded process is unsafe.
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._context = _WorkerContext()
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._retired: list[_Worker] = []
        self._closed = False
        # Workers die with the thread that starts them (see the module docstring): start
        # them all from this one thread, which ends only when the pool is closed.
        self._spawner = ThreadPoolExecutor(1, thread_name_prefix="ibmq-local-spawner")

    async def run(
        self, request: ExecutionRequest, stop: asyncio.Event | None = None
    ) -> ExecutionOutcome:
        """Run ``request`` in a worker process.

        Args:
            request: the job to run.
            stop: when set (before or during the run), the worker is stopped at once.

        Raises:
            JobStopped: if ``stop`` was set.
            WorkerCrashed: if the worker died.
            PoolClosed: if the pool is shutting down.
        """
        if stop is not None and stop.is_set():
            raise JobStopped(request.job_id)
        try:
            worker = await asyncio.get_running_loop().run_in_executor(
                self._spawner, self._checkout, request.backend_name
            )
        except RuntimeError as exc:  # the spawner was shut down: the pool is closed
            if self._closed:
                raise PoolClosed("the worker pool is closed") from exc
            raise
        exchange = asyncio.ensure_future(asyncio.to_thread(worker.exchange, request))
        stopping = asyncio.ensure_future(stop.wait()) if stop is not None else None
        try:
            await asyncio.wait(
                [f for f in (exchange, stopping) if f is not None],
                return_when=asyncio.FIRST_COMPLETED,
            )
        except BaseException:
            # Cancelled: the service is stopping and would drop the result anyway.
            self._retire(worker, exchange)
            raise
        finally:
            if stopping is not None:
                stopping.cancel()
        if not exchange.done():
            self._retire(worker, exchange)
            # The exchange ends (EOF) once the process is gone.
            if not (await asyncio.wait([exchange], timeout=_STOP_GRACE))[0]:
                worker.process.kill()
                await asyncio.wait([exchange])
            raise JobStopped(request.job_id)
        try:
            reply = exchange.result()
        except (EOFError, OSError) as exc:
            self._retire(worker, exchange)
            if self._closed:
                raise PoolClosed("the worker pool is closed") from exc
            raise WorkerCrashed(
                "The worker process running the job terminated abruptly (out of memory, or killed)."
            ) from exc
        worker.backends.add(request.backend_name)
        self._checkin(worker)
        if isinstance(reply, BaseException):
            raise reply
        if not isinstance(reply, ExecutionOutcome):
            raise TypeError(f"unexpected reply from a worker: {type(reply).__name__}")
        return reply

    def _checkout(self, backend: str) -> _Worker:
        """An idle live worker, or a new one (blocking: starting a process takes a while).

        An idle worker that has run ``backend`` before is preferred: it holds that backend's
        noise model and simulator, which another worker would build again (seconds, for a
        large device). Otherwise the most recently used idle worker is taken.
        """
        with self._lock:
            if self._closed:
                raise PoolClosed("the worker pool is closed")
            for worker in [w for w in self._idle if not w.alive()]:
                self._idle.remove(worker)
                self._retired.append(worker)
            if self._idle:
                worker = next(
                    (w for w in reversed(self._idle) if backend in w.backends), self._idle[-1]
                )
                self._idle.remove(worker)
                self._busy.add(worker)
                return worker
            self._reap_retired()
        _skip_main_for_workers()
        worker = _Worker(self._context)
        with self._lock:
            if not self._closed:
                self._busy.add(worker)
                return worker
        worker.connection.send(None)
        worker.finish(_STOP_GRACE)
        raise PoolClosed("the worker pool is closed")

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            self._busy.discard(worker)
            if not self._closed and len(self._idle) < self.max_workers:
                self._idle.append(worker)
                return
            self._retired.append(worker)
        worker.terminate()

    def _retire(self, worker: _Worker, exchange: asyncio.Future[object]) -> None:
        """Stop a worker whose job is abandoned; its pipe is closed once the exchange ends.

        It stays busy until then, so that :meth:`close` still waits for it.
        """
        worker.terminate()

        def done(future: asyncio.Future[object]) -> None:
            if not future.cancelled():
                future.exception()  # retrieved: an EOF here is expected
            with self._lock:
                if worker in self._busy:
                    self._busy.discard(worker)
                    self._retired.append(worker)

        exchange.add_done_callback(done)

    def _reap_retired(self) -> None:
        """Release the processes and pipes of retired workers that have ended (lock held)."""
        ended = [worker for worker in self._retired if not worker.alive()]
        for worker in ended:
            worker.finish(0)
            self._retired.remove(worker)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the workers: idle ones are asked to exit, then stragglers are killed.

        Blocking; call it from a thread when an event loop is running.
        """
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            retired, self._retired = self._retired, []
            busy = list(self._busy)
        # A job still running here is abandoned: it stays RUNNING and is re-queued at the
        # next start, so its worker has nothing left to finish.
        for worker in busy:
            worker.terminate()
        for worker in idle:
            try:
                worker.connection.send(None)
            except OSError:
                worker.terminate()
        deadline = time.monotonic() + timeout
        for worker in [*idle, *retired]:
            worker.finish(max(0.0, deadline - time.monotonic()))
        for worker in busy:
            # Reaped only: a thread may still be reading its pipe, which closes with it.
            worker.process.join(max(0.0, deadline - time.monotonic()))
        # Any worker still alive gets its parent-death signal when this thread ends.
        self._spawner.shutdown(wait=False)
