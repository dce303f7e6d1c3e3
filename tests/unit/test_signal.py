"""The async ``Signal`` wakes only as many waiters as asked, longest-waiting first.

The job-limit gate of a backend holds every ``run()`` that waits for a slot. Waking all of
them at each change (a report, a creation, a job seen final) made 200 concurrent runs cost
the client about 33 ms of CPU per job, five times the floor's; now a change wakes one waiter
per free slot, plus one to keep time for the next report.
"""

from __future__ import annotations

import anyio
import anyio.lowlevel
import pytest

from ibmq_async._acompat import Signal
from ibmq_async._slots import AsyncSlotGate


async def waiters(signal: Signal, count: int, woken: list[int], timeout: float = 5.0) -> None:
    async def wait(index: int) -> None:
        await signal.wait(signal.generation, timeout)
        woken.append(index)

    async with anyio.create_task_group() as group:
        for index in range(count):
            group.start_soon(wait, index)
            await anyio.lowlevel.checkpoint()  # in line in this order
        await anyio.sleep(0.01)
        signal.notify(2)
        await anyio.sleep(0.01)
        assert woken == [0, 1]  # the two longest-waiting, and no one else
        signal.notify()
        await anyio.sleep(0.01)
        assert sorted(woken) == list(range(count))


async def test_notify_wakes_the_longest_waiting_first_and_only_as_many_as_asked() -> None:
    woken: list[int] = []
    await waiters(Signal(), 5, woken)


async def test_a_change_signalled_before_the_wait_returns_at_once() -> None:
    signal = Signal()
    generation = signal.generation
    signal.notify(0)  # wakes no one, but it is a change
    with anyio.fail_after(1):
        await signal.wait(generation, 60)


async def test_a_waiter_woken_then_cancelled_passes_the_wake_up_on() -> None:
    signal = Signal()
    woken: list[str] = []

    async def first() -> None:
        with anyio.CancelScope() as scope:
            cancel.append(scope)
            await signal.wait(signal.generation, 5)
            await anyio.sleep(5)  # not reached: cancelled below, after the wake-up
        woken.append("first left")

    async def second() -> None:
        await signal.wait(signal.generation, 5)
        woken.append("second")

    cancel: list[anyio.CancelScope] = []
    async with anyio.create_task_group() as group:
        group.start_soon(first)
        await anyio.lowlevel.checkpoint()
        group.start_soon(second)
        await anyio.sleep(0.01)
        signal.notify(1)  # wakes "first", which is cancelled before it runs again
        cancel[0].cancel()
        await anyio.sleep(0.05)
    assert "second" in woken


async def test_timeouts_still_end_a_wait() -> None:
    signal = Signal()
    with anyio.fail_after(2):
        await signal.wait(signal.generation, 0.05)
    assert not signal._waiters  # the timed-out waiter left the line


@pytest.mark.parametrize("free", [0, 1, 3])
async def test_the_gate_wakes_one_waiter_per_free_slot_plus_a_timekeeper(free: int) -> None:
    class Backend:
        def name(self) -> str:
            return "b"

    gate = AsyncSlotGate(Backend())  # type: ignore[arg-type]
    gate.book.maximum = 5
    gate.book.running = 5 - free
    calls: list[int | None] = []
    notify = gate._signal.notify
    gate._signal.notify = lambda count=None: (calls.append(count), notify(count))[1]  # type: ignore[method-assign]
    gate._wake()
    assert calls == [free + 1]
    gate._watching = True  # someone keeps time already
    gate._wake()
    assert calls == [free + 1, free]
