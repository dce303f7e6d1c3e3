"""A listing page costs about the page, not the user's whole job table (protocol 5.4).

Before, every page read and decoded every job of the user and filtered them in Python, so a
walk of N jobs in pages of 100 read N * N / 100 rows. Now the keyset filters the client sends
are answered by SQLite on indexed columns: a page reads its 100 rows, and SQLite's own work
(counted in VM instructions, which unlike time does not depend on the machine) stays flat as
the table grows tenfold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ibmq_async._core.job_filters import JobsCursor, jobs_where, page_keys
from ibmq_local._job_document import JobOwner
from ibmq_local._listing import select_jobs
from ibmq_local._loopback import parse_filter
from ibmq_local._seeding import completed_job, seed
from ibmq_local._store import JobStore

OWNER = JobOwner("alice", "ibm-q", "open", "main")
BACKEND = "ibmq_manila"
OTHER_BACKEND = "ibmq_qasm_simulator"
TAG = "walked"
PAGE = 100
START = datetime(2024, 1, 1, tzinfo=UTC)


async def grow(store: JobStore, first: int, count: int) -> None:
    """Jobs ``first .. first+count``: two in three on :data:`BACKEND` under :data:`TAG`, the
    rest on another backend, all a millisecond apart, interleaved with earlier batches."""
    await seed(
        store,
        (
            completed_job(
                OWNER,
                OTHER_BACKEND if i % 3 == 2 else BACKEND,
                START + timedelta(milliseconds=i),
                job_id=f"{i:024x}",
                tags=[] if i % 3 == 2 else [TAG],
            )
            for i in range(first, first + count)
        ),
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[JobStore]:
    opened = await JobStore.open(tmp_path / "jobs.db")
    try:
        yield opened
    finally:
        await opened.close()


async def walk(store: JobStore, where: dict[str, Any]) -> tuple[int, int, int]:
    """Walk a listing as ``iter_jobs`` does; return (jobs seen, most rows read by a page,
    most SQLite work units spent by a page)."""
    cursor = JobsCursor(where, page_size=PAGE)
    seen = most_rows = most_work = 0
    while (page_filter := cursor.next_filter()) is not None:
        async with store.count_work() as work:
            page = await select_jobs(store, OWNER, parse_filter(page_filter))
        cursor.advance(page_keys(page.documents))
        seen += len(page.documents)
        most_rows = max(most_rows, page.rows_read)
        most_work = max(most_work, work.units)
    return seen, most_rows, most_work


WALKS = {
    "backend": {"backend_name": BACKEND},
    "status and tags": {"backend_name": BACKEND, "status": "DONE", "job_tags": [TAG]},
    "status list": {"backend_name": BACKEND, "status": ["DONE", "ERROR", "RUNNING"]},
    "dates": {
        "backend_name": BACKEND,
        "start_datetime": START - timedelta(days=1),
        "end_datetime": START + timedelta(days=1),
    },
    "all backends": {},
}


@pytest.mark.parametrize("arguments", list(WALKS.values()), ids=list(WALKS))
async def test_a_page_reads_the_page_not_the_table(
    store: JobStore, arguments: dict[str, Any]
) -> None:
    where = jobs_where(**arguments)
    await grow(store, 0, 1_000)
    small = await walk(store, where)
    await grow(store, 1_000, 9_000)
    large = await walk(store, where)
    share = 1 if not arguments else 2 / 3
    assert small[0] == round(1_000 * share) and large[0] == round(10_000 * share)
    # Every row a page reads is served: nothing beyond the page is decoded.
    assert small[1] == large[1] == PAGE
    # Tenfold the jobs, about the same database work per page (a full scan would be 10x).
    assert large[2] <= 1.5 * small[2] + 10, (small, large)


async def test_the_rare_fallback_reads_more_but_answers_the_same(store: JobStore) -> None:
    """A filter SQL does not cover (a job name) is still answered, from rows SQL narrowed."""
    await grow(store, 0, 3_000)
    flt = parse_filter(
        {"order": "creationDate DESC", "limit": 5, "where": {"name": {"regexp": "x"}}}
    )
    page = await select_jobs(store, OWNER, flt)
    assert page.documents == [] and page.rows_read == 3_000
