"""``Ahead``, a call started now and taken later, in both twins of the compat layer.

The listing asks for its next page through it; these tests pin what the listing relies on:
``started`` returns once the call reports its request sent (or ends), the result or error
comes back through ``result``, the caller's context goes with the call, and nothing of a
taken result is kept alive by a reference cycle.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import os
import signal
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest

from ibmq_async import _acompat
from ibmq_sync import _compat

WHO = contextvars.ContextVar("WHO", default="nobody")


class Page:
    """A result that can be watched with a weak reference."""


def test_blocking_call_reports_sent_then_gives_its_result_in_the_callers_context() -> None:
    go_on = threading.Event()

    def call(name: str, on_sent: Callable[[], None]) -> tuple[str, str]:
        on_sent()
        go_on.wait(10)
        return name, WHO.get()

    token = WHO.set("caller")
    try:
        ahead = _compat.Ahead(call, "page")
    finally:
        WHO.reset(token)
    ahead.started()  # returns before the call ends: the call waits for go_on
    go_on.set()
    assert ahead.result() == ("page", "caller")


def test_blocking_call_error_comes_back_through_result() -> None:
    def call(on_sent: Callable[[], None]) -> None:
        raise ValueError("no page")

    ahead = _compat.Ahead(call)
    ahead.started()  # the call ended without saying sent: started does not wait forever
    with pytest.raises(ValueError, match="no page"):
        ahead.result()


def test_blocking_result_is_not_kept_by_a_cycle() -> None:
    go_on = threading.Event()

    def call(on_sent: Callable[[], None]) -> Page:
        go_on.wait(10)  # still running when the callbacks are added
        return Page()

    gc.collect()
    gc.disable()
    try:
        ahead = _compat.Ahead(call)
        go_on.set()
        watched = weakref.ref(ahead.result())
        del ahead
        assert watched() is None
    finally:
        gc.enable()


async def test_async_call_reports_sent_then_gives_its_result_in_the_callers_context() -> None:
    go_on = asyncio.Event()

    async def call(name: str, on_sent: Callable[[], None]) -> tuple[str, str]:
        on_sent()
        await go_on.wait()
        return name, WHO.get()

    token = WHO.set("caller")
    try:
        ahead = _acompat.Ahead(call, "page")
    finally:
        WHO.reset(token)
    await ahead.started()
    go_on.set()
    assert await ahead.result() == ("page", "caller")


async def test_async_call_error_comes_back_through_result_and_cancel_drops_a_call() -> None:
    async def failing(on_sent: Callable[[], None]) -> None:
        raise ValueError("no page")

    ahead: Any = _acompat.Ahead(failing)
    await ahead.started()
    with pytest.raises(ValueError, match="no page"):
        await ahead.result()

    async def endless(on_sent: Callable[[], None]) -> None:
        await asyncio.Event().wait()

    dropped = _acompat.Ahead(endless)
    dropped.cancel()
    await dropped.started()  # the cancelled call ended
    with pytest.raises(asyncio.CancelledError):
        await dropped.result()


async def test_async_result_is_not_kept_by_a_cycle() -> None:
    go_on = asyncio.Event()

    async def call(on_sent: Callable[[], None]) -> Page:
        await go_on.wait()
        return Page()

    gc.collect()
    gc.disable()
    try:
        ahead = _acompat.Ahead(call)
        go_on.set()
        watched = weakref.ref(await ahead.result())
        del ahead
        await asyncio.sleep(0)  # the loop lets go of the callback that woke this test
        assert watched() is None
    finally:
        gc.enable()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_blocking_calls_work_in_a_forked_child() -> None:
    # The parent's pool threads do not exist in the child: it must make its own.
    def call(value: int, on_sent: Callable[[], None]) -> int:
        return value + 1

    assert _compat.Ahead(call, 1).result() == 2  # the parent's pool exists now
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        signal.alarm(20)  # a hang fails the child instead of the test run
        ok = _compat.Ahead(call, 41).result() == 42
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
