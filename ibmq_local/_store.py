"""SQLite persistence of jobs, their payloads (Qobj and result JSON) and access tokens.

Crash safety: the database is in WAL mode with ``synchronous=FULL``, and every write is its
own committed transaction, so whatever a reply reported (a job created, a status changed, a
result stored) is on disk before the reply is sent, and a process killed at any moment
leaves a consistent database.

Access tokens are kept as SHA-256 hashes only: a copy of the database gives no usable token.

Idempotency keys (``Idempotency-Key`` of ``POST {hgp}/Jobs``) are kept per user with the job
they created, in the same transaction as that job, and forgotten after their TTL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import aiosqlite

from ibmq_async._core.dates import format_iso, utc_now
from ibmq_async._core.statuses import FINAL_API_STATUSES, ApiJobStatus

from ._job_document import JobOwner, JobRecord, document_json, parse_document
from ._sharing import shared_level

logger = logging.getLogger(__name__)

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
CREATE INDEX IF NOT EXISTS jobs_by_backend
    ON jobs (user_id, hub, grp, project, backend, created_at);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status);
CREATE TABLE IF NOT EXISTS job_tags (
    job_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    PRIMARY KEY (job_id, tag)
) WITHOUT ROWID;
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

_SCHEMA_VERSION = 3
"""``PRAGMA user_version`` of the current schema; :data:`_MIGRATIONS` brings older ones up
(a new database too: :data:`_SCHEMA` is the version 0 schema plus version 1's table)."""

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # Version 1 added job_tags: fill it from the documents stored before.
    1: (
        "INSERT OR IGNORE INTO job_tags (job_id, tag) "
        "SELECT jobs.id, tag.value FROM jobs, json_each(jobs.doc, '$.tags') AS tag "
        "WHERE tag.type = 'text'",
    ),
    # Version 2 added share_level: the shareLevel of jobs visible to others, else NULL.
    2: (
        "ALTER TABLE jobs ADD COLUMN share_level TEXT",
        "UPDATE jobs SET share_level = json_extract(doc, '$.shareLevel') "
        "WHERE json_extract(doc, '$.shareLevel') IN ('global', 'hub', 'group', 'project')",
        # Only shared jobs: the listing walks it for the jobs others shared with the caller.
        "CREATE INDEX IF NOT EXISTS jobs_shared ON jobs (created_at, id) "
        "WHERE share_level IS NOT NULL",
    ),
    # Version 3 added idempotency_keys: the job each (user, Idempotency-Key) created.
    3: (
        "CREATE TABLE IF NOT EXISTS idempotency_keys ("
        "user_id TEXT NOT NULL, idem_key TEXT NOT NULL, job_id TEXT NOT NULL, "
        "fingerprint TEXT NOT NULL, created_at TEXT NOT NULL, "
        "PRIMARY KEY (user_id, idem_key)) WITHOUT ROWID",
        "CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at)",
    ),
}

FIELD_COLUMNS: dict[str, str] = {
    "id": "id",
    "status": "status",
    "backend.name": "backend",
    "hubInfo.hub.name": "hub",
    "hubInfo.group.name": "grp",
    "hubInfo.project.name": "project",
    "userId": "user_id",
}
"""Document paths whose value a ``jobs`` column holds, for every job: the listing may test the
column instead of the document. Every job document has these paths (the service builds them
all from the same :class:`JobRecord`), and :meth:`JobStore.insert` / :meth:`JobStore.save`
write column and document together."""

CREATED_COLUMN = "created_at"
"""The column holding ``creationDate`` as :func:`format_iso` writes it: UTC, milliseconds, a
fixed width, so text order is time order."""

TAGS_TABLE = "job_tags"
"""``(job_id, tag)`` for each tag of each job's document, kept in step with ``tags``."""

_FINAL = sorted(status.value for status in FINAL_API_STATUSES)
_FINAL_PLACEHOLDERS = ",".join("?" for _ in _FINAL)
_COLUMNS = "id, user_id, hub, grp, project, backend, status, created_at, doc, meta"
_OWNER = "user_id = ? AND hub = ? AND grp = ? AND project = ?"
_SHARED_WITH = (
    "share_level IS NOT NULL AND NOT (user_id = ? AND hub = ? AND grp = ? AND project = ?) "
    "AND (share_level = 'global' OR (share_level = 'hub' AND hub = ?) "
    "OR (share_level = 'group' AND hub = ? AND grp = ?) "
    "OR (share_level = 'project' AND hub = ? AND grp = ? AND project = ?))"
)
"""Others' jobs whose share level reaches the viewer's project (see :mod:`._sharing`)."""


def _job_row(record: JobRecord) -> tuple[Any, ...]:
    return (
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
        shared_level(record.doc.share_level),
    )


def _tag_rows(record: JobRecord) -> list[tuple[str, str]]:
    return [(record.id, tag) for tag in record.doc.tags]


@dataclass
class WorkCounter:
    """How much work SQLite did, in units of :data:`JobStore.WORK_UNIT` VM instructions."""

    units: int = 0


@dataclass(frozen=True)
class KeyClaim:
    """An ``Idempotency-Key`` that the next job stored in the same context is created under.

    Attributes:
        user_id: whose key it is (keys of different users never meet).
        key: the header's value.
        fingerprint: identifies the request (project and body) the key was sent with.
        ttl_seconds: how long a key is remembered; older ones are forgotten.
    """

    user_id: str
    key: str
    fingerprint: str
    ttl_seconds: int


@dataclass(frozen=True)
class KeyedJob:
    """The job an unexpired ``Idempotency-Key`` created, and the request it was sent with."""

    job_id: str
    fingerprint: str


class KeyTaken(Exception):
    """Another request claimed the same ``Idempotency-Key`` first; nothing was stored."""


_CLAIM: ContextVar[KeyClaim | None] = ContextVar("ibmq_local_key_claim", default=None)


def _key_cutoff(ttl_seconds: int) -> str:
    """Keys created at or before this time (:func:`format_iso` text) have expired."""
    return format_iso(utc_now() - timedelta(seconds=ttl_seconds))


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


_INSERT_JOB = f"INSERT INTO jobs ({_COLUMNS}, share_level) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_TAG = f"INSERT OR IGNORE INTO {TAGS_TABLE} (job_id, tag) VALUES (?, ?)"


async def _migrate(connection: aiosqlite.Connection) -> None:
    """Bring a database made by an older service up to :data:`_SCHEMA_VERSION`."""
    async with connection.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    for target in range(version + 1, _SCHEMA_VERSION + 1):
        for statement in _MIGRATIONS[target]:
            await connection.execute(statement)
    if version < _SCHEMA_VERSION:
        # PRAGMA takes no placeholders; the value is our own integer constant.
        await connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")


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

    WORK_UNIT = 100
    """VM instructions per unit of :meth:`count_work`."""

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
            # No statement cache: cursors that are dropped on the event loop's thread finalize
            # their statement there, and a cached statement shared with the connection's own
            # thread then fails at random with "bad parameter or other API misuse"
            # (CPython gh-118172); seen under a hundred concurrent job creations.
            connection = await aiosqlite.connect(path, cached_statements=0)
            # Durable commits: WAL, and an fsync of the log at each commit (FULL; NORMAL
            # would let a power cut undo the last transitions). A job the service accepted,
            # or a result it stored, survives the process being killed at any moment.
            async with connection.execute("PRAGMA journal_mode=WAL") as cursor:
                mode = await cursor.fetchone()
            if not mode or str(mode[0]).lower() != "wal":
                logger.warning("SQLite refused WAL mode for %s (it uses %s)", path, mode)
            await connection.execute("PRAGMA synchronous=FULL")
            await connection.executescript(_SCHEMA)
            await _migrate(connection)
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
        await self.insert_many([record])

    async def insert_many(self, records: Iterable[JobRecord]) -> None:
        """Store new jobs in one transaction (seeding thousands takes a moment, not minutes).

        Inside :meth:`claiming`, the one job stored records the claimed key in the same
        transaction: a job created under a key and the key itself are durable together.

        Raises:
            KeyTaken: inside :meth:`claiming`, when the key is already taken (nothing stored).
        """
        records = list(records)
        claim = _CLAIM.get()
        if claim is not None:
            if len(records) != 1:
                raise ValueError("an idempotency key claims exactly one job")
            await self._claim_key(claim, records[0].id)
        await self._db.executemany(_INSERT_JOB, [_job_row(record) for record in records])
        await self._db.executemany(
            _INSERT_TAG, [row for record in records for row in _tag_rows(record)]
        )
        await self._db.commit()

    async def save(self, record: JobRecord) -> None:
        """Write back the mutable parts of a job (status, document, metadata)."""
        await self._db.execute(
            "UPDATE jobs SET status = ?, doc = ?, meta = ?, share_level = ? WHERE id = ?",
            (
                record.status.value,
                document_json(record.doc),
                json.dumps(record.meta),
                shared_level(record.doc.share_level),
                record.id,
            ),
        )
        # Tags change rarely, but any save may carry new ones. Readers share this connection
        # and see its uncommitted rows, so a tag the job keeps is never deleted, not even for
        # a moment: drop only the tags it lost, then add the ones it gained.
        tags = list(dict.fromkeys(record.doc.tags))
        marks = ", ".join("?" * len(tags))
        await self._db.execute(
            f"DELETE FROM {TAGS_TABLE} WHERE job_id = ? AND tag NOT IN ({marks})",
            (record.id, *tags),
        )
        await self._db.executemany(_INSERT_TAG, _tag_rows(record))
        await self._db.commit()

    async def get(self, job_id: str) -> JobRecord | None:
        """Return the job ``job_id``."""
        async with self._db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)) as cur:
            row = await cur.fetchone()
        return _record(row) if row else None

    async def documents(
        self,
        viewer: JobOwner,
        condition: str = "",
        params: Sequence[Any] = (),
        *,
        order_by: str = "created_at, id",
        limit: int | None = None,
        offset: int = 0,
        batch_size: int = 100,
    ) -> AsyncGenerator[list[str], None]:
        """The documents (JSON text) of the jobs ``viewer`` sees, in batches.

        Those are the viewer's own jobs in the viewer's project and the jobs others shared
        with that project (:mod:`._sharing`). Each of the two is read in ``order_by`` order
        from an index of its own and SQLite merges them, so a page stops early either way.

        Args:
            viewer: who asks, acting in which project.
            condition: an SQL condition on the ``jobs`` columns (and :data:`TAGS_TABLE`),
                with ``?`` placeholders for ``params``; built by the listing planner from
                fixed column names only.
            params: the values of the placeholders.
            order_by: an SQL ``ORDER BY`` list over the ``created_at`` and ``id`` columns.
            limit: at most this many rows (``None``: all).
            offset: rows to leave out first.
            batch_size: rows per batch: a caller that stops early reads no further.
        """
        # Parenthesised: a condition "a OR b" must not escape the visibility test.
        extra = f" AND ({condition})" if condition else ""
        hub, group, project = viewer.hub, viewer.group, viewer.project
        query = (
            f"SELECT doc, created_at, id FROM jobs WHERE {_OWNER}{extra} "
            f"UNION ALL SELECT doc, created_at, id FROM jobs WHERE {_SHARED_WITH}{extra} "
            f"ORDER BY {order_by}"
        )
        values = [
            *viewer,
            *params,
            *viewer,
            hub,
            hub,
            group,
            hub,
            group,
            project,
            *params,
        ]
        if limit is not None or offset:
            query += " LIMIT ? OFFSET ?"
            values += [-1 if limit is None else limit, offset]
        async with self._db.execute(query, values) as cursor:
            while rows := await cursor.fetchmany(batch_size):
                yield [row[0] for row in rows]

    async def set_share_level(self, job_id: str, share_level: str) -> None:
        """Set the ``shareLevel`` of a job just created (before anything else touches it)."""
        await self._db.execute(
            "UPDATE jobs SET doc = json_set(doc, '$.shareLevel', ?), share_level = ? WHERE id = ?",
            (share_level, shared_level(share_level), job_id),
        )
        await self._db.commit()

    @asynccontextmanager
    async def count_work(self) -> AsyncIterator[WorkCounter]:
        """Count the SQLite VM instructions run inside the block (in :data:`WORK_UNIT` s):
        a measure of rows visited that, unlike time, does not depend on the machine."""
        counter = WorkCounter()

        def tick() -> int:
            counter.units += 1
            return 0  # non-zero would abort the statement

        await self._db.set_progress_handler(tick, self.WORK_UNIT)
        try:
            yield counter
        finally:
            # None removes the handler (sqlite3's API); aiosqlite's annotation omits it.
            await self._db.set_progress_handler(None, 0)  # type: ignore[arg-type]

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

    # -- idempotency keys -----------------------------------------------------------------

    @contextmanager
    def claiming(self, claim: KeyClaim) -> Iterator[None]:
        """Create the job stored next in this context (task) under ``claim``'s key.

        The key is written in the job's own transaction (see :meth:`insert_many`), so a
        crash leaves both or neither. Only the current context sees the claim.
        """
        token = _CLAIM.set(claim)
        try:
            yield
        finally:
            _CLAIM.reset(token)

    async def _claim_key(self, claim: KeyClaim, job_id: str) -> None:
        """Write ``claim`` for ``job_id`` (uncommitted), forgetting expired keys first."""
        await self._db.execute(
            "DELETE FROM idempotency_keys WHERE created_at <= ?", (_key_cutoff(claim.ttl_seconds),)
        )
        async with self._db.execute(
            "INSERT OR IGNORE INTO idempotency_keys "
            "(user_id, idem_key, job_id, fingerprint, created_at) VALUES (?, ?, ?, ?, ?)",
            (claim.user_id, claim.key, job_id, claim.fingerprint, format_iso(utc_now())),
        ) as cursor:
            inserted = cursor.rowcount
        if inserted != 1:
            # Nothing was written (the expired keys' deletion aside, which may stay).
            raise KeyTaken(claim.key)

    async def keyed_job(self, user_id: str, key: str, *, ttl_seconds: int) -> KeyedJob | None:
        """The job ``user_id`` created under ``key``, unless the key expired."""
        async with self._db.execute(
            "SELECT job_id, fingerprint FROM idempotency_keys "
            "WHERE user_id = ? AND idem_key = ? AND created_at > ?",
            (user_id, key, _key_cutoff(ttl_seconds)),
        ) as cursor:
            row = await cursor.fetchone()
        return KeyedJob(job_id=row[0], fingerprint=row[1]) if row else None

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

    async def discard_upload(self, job_id: str) -> None:
        """Remove the uploaded Qobj of a job that will never run (no error if none)."""
        await self._db.execute("DELETE FROM payloads WHERE job_id = ? AND kind = ?", (job_id, QOBJ))
        await self._db.commit()

    # -- access tokens --------------------------------------------------------------------

    async def add_access_token(
        self, token: str, user_id: str, *, ttl_seconds: int | None = None
    ) -> None:
        """Remember an access token issued by ``loginWithToken`` (only its hash is kept).

        With ``ttl_seconds``, tokens older than that are forgotten at the same time.
        """
        now = utc_now()
        if ttl_seconds is not None:
            await self._db.execute(
                "DELETE FROM access_tokens WHERE created_at <= ?",
                (format_iso(now - timedelta(seconds=ttl_seconds)),),
            )
        await self._db.execute(
            "INSERT OR REPLACE INTO access_tokens (token_hash, user_id, created_at) "
            "VALUES (?, ?, ?)",
            (_hash_token(token), user_id, format_iso(now)),
        )
        await self._db.commit()

    async def user_for_access_token(
        self, token: str, *, ttl_seconds: int | None = None
    ) -> str | None:
        """The user id an access token was issued to; ``None`` if unknown or, with
        ``ttl_seconds``, issued that long ago or longer."""
        query = "SELECT user_id FROM access_tokens WHERE token_hash = ?"
        params = [_hash_token(token)]
        if ttl_seconds is not None:
            query += " AND created_at > ?"
            params.append(format_iso(utc_now() - timedelta(seconds=ttl_seconds)))
        async with self._db.execute(query, params) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None
