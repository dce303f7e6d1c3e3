"""The primitives of the compat pair (``_acompat`` here, ``_compat`` in the blocking twin)."""

from __future__ import annotations

import pytest

from ibmq_async._acompat import Limiter, TaskGroup, connect_websocket, monotonic, sleep


async def test_task_group_runs_tasks_concurrently_under_a_limiter() -> None:
    limiter = Limiter(2)
    inside = 0
    most = 0
    done: list[int] = []

    async def task(number: int) -> None:
        nonlocal inside, most
        async with limiter.hold():
            inside += 1
            most = max(most, inside)
            # Wait until another task is inside too: this can only happen if tasks run
            # concurrently, and no more than two may, whatever the scheduling.
            deadline = monotonic() + 10
            while inside < 2 and len(done) < 5 and monotonic() < deadline:
                await sleep(0.001)
            inside -= 1
            done.append(number)

    async with TaskGroup() as group:
        for number in range(6):
            group.start_soon(task, number)
    assert sorted(done) == list(range(6))
    assert most == 2
    assert limiter.borrowed == 0


async def test_a_limiter_slot_can_be_released_elsewhere_and_resized() -> None:
    limiter = Limiter(1)
    slot = await limiter.acquire()
    assert limiter.borrowed == 1
    limiter.total = 2
    second = await limiter.acquire()
    limiter.release(slot)
    limiter.release(second)
    assert (limiter.total, limiter.borrowed) == (2, 0)


async def test_task_group_raises_the_failures_together() -> None:
    async def fail() -> None:
        raise ValueError("boom")

    async def run_group() -> None:
        async with TaskGroup() as group:
            group.start_soon(fail)

    with pytest.raises(ExceptionGroup) as failed:
        await run_group()
    assert isinstance(failed.value.exceptions[0], ValueError)


async def test_websocket_sends_and_receives_json(echo_websocket: str) -> None:
    async with await connect_websocket(echo_websocket) as socket:
        await socket.send_json({"type": "job-status", "data": [1, 2]})
        assert await socket.receive_json(timeout=10) == {"type": "job-status", "data": [1, 2]}
        with pytest.raises(TimeoutError):
            await socket.receive_json(timeout=0.05)
