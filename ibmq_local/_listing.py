"""One page of a job listing (protocol 5): SQL narrows and pages, Python finishes.

:func:`select_jobs` reads only the rows a page needs when the filter is one the client's
keyset cursor sends (owner, backend, status, creation-date bounds, ``id nin``, order by
creation date, limit/skip): see :mod:`._pushdown` for what else is pushed and what is not.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from ._job_document import JobOwner
from ._loopback import LoopbackFilter, apply_filter, matches, project
from ._pushdown import ListingPlan, plan_listing
from ._store import JobStore

logger = logging.getLogger(__name__)

LISTING_OMITS = ("timePerStep",)
"""Fields a listing leaves out, as the live service did: a job fetched on its own has them."""

_MIN_BATCH = 100
_MAX_BATCH = 1000


@dataclass
class Listing:
    """The documents of a page, as served, and how many stored rows were read for it."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0


async def select_jobs(store: JobStore, owner: JobOwner, flt: LoopbackFilter) -> Listing:
    """``owner``'s jobs that ``flt`` selects, ordered, paged and projected as it says.

    The same answer as :func:`_loopback.apply_filter` on every document of ``owner``; the
    work done is about the page's size whenever :func:`_pushdown.plan_listing` pushes the
    whole ``where`` and ``order`` into SQL.
    """
    plan = plan_listing(flt)
    if plan.order_by is None:
        listing = await _sorted_in_python(store, owner, flt, plan)
    else:
        listing = await _in_sql_order(store, owner, flt, plan, plan.order_by)
    listing.documents = [_listed(doc, flt.fields) for doc in listing.documents]
    logger.debug(
        "listing: %d rows read, %d served; left to Python: %s, order in SQL: %s",
        listing.rows_read,
        len(listing.documents),
        sorted(plan.residual) or "nothing",
        plan.order_by is not None,
    )
    return listing


async def _in_sql_order(
    store: JobStore, owner: JobOwner, flt: LoopbackFilter, plan: ListingPlan, order_by: str
) -> Listing:
    """Rows come in the page's order: stop as soon as the page is full."""
    listing = Listing()
    exact = not plan.residual
    wanted = flt.limit
    to_skip = 0 if exact else flt.skip
    rows = store.documents(
        owner,
        plan.condition.text,
        plan.condition.params,
        order_by=order_by,
        # Only when SQL decides every row can it also count the rows to skip and keep.
        limit=wanted if exact else None,
        offset=flt.skip if exact else 0,
        batch_size=_batch_size(wanted, to_skip),
    )
    async with aclosing(rows) as batches:
        async for batch in batches:
            listing.rows_read += len(batch)
            found = await asyncio.to_thread(_decode_matching, batch, plan.residual)
            if to_skip:
                dropped = min(to_skip, len(found))
                found, to_skip = found[dropped:], to_skip - dropped
            if wanted is not None:
                found = found[: wanted - len(listing.documents)]
            listing.documents += found
            if wanted is not None and len(listing.documents) >= wanted:
                break
    return listing


async def _sorted_in_python(
    store: JobStore, owner: JobOwner, flt: LoopbackFilter, plan: ListingPlan
) -> Listing:
    """An ``order`` SQL cannot give: read every narrowed row, sort them here (not paged)."""
    listing = Listing()
    rest = LoopbackFilter(plan.residual, flt.order, flt.limit, flt.skip)
    texts: list[str] = []
    rows = store.documents(owner, plan.condition.text, plan.condition.params)
    async with aclosing(rows) as batches:
        async for batch in batches:
            texts += batch
    listing.rows_read = len(texts)
    listing.documents = await asyncio.to_thread(
        lambda: apply_filter((json.loads(text) for text in texts), rest)
    )
    return listing


def _batch_size(limit: int | None, skip: int) -> int:
    wanted = (limit or _MAX_BATCH) + skip
    return max(_MIN_BATCH, min(_MAX_BATCH, wanted))


def _decode_matching(texts: list[str], where: Mapping[str, Any]) -> list[dict[str, Any]]:
    documents = [json.loads(text) for text in texts]
    if not where:
        return documents
    return [doc for doc in documents if matches(doc, where)]


def _listed(document: dict[str, Any], fields: Mapping[str, bool] | None) -> dict[str, Any]:
    for name in LISTING_OMITS:
        document.pop(name, None)
    return document if fields is None else project(document, fields)
