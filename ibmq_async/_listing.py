"""Walking a job listing page by page, for a backend or a whole provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from ._core.job_filters import JobsCursor
from ._core.models import JobDocument
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
    names for it. Every job is listed once; at most ``limit`` (``None``: all)."""
    cursor = JobsCursor(where, limit=limit, skip=skip, descending=descending, page_size=page_size)
    wanted = cursor.limit
    while (page_filter := cursor.next_filter()) is not None:
        page = await api.jobs(page_filter)
        cursor.advance(page.keys)
        for document in page.documents:
            if wanted is not None:
                if wanted == 0:
                    return
                wanted -= 1
            yield AsyncIBMQJob(backend_of(document), api, document)
