"""Async primitives; ``ibmq_sync/_compat.py`` is the hand-written blocking twin.

The sync generator maps this module's name to ``_compat``: everything that truly differs between
the async SDK and the blocking facade lives in this pair, with the same names and signatures,
nowhere else.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

import anyio
import anyio.abc
import anyio.to_thread

from ._core.models import BackendConfiguration
from ._core.names import BackendName
from ._core.websocket import (
    WebSocketClosed,
    closed_by,
    closed_error,
    decode_message,
    handshake_error,
)

if TYPE_CHECKING:
    import asyncio
    from pathlib import Path

    from websockets.asyncio.client import ClientConnection

    from ibmq_local.service import LocalService

__all__ = [
    "Ahead",
    "AsyncWebSocket",
    "BackendBase",
    "Event",
    "Limiter",
    "Relogin",
    "Signal",
    "StateLock",
    "TaskGroup",
    "connect_websocket",
    "monotonic",
    "sent_trace",
    "shielded",
    "sleep",
    "start_local_service",
]

monotonic = time.monotonic


async def sleep(seconds: float) -> None:
    """Wait without blocking the event loop."""
    await anyio.sleep(seconds)


async def start_local_service(data_dir: Path | None) -> LocalService:
    """Start (or reuse) the embedded local service in a worker thread."""
    from ._local import embedded

    return await anyio.to_thread.run_sync(embedded, data_dir)


class BackendBase:
    """The base of the async backend: a plain class.

    qiskit's ``BackendV2`` is a blocking interface, so only the blocking backend derives from
    it (in ``_compat``); the async backend keeps the seed's awaitable surface.
    """

    def __init__(self, configuration: BackendConfiguration) -> None:
        self._configuration = configuration
        self.name = BackendName(configuration.backend_name)
        """The backend's name: a string, which ``name()`` also returns (as qiskit's tools
        and the seed API each expect)."""


Relogin = Callable[[], Coroutine[Any, Any, None]]
"""Logs an account in again (after its access token expired)."""

Event = anyio.Event
"""A flag tasks wait on until another sets it."""


class StateLock:
    """Guards a few fields that several callers update.

    The tasks of one event loop cannot interleave inside a block that does not wait, so this
    lock is free; the blocking twin is a real thread lock.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class Signal:
    """Wakes the callers waiting for a change of shared state, longest-waiting first.

    Read :attr:`generation` while looking at the state, then ``wait(generation, timeout)``:
    it returns at once if a change was signalled since, else when :meth:`notify` wakes this
    caller or after ``timeout`` seconds, whichever comes first. :meth:`notify` may wake only
    as many callers as can make progress, so that hundreds of waiters are not all woken (and
    put to sleep again) by every change.
    """

    def __init__(self) -> None:
        self._generation = 0
        self._waiters: deque[anyio.Event] = deque()

    @property
    def generation(self) -> int:
        """How many changes were signalled so far."""
        return self._generation

    def notify(self, count: int | None = None) -> None:
        """Signal a change: wake the ``count`` longest-waiting callers (all when ``None``)."""
        self._generation += 1
        wake = len(self._waiters) if count is None else count
        while wake > 0 and self._waiters:
            self._waiters.popleft().set()
            wake -= 1

    async def wait(self, generation: int, timeout: float) -> None:
        """Wait for a change after ``generation``, at most ``timeout`` seconds."""
        if self._generation != generation:
            return
        event = anyio.Event()
        self._waiters.append(event)
        completed = False
        try:
            with anyio.move_on_after(timeout):
                await event.wait()
            completed = True
        finally:
            if not event.is_set():
                with contextlib.suppress(ValueError):
                    self._waiters.remove(event)
            elif not completed:
                self.notify(1)  # woken, then cancelled: pass the wake-up on


def shielded() -> anyio.CancelScope:
    """``with shielded():`` lets the block finish even if the caller is cancelled meanwhile
    (a submission in flight completes rather than leaving a half-created job)."""
    return anyio.CancelScope(shield=True)


class TaskGroup:
    """Runs callables concurrently as tasks of the current event loop.

    Leaving the ``async with`` block waits for every task; the first failure cancels the
    others, and the failures are raised together as an ``ExceptionGroup``.
    """

    def __init__(self, max_workers: int | None = None) -> None:
        # ``max_workers`` bounds the blocking twin's threads; tasks need no such bound.
        self._group: anyio.abc.TaskGroup | None = None

    async def __aenter__(self) -> Self:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None
        return await self._group.__aexit__(exc_type, exc, tb)

    def start_soon(self, func: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> None:
        """Start ``func(*args)`` in the group."""
        assert self._group is not None, "use the task group in an async with block"
        self._group.start_soon(func, *args)


class Limiter:
    """At most ``total`` slots held at once; ``total`` may change while in use.

    A slot is a token: it may be released by another task than the one that took it (a job
    submission holds its slot until the job is final).
    """

    def __init__(self, total: int) -> None:
        self._limiter = anyio.CapacityLimiter(total)

    @property
    def total(self) -> int:
        """How many slots may be held at once."""
        return int(self._limiter.total_tokens)

    @total.setter
    def total(self, value: int) -> None:
        self._limiter.total_tokens = value

    @property
    def borrowed(self) -> int:
        """How many slots are held now."""
        return self._limiter.borrowed_tokens

    async def acquire(self) -> object:
        """Wait for a free slot and take it; return the slot to release."""
        slot = object()
        await self._limiter.acquire_on_behalf_of(slot)
        return slot

    def release(self, slot: object) -> None:
        """Give a slot back."""
        self._limiter.release_on_behalf_of(slot)

    def hold(self) -> _Held:
        """``async with limiter.hold():`` holds a slot for the block."""
        return _Held(self)


class _Held:
    def __init__(self, limiter: Limiter) -> None:
        self._limiter = limiter
        self._slot: object | None = None

    async def __aenter__(self) -> None:
        self._slot = await self._limiter.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._slot is not None
        self._limiter.release(self._slot)


_T = TypeVar("_T")


class Ahead(Generic[_T]):
    """A request started now and taken later: the next page of a listing, asked for while
    the current one is read.

    ``call(*args, on_sent=...)`` runs as a task of the current event loop; it calls
    ``on_sent`` once its request is written out (see :func:`sent_trace`). :meth:`started` waits for
    that, so the caller's own work overlaps the server's; :meth:`result` waits for the
    reply. A result never taken is dropped by :meth:`cancel`.
    """

    def __init__(self, call: Callable[..., Coroutine[Any, Any, _T]], *args: Any) -> None:
        import asyncio  # loaded by then; not at import, which it would slow by 30 modules

        self._sent = anyio.Event()
        self._task = asyncio.get_running_loop().create_task(call(*args, on_sent=self._sent.set))
        self._task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[_T]) -> None:
        self._sent.set()
        if not task.cancelled():
            task.exception()  # retrieved here, raised by result(): never logged as lost

    async def started(self) -> None:
        """Wait until the request is written out, or the call ended."""
        await self._sent.wait()

    async def result(self) -> _T:
        """The call's result, once it comes; its error, if it failed."""
        return await self._task

    def cancel(self) -> None:
        """Drop the call: its request is abandoned, its result never taken."""
        self._task.cancel()


def sent_trace(sent: Callable[[], None]) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore ``trace`` extension that calls ``sent`` once a request is written out."""

    async def trace(event: str, info: dict[str, Any]) -> None:
        if event in REQUEST_WRITTEN:
            sent()

    return trace


REQUEST_WRITTEN = frozenset(
    {"http11.send_request_body.complete", "http2.send_request_body.complete"}
)
"""httpcore's trace events for a request written out whole."""


class AsyncWebSocket:
    """A websocket connection that sends and receives JSON messages."""

    def __init__(self, connection: ClientConnection) -> None:
        self._connection = connection

    async def send_json(self, message: Any) -> None:
        """Send one JSON message.

        Raises:
            WebSocketClosed: the connection is closed (or was dropped without a close frame).
        """
        try:
            await self._connection.send(json.dumps(message))
        except closed_error() as exc:
            raise closed_by(exc) from None

    async def receive_json(self, timeout: float | None = None) -> Any:
        """The next message, decoded (``None`` if it is not JSON).

        Raises:
            TimeoutError: no message within ``timeout`` seconds.
            WebSocketClosed: the server closed the connection.
        """
        try:
            with anyio.fail_after(timeout):
                return decode_message(await self._connection.recv())
        except closed_error() as exc:
            raise closed_by(exc) from None

    async def aclose(self) -> None:
        """Close the connection."""
        await self._connection.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def connect_websocket(
    url: str, headers: dict[str, str] | None = None, timeout: float = 10.0
) -> AsyncWebSocket:
    """Open a websocket connection to ``url``."""
    try:
        from websockets.asyncio.client import connect

        connection = await connect(url, additional_headers=headers, open_timeout=timeout)
    except handshake_error() as exc:
        raise WebSocketClosed(None, f"handshake failed: {exc}") from None
    return AsyncWebSocket(connection)
