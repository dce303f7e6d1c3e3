# Hand-written: the blocking twin of ibmq_async/_acompat.py (tools/unasync.py lists it).
"""Blocking primitives, the twin of ``ibmq_async/_acompat.py`` used by the generated facade.

Same names and signatures as the async module, with threads where that one has tasks.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from qiskit.providers import BackendV2, Options
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.sync.client import ClientConnection, connect

from ibmq_async._core.models import BackendConfiguration
from ibmq_async._core.websocket import WebSocketClosed, closed_by, decode_message

if TYPE_CHECKING:
    from pathlib import Path

    from ibmq_local.service import LocalService

__all__ = [
    "BackendBase",
    "Event",
    "Limiter",
    "Relogin",
    "TaskGroup",
    "WebSocket",
    "connect_websocket",
    "monotonic",
    "sleep",
    "start_local_service",
]

monotonic = time.monotonic


def sleep(seconds: float) -> None:
    """Block the calling thread."""
    time.sleep(seconds)


def start_local_service(data_dir: Path | None) -> LocalService:
    """Start (or reuse) the embedded local service."""
    from ._local import embedded

    return embedded(data_dir)


class BackendName(str):
    """A backend name that is a string and can also be called.

    qiskit's ``BackendV2`` reads ``backend.name`` as a string; the seed API calls
    ``backend.name()``. Both work.
    """

    __slots__ = ()

    def __call__(self) -> str:
        return str(self)


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


class TaskGroup:
    """Runs callables concurrently on a thread pool.

    Leaving the ``with`` block waits for every call; after the first failure, calls not yet
    started are cancelled, and the failures are raised together as an ``ExceptionGroup``.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        self._max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future[Any]] = []

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
        errors: list[Exception] = []
        for future in self._futures:
            if exc is not None or errors:
                future.cancel()
            if future.cancelled():
                continue
            error = future.exception()
            if isinstance(error, Exception):
                errors.append(error)
                for pending in self._futures:
                    pending.cancel()
        self._pool.shutdown(wait=True)
        if errors and exc is None:
            raise ExceptionGroup("unhandled errors in a TaskGroup", errors)

    def start_soon(self, func: Callable[..., Any], *args: Any) -> None:
        """Start ``func(*args)`` in the group."""
        assert self._pool is not None, "use the task group in a with block"
        self._futures.append(self._pool.submit(func, *args))


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


class WebSocket:
    """A websocket connection that sends and receives JSON messages."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection

    def send_json(self, message: Any) -> None:
        """Send one JSON message."""
        self._connection.send(json.dumps(message))

    def receive_json(self, timeout: float | None = None) -> Any:
        """The next message, decoded (``None`` if it is not JSON).

        Raises:
            TimeoutError: no message within ``timeout`` seconds.
            WebSocketClosed: the server closed the connection.
        """
        try:
            return decode_message(self._connection.recv(timeout))
        except ConnectionClosed as exc:
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
        connection = connect(url, additional_headers=headers, open_timeout=timeout)
    except InvalidHandshake as exc:
        raise WebSocketClosed(None, f"handshake failed: {exc}") from None
    # Entering marks the connection as owned by the caller (closed by WebSocket.close()).
    return WebSocket(connection.__enter__())
