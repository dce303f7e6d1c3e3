"""SQLite persistence of jobs, their payloads (Qobj and result JSON) and access tokens."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any

import aiosqlite

from ibmq_async._core.dates import format_iso, utc_now
from ibmq_async._core.statuses import FINAL_API_STATUSES, ApiJobStatus

from ._job_document import JobRecord, document_json, parse_document

QOBJ = "qobj"
RESULT = "result"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    hub TEXT NOT NULL,
    grp TEXT NOT NULL,
    project TEXT NOT NULL,
    backend TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (user_id, hub, grp, project, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status);
CREATE TABLE IF NOT EXISTS payloads (
    job_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (job_id, kind)
);
CREATE TABLE IF NOT EXISTS access_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""

_FINAL = sorted(status.value for status in FINAL_API_STATUSES)
_FINAL_PLACEHOLDERS = ",".join("?" for _ in _FINAL)
_COLUMNS = "id, user_id, hub, grp, project, backend, status, created_at, doc, meta"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _record(row: Any) -> JobRecord:
    return JobRecord(
        id=row[0],
        user_id=row[1],
        hub=row[2],
        group=row[3],
        project=row[4],
        backend=row[5],
        # row[6], the status column, is an index copy of the document's status.
        created_at=row[7],
        doc=parse_document(row[8]),
        meta=json.loads(row[9]),
    )


class DatabaseInUse(RuntimeError):
    """Another service process already uses this data directory."""


def _lock_exclusively(path: Path) -> IO[str]:
    """Hold an exclusive advisory lock on ``path`` for as long as the file stays open.

    Two services on one data directory would both resume and run the same queued jobs.
    """
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while locked
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks, run unprotected
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        handle.close()
        raise DatabaseInUse(
            f"{path.parent} is in use by another ibmq-local service (pid {owner}); "
            "connect to that one or use another data directory"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class JobStore:
    """Async access to the service database. One connection, used from one event loop."""

    def __init__(self, connection: aiosqlite.Connection, lock: IO[str] | None = None) -> None:
        self._db = connection
        self._lock = lock

    @classmethod
    async def open(cls, path: Path) -> JobStore:
        """Open (creating if needed) the database at ``path``, locking it for this process.

        Raises:
            DatabaseInUse: if another service holds the database.
        """
        lock = _lock_exclusively(path.with_name(path.name + ".lock"))
        try:
            connection = await aiosqlite.connect(path)
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA synchronous=NORMAL")
            await connection.executescript(_SCHEMA)
            await connection.commit()
        except BaseException:
            lock.close()
            raise
        return cls(connection, lock)

    async def close(self) -> None:
        """Close the connection and release the lock."""
        try:
            await self._db.close()
        finally:
            if self._lock is not None:
                self._lock.close()

    # -- jobs -----------------------------------------------------------------------------

    async def insert(self, record: JobRecord) -> None:
        """Store a new job."""
        await self._db.execute(
            f"INSERT INTO jobs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.user_id,
                record.hub,
                record.group,
                record.project,
                record.backend,
                record.status.value,
                record.created_at,
                document_json(record.doc),
                json.dumps(record.meta),
            ),
        )
        await self._db.commit()

    async def save(self, record: JobRecord) -> None:
        """Write back the mutable parts of a job (status, document, metadata)."""
        await self._db.execute(
            "UPDATE jobs SET status = ?, doc = ?, meta = ? WHERE id = ?",
            (record.status.value, document_json(record.doc), json.dumps(record.meta), record.id),
        )
        await self._db.commit()

    async def get(self, job_id: str) -> JobRecord | None:
        """Return the job ``job_id``."""
        async with self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        return _record(row) if row else None

    async def documents(self, user_id: str, hub: str, group: str, project: str) -> list[str]:
        """The documents (JSON text) of a user's jobs in a project, oldest first."""
        async with self._db.execute(
            "SELECT doc FROM jobs WHERE user_id = ? AND hub = ? AND grp = ? AND project = ? "
            "ORDER BY created_at, id",
            (user_id, hub, group, project),
        ) as cursor:
            rows = await cursor.fetchall()
        return [row[0] for row in rows]

    async def count_unfinished(
        self, user_id: str, hub: str, group: str, project: str, backend: str
    ) -> int:
        """Number of a user's jobs on ``backend`` in a project that are not final."""
        async with self._db.execute(
            "SELECT COUNT(*) FROM jobs WHERE user_id = ? AND hub = ? AND grp = ? "
            f"AND project = ? AND backend = ? AND status NOT IN ({_FINAL_PLACEHOLDERS})",
            (user_id, hub, group, project, backend, *_FINAL),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def unfinished(self, status: ApiJobStatus | None = None) -> list[JobRecord]:
        """Jobs not in a final state (optionally only ``status``), oldest first."""
        query = f"SELECT {_COLUMNS} FROM jobs WHERE status NOT IN ({_FINAL_PLACEHOLDERS})"
        params = list(_FINAL)
        if status is not None:
            query += " AND status = ?"
            params.append(status.value)
        async with self._db.execute(query + " ORDER BY created_at, id", params) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def latest_creation(self) -> str | None:
        """The newest ``creationDate`` of any job."""
        async with self._db.execute("SELECT MAX(created_at) FROM jobs") as cursor:
            row = await cursor.fetchone()
        return row[0] if row and row[0] else None

    # -- payloads -------------------------------------------------------------------------

    async def put_payload(self, job_id: str, kind: str, data: bytes) -> None:
        """Store (or replace) the ``kind`` payload of a job."""
        await self._db.execute(
            "INSERT OR REPLACE INTO payloads (job_id, kind, data) VALUES (?, ?, ?)",
            (job_id, kind, data),
        )
        await self._db.commit()

    async def get_payload(self, job_id: str, kind: str) -> bytes | None:
        """Return the ``kind`` payload of a job."""
        async with self._db.execute(
            "SELECT data FROM payloads WHERE job_id = ? AND kind = ?", (job_id, kind)
        ) as cursor:
            row = await cursor.fetchone()
        return bytes(row[0]) if row else None

    async def has_payload(self, job_id: str, kind: str) -> bool:
        """Whether the ``kind`` payload of a job exists."""
        async with self._db.execute(
            "SELECT 1 FROM payloads WHERE job_id = ? AND kind = ?", (job_id, kind)
        ) as cursor:
            return await cursor.fetchone() is not None

    # -- access tokens --------------------------------------------------------------------

    async def add_access_token(self, token: str, user_id: str) -> None:
        """Remember an access token issued by ``loginWithToken`` (only its hash is kept)."""
        await self._db.execute(
            "INSERT OR REPLACE INTO access_tokens (token_hash, user_id, created_at) "
            "VALUES (?, ?, ?)",
            (_hash_token(token), user_id, format_iso(utc_now())),
        )
        await self._db.commit()

    async def user_for_access_token(self, token: str) -> str | None:
        """The user id an access token was issued to."""
        async with self._db.execute(
            "SELECT user_id FROM access_tokens WHERE token_hash = ?", (_hash_token(token),)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None
