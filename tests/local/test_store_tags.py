"""Saving a job never hides its tags from a listing running on the same connection."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ibmq_async._core.statuses import ApiJobStatus
from ibmq_local._job_document import JobOwner, apply_status
from ibmq_local._seeding import completed_job
from ibmq_local._store import TAGS_TABLE, JobStore

OWNER = JobOwner("u", "ibm-q", "open", "main")


async def _tags(store: JobStore, job_id: str) -> list[str]:
    async with store._db.execute(
        f"SELECT tag FROM {TAGS_TABLE} WHERE job_id = ? ORDER BY tag", (job_id,)
    ) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]


async def test_a_status_change_keeps_the_tag_rows_in_place(tmp_path: Path) -> None:
    # Reproduces a listing by tag that missed a job: every save deleted the job's tag rows
    # and wrote them again, and a listing between the two (same connection, so it sees the
    # uncommitted delete) found the job without its tags.
    store = await JobStore.open(tmp_path / "jobs.db")
    try:
        record = completed_job(
            OWNER, "ibmq_qasm_simulator", datetime(2026, 1, 1, tzinfo=UTC), tags=["a", "b"]
        )
        apply_status(record, ApiJobStatus.QUEUED, datetime(2026, 1, 1, 0, 1, tzinfo=UTC))
        await store.insert(record)
        before = store._db.total_changes
        apply_status(record, ApiJobStatus.RUNNING, datetime(2026, 1, 1, 0, 2, tzinfo=UTC))
        await store.save(record)
        # Only the job's row changed: no tag row was deleted and written again.
        assert store._db.total_changes - before == 1
        assert await _tags(store, record.id) == ["a", "b"]

        record.doc.tags = ["b", "c"]
        before = store._db.total_changes
        await store.save(record)
        assert store._db.total_changes - before == 3  # the job, "a" out, "c" in
        assert await _tags(store, record.id) == ["b", "c"]
        record.doc.tags = []
        await store.save(record)
        assert await _tags(store, record.id) == []
    finally:
        await store.close()
