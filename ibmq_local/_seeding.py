"""Finished jobs written straight into a job store: for tests and benchmarks of listings at
a scale that running real jobs would take hours to reach.

The records are built the way the service builds its own (:func:`new_job_record`, then one
:func:`apply_status` per step), so the documents are the ones a real job would end with.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from ibmq_async._core.models.job import BackendRef, JobCreateRequest
from ibmq_async._core.statuses import ApiJobStatus

from ._job_document import JobOwner, JobRecord, apply_status, new_job_id, new_job_record
from ._store import JobStore
from ._summary import summary_data
from .config import load_settings

_STEPS = (
    ApiJobStatus.CREATED,
    ApiJobStatus.VALIDATING,
    ApiJobStatus.VALIDATED,
    ApiJobStatus.QUEUED,
    ApiJobStatus.RUNNING,
    ApiJobStatus.COMPLETED,
)

_BATCH = 2000


def completed_job(
    owner: JobOwner,
    backend: str,
    created: datetime,
    *,
    job_id: str | None = None,
    tags: Sequence[str] = (),
    name: str | None = None,
    n_qubits: int = 3,
    shots: int = 1024,
    num_circuits: int = 1,
) -> JobRecord:
    """The record of a job on ``backend`` created at ``created`` (milliseconds are kept, the
    rest dropped, as the service does) and completed a few milliseconds later."""
    created = created.replace(microsecond=created.microsecond // 1000 * 1000)
    request = JobCreateRequest(backend=BackendRef(name=backend), name=name, tags=list(tags))
    record = new_job_record(
        job_id=job_id or new_job_id(), owner=owner, created=created, request=request, client=None
    )
    for step, status in enumerate(_STEPS, start=1):
        apply_status(record, status, created + timedelta(milliseconds=step))
    qobj = {
        "type": "QASM",
        "config": {"shots": shots, "n_qubits": n_qubits, "memory_slots": n_qubits},
        "experiments": [{}] * num_circuits,
    }
    record.doc = record.doc.model_copy(update={"shots": shots, "summary_data": summary_data(qobj)})
    return record


def default_owner(data_dir: str | os.PathLike[str]) -> JobOwner:
    """The default user of ``data_dir`` in its default project: whom the service's token
    logs in as."""
    user = load_settings(data_dir).default_user
    membership = next(p for p in user.projects if p.is_default)
    return JobOwner(user.id, membership.hub, membership.group, membership.project)


async def seed(store: JobStore, records: Iterable[JobRecord]) -> int:
    """Insert ``records`` in batches of a few thousand; return how many."""
    count = 0
    batch: list[JobRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) == _BATCH:
            await store.insert_many(batch)
            count, batch = count + len(batch), []
    if batch:
        await store.insert_many(batch)
        count += len(batch)
    return count


def seed_data_dir(data_dir: str | os.PathLike[str], records: Iterable[JobRecord]) -> int:
    """Blocking: insert ``records`` into the job store of ``data_dir``, which no running
    service may hold; return how many."""

    async def write() -> int:
        store = await JobStore.open(load_settings(data_dir).database_path)
        try:
            return await seed(store, records)
        finally:
            await store.close()

    return asyncio.run(write())
