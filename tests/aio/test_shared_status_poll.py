"""Waits without the status websocket share one status poll per project.

The service here refuses the websocket (``websocket=False``), so every wait falls back to
polling; its paused backend holds jobs in the queue until they are cancelled. The requests
are counted by path on the account's HTTP client.

The blocking twin of this file is generated: there the waits are threads.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from qiskit import QuantumCircuit
from qiskit.providers import JobStatus

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQFactory,
    AsyncIBMQJob,
    IBMQJobTimeoutError,
)
from ibmq_async._acompat import TaskGroup, monotonic, sleep
from ibmq_async._status_poll import shared_poller

pytestmark = pytest.mark.integration

PAUSED = "ibmq_lima"
"""A backend of the service that accepts jobs and never runs them."""
SIMULATOR = "ibmq_qasm_simulator"
WAIT = 1.0
"""The ``wait`` of the waits: the longest interval between two looks at a job."""


@pytest.fixture(scope="module")
def polling_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local service without the status websocket, jobs unlimited, one paused backend."""
    from ibmq_local.service import LocalService

    data_dir = tmp_path_factory.mktemp("no-websocket")
    config = {
        "default_user": {"projects": [{"is_default": True, "max_jobs": -1}]},
        "backends": {PAUSED: {"status": "internal"}},
    }
    (data_dir / "config.json").write_text(json.dumps(config))
    service = LocalService(data_dir, websocket=False)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
async def polling(factory: AsyncIBMQFactory, polling_service: Any) -> AsyncAccountProvider:
    provider = await factory.enable_account(polling_service.token, url=polling_service.auth_url)
    assert provider is not None
    return provider


class Requests:
    """The requests an account's client sends, by kind."""

    def __init__(self) -> None:
        self.job_status: list[str] = []
        """``GET {job}/status/v/1``: a poll of one job."""
        self.listings: list[list[str]] = []
        """``GET {hgp}/Jobs/status/v/1``: the ids each listing asked for."""

    async def __call__(self, request: httpx.Request) -> None:
        path = request.url.path
        if path.endswith("/Jobs/status/v/1"):
            where = json.loads(request.url.params["filter"]).get("where", {})
            self.listings.append(list(where.get("id", {}).get("inq", [])))
        elif path.endswith("/status/v/1"):
            self.job_status.append(path)


@pytest.fixture
async def requests(polling: AsyncAccountProvider) -> AsyncIterator[Requests]:
    seen = Requests()
    client = polling._api._session.client
    client.event_hooks["request"].append(seen)
    try:
        yield seen
    finally:
        client.event_hooks["request"].remove(seen)


def circuit() -> QuantumCircuit:
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    return qc


async def queued(provider: AsyncAccountProvider, count: int) -> list[AsyncIBMQJob]:
    backend = provider.get_backend(PAUSED)
    return [await backend.run(circuit(), shots=8) for _ in range(count)]


async def test_fifty_waits_share_one_poll(
    polling: AsyncAccountProvider, requests: Requests
) -> None:
    jobs = await queued(polling, 50)
    finals: dict[str, JobStatus] = {}

    async def wait_for(job: AsyncIBMQJob) -> None:
        finals[job.job_id()] = await job.wait_for_final_state(timeout=60, wait=WAIT)

    started = monotonic()
    async with TaskGroup(max_workers=len(jobs)) as group:
        for job in jobs:
            group.start_soon(wait_for, job)
        await sleep(3)
        listed_while_queued = len(requests.listings)
        elapsed = monotonic() - started
        for job in jobs:
            assert await job.cancel()
    assert set(finals.values()) == {JobStatus.CANCELLED} and len(finals) == len(jobs)
    # No wait polled its own job; one listing at a time looked at all of them.
    assert requests.job_status == []
    assert max(len(ids) for ids in requests.listings) == len(jobs)
    # The listings follow the interval (it backs off from 0.1 s to WAIT in about seven
    # looks), not the number of jobs: 50 pollers of their own would have sent at least
    # 50 each second.
    assert listed_while_queued <= elapsed / WAIT + 12
    assert listed_while_queued < len(jobs)
    assert shared_poller(jobs[0]._api).book.job_ids == []


async def test_each_waiter_keeps_its_own_deadline(
    polling: AsyncAccountProvider, requests: Requests
) -> None:
    short, long = await queued(polling, 2)
    ended: list[str] = []

    async def wait_for(job: AsyncIBMQJob, timeout: float) -> None:
        with pytest.raises(IBMQJobTimeoutError, match=job.job_id()):
            await job.wait_for_final_state(timeout=timeout, wait=0.5)
        ended.append(job.job_id())

    async with TaskGroup(max_workers=2) as group:
        group.start_soon(wait_for, long, 3.0)
        group.start_soon(wait_for, short, 1.0)
    assert ended == [short.job_id(), long.job_id()]
    # A wait whose deadline passed already still looks at the job once, in the group.
    with pytest.raises(IBMQJobTimeoutError):
        await short.result(timeout=0)
    assert requests.job_status == [] and short.job_id() in requests.listings[-1]
    for job in (short, long):
        assert await job.cancel()


class Stop(Exception):
    """Ends a task group, cancelling the waits in it."""


async def test_a_cancelled_waiter_leaves_the_group(
    polling: AsyncAccountProvider, requests: Requests
) -> None:
    left, stays = await queued(polling, 2)
    poller = shared_poller(left._api)
    status: list[JobStatus] = []

    async def wait_for(job: AsyncIBMQJob) -> None:
        status.append(await job.wait_for_final_state(timeout=60, wait=0.5))

    async with TaskGroup(max_workers=1) as outer:
        outer.start_soon(wait_for, stays)
        stopped = False
        try:
            async with TaskGroup(max_workers=1) as inner:
                inner.start_soon(wait_for, left)
                while left.job_id() not in poller.book.job_ids:
                    await sleep(0.05)
                raise Stop
        except* Stop:
            stopped = True
        assert stopped and status == []
        assert left.job_id() not in poller.book.job_ids
        before = len(requests.listings)
        while len(requests.listings) < before + 2:
            await sleep(0.1)
        assert all(ids == [stays.job_id()] for ids in requests.listings[before + 1 :])
        assert await stays.cancel()
    assert status == [JobStatus.CANCELLED] and poller.book.job_ids == []
    assert await left.cancel()


async def test_finished_jobs_leave_while_others_wait(
    polling: AsyncAccountProvider, requests: Requests
) -> None:
    simulator = polling.get_backend(SIMULATOR)
    running = [await simulator.run(circuit(), shots=16) for _ in range(4)]
    paused = await queued(polling, 4)
    finals: dict[str, JobStatus] = {}

    async def wait_for(job: AsyncIBMQJob) -> None:
        finals[job.job_id()] = await job.wait_for_final_state(timeout=120, wait=0.5)

    async with TaskGroup(max_workers=8) as group:
        for job in [*running, *paused]:
            group.start_soon(wait_for, job)
        while len(finals) < len(running):
            await sleep(0.1)
        assert set(finals) == {job.job_id() for job in running}
        before = len(requests.listings)
        while len(requests.listings) < before + 2:
            await sleep(0.1)
        waiting = {job.job_id() for job in paused}
        assert all(set(ids) == waiting for ids in requests.listings[before + 1 :])
        for job in paused:
            assert await job.cancel()
    assert [finals[job.job_id()] for job in running] == [JobStatus.DONE] * 4
    assert [finals[job.job_id()] for job in paused] == [JobStatus.CANCELLED] * 4
    assert requests.job_status == []
    for job in running:
        assert (await job.result()).get_counts() == {"1": 16}
