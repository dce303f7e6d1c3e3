"""A job listing asks for its next page while the current one is handed out.

Against the real local service, the request for page two leaves before the first job of page
one reaches the caller; with respx (no real server), the page asked for ahead delivers its
failure in order, after the jobs before it, and a walk left early drops it.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any, cast

import httpx
import pytest
import respx
from known_circuits import bell

from ibmq_async import AsyncAccountProvider, IBMQBackendApiError, RetryPolicy
from ibmq_async._acompat import sleep
from ibmq_async._core.endpoints import HubGroupProject, ProjectPaths
from ibmq_async._listing import walk_jobs
from ibmq_async._rest import AsyncProjectApi
from ibmq_async._session import AsyncSession
from ibmq_async.models import JobDocument

HTTP = "https://api.example.test/api"
LISTING = f"{HTTP}/Network/h/Groups/g/Projects/p/Jobs/status/v/1"
FAST = RetryPolicy(attempts=2, backoff=0.001, max_backoff=0.002, jitter=0.0)
LATE = 2.0
"""Seconds a slow reply takes: longer than the test needs, short enough for a thread."""


def documents(first: int, count: int) -> list[dict[str, Any]]:
    """``count`` queued job documents, newest first, ids counting down from ``first``."""
    return [
        {
            "id": f"job{first - i}",
            "creationDate": f"2024-01-01T00:00:{first - i:02d}.000Z",
            "status": "COMPLETED",
        }
        for i in range(count)
    ]


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mocked:
        yield mocked


@pytest.fixture
async def api() -> AsyncIterator[AsyncProjectApi]:
    session = AsyncSession(retry=FAST)
    yield AsyncProjectApi(session, ProjectPaths(HTTP, HubGroupProject("h", "g", "p")))
    await session.aclose()


def walk(api: AsyncProjectApi, *, limit: int | None = None, page_size: int = 2) -> Any:
    return walk_jobs(
        api,
        {},
        lambda document: cast(Any, None),
        limit=limit,
        skip=0,
        descending=True,
        page_size=page_size,
    )


class Pages:
    """Replies to the listing in turn; each request's page filter is kept."""

    def __init__(self, *replies: httpx.Response | None) -> None:
        self.replies = list(replies)
        self.filters: list[dict[str, Any]] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.filters.append(json.loads(request.url.params["filter"]))
        reply = self.replies.pop(0) if self.replies else httpx.Response(200, json=[])
        if reply is None:  # a server slower than the test
            await sleep(LATE)
            reply = httpx.Response(200, json=documents(1, 1))
        return reply


async def test_the_next_page_is_asked_for_before_the_first_job_is_handed_out(
    router: respx.MockRouter, api: AsyncProjectApi
) -> None:
    pages = Pages(
        httpx.Response(200, json=documents(9, 2)), httpx.Response(200, json=documents(7, 1))
    )
    router.get(LISTING).mock(side_effect=pages)
    walker = walk(api)
    first = await anext(walker)
    assert first.job_id() == "job9"
    assert len(pages.filters) == 2  # page two is on its way
    assert pages.filters[1]["where"]["creationDate"] == {"lte": "2024-01-01T00:00:08.000Z"}
    assert [job.job_id() async for job in walker] == ["job8", "job7"]
    assert len(pages.filters) == 3  # the empty page that ends the walk


async def test_a_walk_within_its_limit_asks_for_nothing_ahead(
    router: respx.MockRouter, api: AsyncProjectApi
) -> None:
    pages = Pages(httpx.Response(200, json=documents(9, 2)))
    router.get(LISTING).mock(side_effect=pages)
    assert [job.job_id() async for job in walk(api, limit=2)] == ["job9", "job8"]
    assert len(pages.filters) == 1


async def test_a_failing_page_ahead_fails_the_walk_after_the_jobs_before_it(
    router: respx.MockRouter, api: AsyncProjectApi
) -> None:
    broken = httpx.Response(500, json={"error": {"message": "disk on fire"}})
    pages = Pages(httpx.Response(200, json=documents(9, 2)), broken, broken)
    router.get(LISTING).mock(side_effect=pages)
    walked = []
    with pytest.raises(IBMQBackendApiError, match="disk on fire"):
        async for job in walk(api):
            walked.append(job.job_id())
    assert walked == ["job9", "job8"]
    assert len(pages.filters) == 3  # page two, tried twice (the retry policy)


async def test_a_walk_left_early_drops_the_page_asked_for_ahead(
    router: respx.MockRouter, api: AsyncProjectApi
) -> None:
    pages = Pages(httpx.Response(200, json=documents(9, 2)), None)
    router.get(LISTING).mock(side_effect=pages)
    async with contextlib.aclosing(walk(api)) as walker:
        async for job in walker:
            assert job.job_id() == "job9"
            break
    # The slow page is not waited for; the session serves the next walk.
    pages.replies = [httpx.Response(200, json=documents(3, 1))]
    assert [job.job_id() async for job in walk(api)] == ["job3"]


async def test_a_malformed_document_is_skipped_and_the_walk_goes_on_past_it(
    router: respx.MockRouter, api: AsyncProjectApi, caplog: pytest.LogCaptureFixture
) -> None:
    page = documents(9, 3)
    page[1]["status"] = "DANCING"  # an unknown status: job8 cannot be read
    pages = Pages(httpx.Response(200, json=page))
    router.get(LISTING).mock(side_effect=pages)
    with caplog.at_level(logging.WARNING, logger="ibmq_async"):
        assert [job.job_id() async for job in walk(api, page_size=3)] == ["job9", "job7"]
    assert "Skipping a malformed job document" in caplog.text and "job8" in caplog.text
    # The cursor moved past all three, the skipped one included.
    assert pages.filters[1]["where"]["creationDate"] == {"lte": "2024-01-01T00:00:07.000Z"}


async def test_a_finished_walk_leaves_no_page_behind(
    router: respx.MockRouter, api: AsyncProjectApi
) -> None:
    # Nothing of a page may hang in a reference cycle (the call ahead and its result): with
    # the collector off, every document must be gone once the walk and its jobs are.
    pages = Pages(
        httpx.Response(200, json=documents(9, 2)), httpx.Response(200, json=documents(7, 2))
    )
    router.get(LISTING).mock(side_effect=pages)
    gc.collect()
    gc.disable()
    try:
        walked = {job.job_id() async for job in walk(api)}
        # Other tests' documents may be alive in this process: look for this walk's only.
        alive = [o.id for o in gc.get_objects() if isinstance(o, JobDocument) and o.id in walked]
    finally:
        gc.enable()
    assert len(walked) == 4 and alive == []


@pytest.mark.integration
async def test_on_the_local_service_page_two_leaves_before_job_one_is_handed_out(
    provider: AsyncAccountProvider,
) -> None:
    backend = provider.get_backend("ibmq_qasm_simulator")
    tag = f"ahead-{uuid.uuid4().hex[:8]}"
    jobs = [await backend.run(bell(), shots=10, job_tags=[tag]) for _ in range(5)]
    newest_first = [job.job_id() for job in reversed(jobs)]
    listed: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/Jobs/status/v/1"):
            listed.append(request.url.params["filter"])

    client = backend._api._session.client
    client.event_hooks["request"].append(count)
    try:
        async with contextlib.aclosing(backend.iter_jobs(job_tags=[tag], page_size=2)) as walker:
            first = await anext(walker)
            assert first.job_id() == newest_first[0]
            assert len(listed) == 2
            rest = [job.job_id() async for job in walker]
        assert [first.job_id(), *rest] == newest_first
        assert len(listed) == 4  # pages of 2, 2, 1, and the empty one
    finally:
        client.event_hooks["request"].remove(count)
