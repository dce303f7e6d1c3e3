"""Qobj uploads on disk: streamed in, checked before the job is queued, removed with the job.

An upload (``PUT`` of a presigned URL, protocol 3.1) is written chunk by chunk to a temporary
file beside its final place, ``<data dir>/uploads/<job id>.qobj``, with the size limit enforced
while it streams, and moved into place atomically once complete: the service holds a chunk of
it in memory, never the whole Qobj. ``jobDataUploaded`` then checks it is a Qobj
(:func:`check_qobj`) before the job goes on to validation and the queue.

:class:`FileJobStore` is the job store with the ``qobj`` payload kept in those files rather
than in SQLite, so the scheduler and the download route read the Qobj through the same
:meth:`~ibmq_local._store.JobStore.get_payload` as before. Qobjs stored in SQLite by an older
service are still read from there.

A job's file is removed when the job is cancelled before it ran, or when its upload is
refused at ``jobDataUploaded``; the Qobj of a job that ran stays downloadable
(``jobDownloadUrl``).

A PulseQobj in shape is accepted and its summary recorded, but the service cannot simulate
pulse schedules (qiskit-aer removed its pulse simulator in 0.13): :func:`inspect_qobj` marks
it, and ``jobDataUploaded`` fails the job with :func:`pulse_refusal` before it can reach a
worker. Its Qobj stays downloadable, so the client can read its schedules back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ibmq_async._core.codes import JobErrorCode
from ibmq_async._core.validate import JobValidationError, parse_qobj

from ._store import QOBJ, JobStore
from ._summary import summary_data

__all__ = [
    "UPLOADS_DIR",
    "FileJobStore",
    "UploadCheck",
    "UploadFiles",
    "UploadRefused",
    "UploadTooLarge",
    "check_qobj",
    "inspect_qobj",
    "open_job_store",
    "pulse_refusal",
    "valid_job_id",
]

logger = logging.getLogger(__name__)

UPLOADS_DIR = "uploads"
"""The directory of the data directory holding the uploaded Qobjs."""
_SUFFIX = ".qobj"
_PARTIAL = ".part"
_WRITE_BATCH = 1 << 20
"""Bytes gathered from the request before each write to the file (in a thread)."""
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
"""What a job id may look like; ours are 24 hex digits. Anything else names no file."""


def valid_job_id(job_id: str) -> bool:
    """Whether ``job_id`` could be a job's id (and is safe in a file name)."""
    return _JOB_ID.fullmatch(job_id) is not None


class UploadTooLarge(Exception):
    """The upload went past the size limit; nothing of it was kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Uploads are limited to {limit} bytes.")
        self.limit = limit


class UploadRefused(Exception):
    """The upload completed but may no longer replace the job's data (not ``CREATING``)."""


class UploadFiles:
    """The ``uploads`` directory: one ``<job id>.qobj`` per job with uploaded data."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    def prepare(self) -> None:
        """Create the directory and drop partial files an interrupted service left behind."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for partial in self.directory.glob(f"*{_PARTIAL}"):
            with contextlib.suppress(OSError):
                partial.unlink()

    def path(self, job_id: str) -> Path:
        """Where the Qobj of ``job_id`` lives (whether or not it exists)."""
        if not valid_job_id(job_id):
            raise ValueError(f"not a job id: {job_id[:80]!r}")
        return self.directory / f"{job_id}{_SUFFIX}"

    def exists(self, job_id: str) -> bool:
        """Whether ``job_id`` has an uploaded Qobj file."""
        return valid_job_id(job_id) and self.path(job_id).is_file()

    @asynccontextmanager
    async def lock(self, job_id: str) -> AsyncIterator[None]:
        """Hold ``job_id``'s upload: a completed upload is moved into place, or the file is
        checked and the job moved on, never both at once."""
        lock = self._locks.setdefault(job_id, asyncio.Lock())
        self._users[job_id] = self._users.get(job_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[job_id] -= 1
            if not self._users[job_id]:
                del self._users[job_id]
                del self._locks[job_id]

    async def receive(
        self,
        job_id: str,
        chunks: AsyncIterable[bytes],
        limit: int,
        may_replace: Callable[[], Awaitable[bool]],
    ) -> int:
        """Stream ``chunks`` into the job's file; return the number of bytes stored.

        The file is replaced only once the whole body arrived within ``limit`` bytes, and
        only if ``may_replace()`` (asked under :meth:`lock`) still says so.

        Raises:
            UploadTooLarge: past ``limit`` bytes (the rest of the body is not read).
            UploadRefused: when ``may_replace()`` said no.
        """
        final = self.path(job_id)
        partial = final.with_name(f"{final.name}.{secrets.token_hex(4)}{_PARTIAL}")
        size = 0
        try:
            handle = await asyncio.to_thread(open, partial, "xb")
            try:
                pending: list[bytes] = []
                pending_size = 0
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise UploadTooLarge(limit)
                    pending.append(chunk)
                    pending_size += len(chunk)
                    if pending_size >= _WRITE_BATCH:
                        await asyncio.to_thread(handle.write, b"".join(pending))
                        pending, pending_size = [], 0
                if pending:
                    await asyncio.to_thread(handle.write, b"".join(pending))
                # On disk before the job may be queued: a crash must not leave it truncated.
                await asyncio.to_thread(_flush_and_sync, handle)
            finally:
                await asyncio.to_thread(handle.close)
            async with self.lock(job_id):
                if not await may_replace():
                    raise UploadRefused(job_id)
                os.replace(partial, final)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        return size

    async def read(self, job_id: str) -> bytes | None:
        """The uploaded Qobj of ``job_id``, or ``None``."""
        try:
            return await asyncio.to_thread(self.path(job_id).read_bytes)
        except (FileNotFoundError, ValueError):
            return None

    async def write(self, job_id: str, data: bytes) -> None:
        """Store ``data`` as the job's Qobj at once (atomically)."""
        final = self.path(job_id)
        partial = final.with_name(f"{final.name}.{secrets.token_hex(4)}{_PARTIAL}")

        def write() -> None:
            try:
                with open(partial, "xb") as handle:
                    handle.write(data)
                    _flush_and_sync(handle)
                os.replace(partial, final)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    partial.unlink()

        await asyncio.to_thread(write)

    async def check(self, job_id: str) -> JobValidationError | None:
        """:func:`check_qobj` of the job's file; garbage is refused from its first bytes."""
        return (await self.inspect(job_id)).problem

    async def inspect(self, job_id: str) -> UploadCheck:
        """:func:`inspect_qobj` of the job's file; garbage is refused from its first bytes."""

        def inspect() -> UploadCheck:
            path = self.path(job_id)
            with open(path, "rb") as handle:
                head = handle.read(4096)
            if not _looks_like_object(head):
                return UploadCheck(problem=_NOT_AN_OBJECT)
            return inspect_qobj(path.read_bytes())

        return await asyncio.to_thread(inspect)

    def remove(self, job_id: str) -> bool:
        """Delete the job's Qobj file; whether there was one."""
        if not valid_job_id(job_id):
            return False
        try:
            self.path(job_id).unlink()
        except FileNotFoundError:
            return False
        logger.debug("removed the uploaded Qobj of job %s", job_id)
        return True


def _flush_and_sync(handle: object) -> None:
    flush = getattr(handle, "flush", None)
    if flush is not None:
        flush()
    fileno = getattr(handle, "fileno", None)
    if fileno is not None:
        os.fsync(fileno())


_NOT_AN_OBJECT = JobValidationError(
    JobErrorCode.MALFORMED_QOBJ, "The uploaded Qobj is not valid JSON: it is not a JSON object."
)


def _looks_like_object(head: bytes) -> bool:
    """Whether a document starting with ``head`` may be a JSON object: its first byte that
    is not JSON whitespace is ``{`` (or ``head`` is all whitespace: the parser decides)."""
    stripped = head.lstrip(b" \t\r\n")
    return stripped[:1] == b"{" or (not stripped and len(head) >= 4096)


@dataclass(frozen=True)
class UploadCheck:
    """What :func:`inspect_qobj` found in an upload."""

    problem: JobValidationError | None = None
    """Why the upload is not a Qobj, or ``None``."""
    pulse_summary: dict[str, Any] | None = None
    """For a PulseQobj in shape, its ``summaryData``; ``None`` otherwise."""

    @property
    def pulse(self) -> bool:
        """Whether the upload is a PulseQobj in shape (which the service cannot run)."""
        return self.pulse_summary is not None


def pulse_refusal(backend: str) -> JobValidationError:
    """The error a pulse job ends with: the local service cannot simulate pulse schedules."""
    return JobValidationError(
        JobErrorCode.UNSUPPORTED_QOBJ_TYPE,
        f"Pulse schedules cannot run on {backend}: the local service cannot simulate pulse "
        "schedules (qiskit-aer has had no pulse simulator since 0.13); it runs circuits "
        "(QASM Qobjs) only.",
    )


def check_qobj(data: bytes) -> JobValidationError | None:
    """Whether ``data`` is a Qobj in shape (:func:`inspect_qobj`): the problem, or ``None``."""
    return inspect_qobj(data).problem


def inspect_qobj(data: bytes) -> UploadCheck:
    """Whether ``data`` is a Qobj in shape: a JSON object whose ``experiments`` is a list,
    ``config`` and ``header`` objects (a QASM Qobj must have ``experiments``).

    Only the shape: whether the backend can run a QASM Qobj is the scheduler's validation
    (which fails the job with ``ERROR_VALIDATING_JOB``). A ``PULSE`` Qobj in shape comes
    back with its summary, for ``jobDataUploaded`` to record before it refuses the job.
    """
    if not _looks_like_object(data[:4096]):
        return UploadCheck(problem=_NOT_AN_OBJECT)
    try:
        qobj = parse_qobj(data)
    except JobValidationError as error:
        return UploadCheck(problem=error)
    except RecursionError:
        return UploadCheck(
            problem=JobValidationError(
                JobErrorCode.MALFORMED_QOBJ, "The Qobj is nested too deeply."
            )
        )
    qobj_type = qobj.get("type", "QASM")
    if qobj_type not in ("QASM", "PULSE"):
        return UploadCheck()  # validation refuses an unknown type, with its own message
    problem = _shape_problem(qobj)
    if problem is None and qobj_type == "PULSE":
        return UploadCheck(pulse_summary=summary_data(qobj))
    if problem is None and "experiments" not in qobj:
        problem = JobValidationError(
            JobErrorCode.MALFORMED_QOBJ, "Malformed Qobj: it has no 'experiments'."
        )
    return UploadCheck(problem=problem)


def _shape_problem(qobj: dict[str, Any]) -> JobValidationError | None:
    """Whether the Qobj's ``experiments``, ``config`` and ``header`` have their types."""
    for key, kind, name in (
        ("experiments", list, "a list"),
        ("config", dict, "an object"),
        ("header", dict, "an object"),
    ):
        if key in qobj and not isinstance(qobj[key], kind):
            return JobValidationError(
                JobErrorCode.MALFORMED_QOBJ, f"Malformed Qobj: '{key}' must be {name}."
            )
    return None


class FileJobStore(JobStore):
    """The job store, with each job's Qobj in a file of :class:`UploadFiles`."""

    uploads: UploadFiles

    async def put_payload(self, job_id: str, kind: str, data: bytes) -> None:
        """Store the ``kind`` payload; a Qobj goes to its file."""
        if kind == QOBJ:
            await self.uploads.write(job_id, data)
        else:
            await super().put_payload(job_id, kind, data)

    async def get_payload(self, job_id: str, kind: str) -> bytes | None:
        """The ``kind`` payload; a Qobj from its file (or from SQLite, if an older service
        stored it there)."""
        if kind == QOBJ:
            data = await self.uploads.read(job_id)
            if data is not None:
                return data
        return await super().get_payload(job_id, kind)

    async def has_payload(self, job_id: str, kind: str) -> bool:
        """Whether the ``kind`` payload exists."""
        if kind == QOBJ and self.uploads.exists(job_id):
            return True
        return await super().has_payload(job_id, kind)

    async def discard_upload(self, job_id: str) -> None:
        """Remove the Qobj file of a job that will never run (and any older SQLite copy)."""
        self.uploads.remove(job_id)
        await super().discard_upload(job_id)


async def open_job_store(database_path: Path, data_dir: Path) -> FileJobStore:
    """Open the job store of ``database_path``, with its uploads under ``data_dir``."""
    uploads = UploadFiles(data_dir / UPLOADS_DIR)
    await asyncio.to_thread(uploads.prepare)
    store = await FileJobStore.open(database_path)
    assert isinstance(store, FileJobStore)
    store.uploads = uploads
    return store
