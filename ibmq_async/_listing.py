"""Walking a job listing page by page, for a backend or a whole provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from ._acompat import Ahead
from ._core.job_filters import JobsCursor
from ._core.models import JobDocument
from ._core.replies import JobsPage
from ._rest import AsyncProjectApi
from .job import AsyncIBMQJob

if TYPE_CHECKING:
    from .backend import AsyncIBMQBackend


async def walk_jobs(
    api: AsyncProjectApi,
    where: dict[str, Any],
    backend_of: Callable[[JobDocument], AsyncIBMQBackend],
    *,
    limit: int | None,
    skip: int,
    descending: bool,
    page_size: int,
) -> AsyncIterator[AsyncIBMQJob]:
    """The jobs matching ``where``, a page at a time, each with the backend ``backend_of``
    names for it. Every job is listed once; at most ``limit`` (``None``: all).

    The next page is asked for as soon as a page's keys are read, before its documents are
    validated and handed out: the server prepares one page while the caller reads the other.
    A walk left early drops the page asked for ahead.
    """
    cursor = JobsCursor(where, limit=limit, skip=skip, descending=descending, page_size=page_size)
    wanted = cursor.limit
    first = cursor.next_filter()
    page: JobsPage | None = await api.jobs(first) if first is not None else None
    while page is not None:
        cursor.advance(page.keys)
        following = cursor.next_filter()
        ahead = Ahead(api.jobs, following) if following is not None else None
        try:
            if ahead is not None:
                await ahead.started()
            for document in page.documents:
                if wanted is not None:
                    if wanted == 0:
                        return
                    wanted -= 1
                yield AsyncIBMQJob(backend_of(document), api, document)
            page = await ahead.result() if ahead is not None else None
            ahead = None
        finally:
            if ahead is not None:
                ahead.cancel()
