# Hand-written: the blocking twin of ibmq_async/_acompat.py (tools/unasync.py lists it).
"""Blocking primitives, the twin of ``ibmq_async/_acompat.py`` used by the generated facade.

Same names and signatures as the async module, with threads where that one has tasks.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from qiskit.providers import BackendV2, Options

from ibmq_async._core.models import BackendConfiguration
from ibmq_async._core.names import BackendName
from ibmq_async._core.websocket import (
    WebSocketClosed,
    closed_by,
    closed_error,
    decode_message,
    handshake_error,
)

if TYPE_CHECKING:
    from pathlib import Path

    from websockets.sync.client import ClientConnection

    from ibmq_local.service import LocalService

__all__ = [
    "Ahead",
    "BackendBase",
    "Event",
    "Limiter",
    "Relogin",
    "Signal",
    "StateLock",
    "TaskGroup",
    "WebSocket",
    "connect_websocket",
    "monotonic",
    "sent_trace",
    "shielded",
    "sleep",
    "start_local_service",
]

monotonic = time.monotonic


def sleep(seconds: float) -> None:
    """Block the calling thread; in a stopped task group, stop instead."""
    stopping = _stop_requested()
    if stopping is None:
        time.sleep(seconds)
    elif stopping.wait(seconds):
        raise _Stopped


def start_local_service(data_dir: Path | None) -> LocalService:
    """Start (or reuse) the embedded local service."""
    from ._local import embedded

    return embedded(data_dir)


class BackendBase(BackendV2):  # type: ignore[misc]  # qiskit is untyped
    """The base of the blocking backend: qiskit's ``BackendV2``, so that ``transpile``,
    preset pass managers and the primitives accept it."""

    def __init__(self, configuration: BackendConfiguration) -> None:
        super().__init__(
            name=BackendName(configuration.backend_name),
            description=getattr(configuration, "description", None),
            online_date=configuration.online_date,
            backend_version=configuration.backend_version,
        )
        self._configuration = configuration

    @classmethod
    def _default_options(cls) -> Options:
        # The real defaults depend on the configuration; the subclass sets them.
        return Options()


Relogin = Callable[[], None]
"""Logs an account in again (after its access token expired)."""

Event = threading.Event
"""A flag threads wait on until another sets it."""


StateLock = threading.Lock
"""Guards a few fields that several threads update."""


class Signal:
    """Wakes the threads waiting for a change of shared state.

    Read :attr:`generation` while looking at the state, then ``wait(generation, timeout)``:
    it returns at once if a change was signalled since, else at the next change or after
    ``timeout`` seconds, whichever comes first.
    """

    def __init__(self) -> None:
        self._generation = 0
        self._changed = threading.Condition()

    @property
    def generation(self) -> int:
        """How many changes were signalled so far."""
        return self._generation

    def notify(self, count: int | None = None) -> None:
        """Signal a change: wake the waiters (``count`` is a hint the async twin uses to wake
        only as many as can make progress; threads are few, and each looks at the
        generation, so all are woken here)."""
        del count
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, generation: int, timeout: float) -> None:
        """Wait for a change after ``generation``, at most ``timeout`` seconds; in a stopped
        task group, stop instead."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._generation == generation:
                stopping = _stop_requested()
                if stopping is not None and stopping.is_set():
                    raise _Stopped
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._changed.wait(min(remaining, _STOP_CHECK))


_STOP_CHECK = 0.1
"""Seconds between two looks at the task group's stop flag while waiting."""


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """``with shielded():`` lets the block finish even if the thread's task group stops
    meanwhile (a submission in flight completes rather than leaving a half-created job)."""
    _local.shield = getattr(_local, "shield", 0) + 1
    try:
        yield
    finally:
        _local.shield -= 1


class TaskGroup:
    """Runs callables concurrently on a thread pool.

    Leaving the ``with`` block waits for every call. The first failure, or an exception in the
    block itself (Ctrl-C included), stops the group: calls not yet started never start, and
    running calls stop at their next wait (``sleep``, ``Signal.wait``) outside a ``shielded()``
    block, as tasks are cancelled in the async twin. Failures are raised together as an
    ``ExceptionGroup``.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future[Any]] = []
        self._stopping = threading.Event()

    def __enter__(self) -> Self:
        self._pool = ThreadPoolExecutor(self._max_workers, thread_name_prefix="ibmq-sync")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._pool is not None
        if exc is not None:
            self._stop()
        try:
            errors = self._join()
        except BaseException:
            # Interrupted while waiting (Ctrl-C): start nothing more, let running calls reach
            # their next wait, then pass the interruption on.
            self._stop()
            self._pool.shutdown(wait=True, cancel_futures=True)
            raise
        self._pool.shutdown(wait=True)
        if errors and exc is None:
            raise ExceptionGroup("unhandled errors in a TaskGroup", errors)

    def _join(self) -> list[Exception]:
        errors: list[Exception] = []
        for future in self._futures:
            if future.cancelled():
                continue
            error = future.exception()
            if isinstance(error, Exception):
                errors.append(error)
                self._stop()
        return errors

    def _stop(self) -> None:
        self._stopping.set()
        for future in self._futures:
            future.cancel()

    def start_soon(self, func: Callable[..., Any], *args: Any) -> None:
        """Start ``func(*args)`` in the group."""
        assert self._pool is not None, "use the task group in a with block"
        self._futures.append(self._pool.submit(self._call, func, *args))

    def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        _local.stopping = self._stopping
        try:
            return func(*args)
        except _Stopped:
            return None
        finally:
            _local.stopping = None


class _Stopped(BaseException):
    """Raised at a wait inside a task group that stopped; the group swallows it."""


_local = threading.local()


def _stop_requested() -> threading.Event | None:
    """The stop flag of the calling thread's task group, unless it is shielded."""
    if getattr(_local, "shield", 0):
        return None
    stopping: threading.Event | None = getattr(_local, "stopping", None)
    return stopping


class Limiter:
    """At most ``total`` slots held at once; ``total`` may change while in use.

    A slot is a token: it may be released by another thread than the one that took it.
    """

    def __init__(self, total: int) -> None:
        self._total = total
        self._held: set[object] = set()
        self._changed = threading.Condition()

    @property
    def total(self) -> int:
        """How many slots may be held at once."""
        return self._total

    @total.setter
    def total(self, value: int) -> None:
        with self._changed:
            self._total = value
            self._changed.notify_all()

    @property
    def borrowed(self) -> int:
        """How many slots are held now."""
        return len(self._held)

    def acquire(self) -> object:
        """Wait for a free slot and take it; return the slot to release."""
        slot = object()
        with self._changed:
            self._changed.wait_for(lambda: len(self._held) < self._total)
            self._held.add(slot)
        return slot

    def release(self, slot: object) -> None:
        """Give a slot back."""
        with self._changed:
            self._held.remove(slot)
            self._changed.notify()

    def hold(self) -> _Held:
        """``with limiter.hold():`` holds a slot for the block."""
        return _Held(self)


class _Held:
    def __init__(self, limiter: Limiter) -> None:
        self._limiter = limiter
        self._slot: object | None = None

    def __enter__(self) -> None:
        self._slot = self._limiter.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._slot is not None
        self._limiter.release(self._slot)


_T = TypeVar("_T")

_AHEAD_THREADS = 4
"""Threads for :class:`Ahead` calls, shared by every listing of the process (a call ahead
is one request: when all are busy, the next waits its turn, still overlapping its caller)."""
_ahead_pool: ThreadPoolExecutor | None = None
_ahead_lock = threading.Lock()


def _ahead_threads() -> ThreadPoolExecutor:
    global _ahead_pool
    with _ahead_lock:
        if _ahead_pool is None:
            _ahead_pool = ThreadPoolExecutor(_AHEAD_THREADS, thread_name_prefix="ibmq-ahead")
        return _ahead_pool


def _forget_ahead_threads() -> None:
    """In a forked child: the parent's threads do not exist there, so start afresh."""
    global _ahead_pool, _ahead_lock
    _ahead_pool = None
    _ahead_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_ahead_threads)


class Ahead(Generic[_T]):
    """A request started now and taken later: the next page of a listing, asked for while
    the current one is read.

    ``call(*args, on_sent=...)`` runs on a shared thread, in the caller's context (its retry
    policy override included); it calls ``on_sent`` once its request is written out (see
    :func:`sent_trace`). :meth:`started` waits for that: while the thread then waits for
    the server, the caller's own work goes on. :meth:`result` waits for the reply. A result
    never taken is dropped by :meth:`cancel`.
    """

    def __init__(self, call: Callable[..., _T], *args: Any) -> None:
        self._sent = threading.Event()
        context = contextvars.copy_context()
        self._future: Future[_T] = _ahead_threads().submit(
            context.run, call, *args, on_sent=self._sent.set
        )
        sent = self._sent  # not self: a future keeps its callbacks, and so its result
        self._future.add_done_callback(lambda _: sent.set())

    def started(self) -> None:
        """Wait until the request is written out, or the call ended."""
        self._sent.wait()

    def result(self) -> _T:
        """The call's result, once it comes; its error, if it failed."""
        return self._future.result()

    def cancel(self) -> None:
        """Drop the call: one not started never starts; one under way ends on its own (a
        single request), its result never taken."""
        self._future.cancel()


def sent_trace(sent: Callable[[], None]) -> Callable[[str, dict[str, Any]], None]:
    """An httpcore ``trace`` extension that calls ``sent`` once a request is written out."""

    def trace(event: str, info: dict[str, Any]) -> None:
        if event in REQUEST_WRITTEN:
            sent()

    return trace


REQUEST_WRITTEN = frozenset(
    {"http11.send_request_body.complete", "http2.send_request_body.complete"}
)
"""httpcore's trace events for a request written out whole."""


class WebSocket:
    """A websocket connection that sends and receives JSON messages."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection

    def send_json(self, message: Any) -> None:
        """Send one JSON message.

        Raises:
            WebSocketClosed: the connection is closed (or was dropped without a close frame).
        """
        try:
            self._connection.send(json.dumps(message))
        except closed_error() as exc:
            raise closed_by(exc) from None

    def receive_json(self, timeout: float | None = None) -> Any:
        """The next message, decoded (``None`` if it is not JSON).

        Raises:
            TimeoutError: no message within ``timeout`` seconds.
            WebSocketClosed: the server closed the connection.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            # Wait in slices, so that a stopped task group stops this wait too.
            stopping = _stop_requested()
            if stopping is not None and stopping.is_set():
                raise _Stopped
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError("no message from the status websocket in time")
            piece = _STOP_CHECK if remaining is None else min(remaining, _STOP_CHECK)
            try:
                return decode_message(self._connection.recv(piece if stopping else remaining))
            except TimeoutError:
                if stopping is None:
                    raise
            except closed_error() as exc:
                raise closed_by(exc) from None

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def connect_websocket(
    url: str, headers: dict[str, str] | None = None, timeout: float = 10.0
) -> WebSocket:
    """Open a websocket connection to ``url``."""
    try:
        from websockets.sync.client import connect

        connection = connect(url, additional_headers=headers, open_timeout=timeout)
    except handshake_error() as exc:
        raise WebSocketClosed(None, f"handshake failed: {exc}") from None
    # Entering marks the connection as owned by the caller (closed by WebSocket.close()).
    return WebSocket(connection.__enter__())
