"""One serving process per data directory, and where other processes find it.

The process that serves a data directory holds an exclusive ``flock`` on ``service.lock`` in
it for as long as it serves, with its pid written in the file, and publishes its auth URL and
default token in ``service.json`` once it listens. Another process that wants the same data
directory fails to take the lock and reads ``service.json`` to use the running service over
loopback instead of starting a second one (two services would run the same queued jobs
twice).

The lock is released by the kernel when its holder dies, however it dies, so a
``service.json`` left behind is stale exactly when nobody holds the lock: it is trusted only
while the lock is held, and only when it names the pid that holds it.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LOCK_FILE = "service.lock"
SERVICE_FILE = "service.json"


@dataclass(frozen=True)
class RunningService:
    """A service that another process runs on a data directory, as it published itself."""

    pid: int
    auth_url: str
    token: str


class DataDirInUse(RuntimeError):
    """Another ibmq-local service process serves this data directory."""

    def __init__(self, data_dir: Path, holder: int | None, running: RunningService | None):
        self.data_dir = data_dir
        self.holder = holder
        """The pid of the serving process, when it wrote it already."""
        self.running = running
        """What that process published, once it listens (``None`` while it starts)."""
        where = f" at {running.auth_url}" if running is not None else ""
        pid = holder if holder is not None else "unknown"
        super().__init__(
            f"{data_dir} is in use by another ibmq-local service (pid {pid}){where}; "
            "use that one or another data directory"
        )


class DataDirLock:
    """The exclusive hold of a data directory by the process serving it.

    Use :meth:`acquire`, then :meth:`publish` once the service listens, and :meth:`release`
    when it stops. Two holds in one process conflict too (``flock`` locks belong to open
    files, not processes).
    """

    def __init__(self, data_dir: Path, handle: IO[str]) -> None:
        self.data_dir = data_dir
        self._handle: IO[str] | None = handle
        self._release_lock = threading.Lock()

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        """Take the data directory, or fail at once.

        Raises:
            DataDirInUse: another process (or another service of this one) holds it.
            OSError: the directory or its lock file cannot be created.
        """
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(data_dir / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 - held
        try:
            if not _try_lock(handle):
                holder = _read_pid(handle)
                raise DataDirInUse(data_dir, holder, _published(data_dir, holder))
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            # Whatever a previous holder published is stale from now on.
            _unlink(data_dir / SERVICE_FILE)
        except BaseException:
            handle.close()
            raise
        return cls(data_dir, handle)

    @property
    def held(self) -> bool:
        """Whether this object still holds the lock."""
        return self._handle is not None

    def publish(self, auth_url: str, token: str) -> None:
        """Tell other processes where the service listens (the file is private, mode 0600)."""
        record = {"pid": os.getpid(), "auth_url": auth_url, "token": token}
        path = self.data_dir / SERVICE_FILE
        temporary = path.with_name(f".{SERVICE_FILE}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(record, file)
        os.replace(temporary, path)

    def release(self) -> None:
        """Withdraw the published record and let go of the data directory. Idempotent."""
        with self._release_lock:
            handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            running = _published(self.data_dir, os.getpid())
            if running is not None:
                _unlink(self.data_dir / SERVICE_FILE)
        finally:
            handle.close()


def _try_lock(handle: IO[str]) -> bool:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows has no flock: run unprotected
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_pid(handle: IO[str]) -> int | None:
    handle.seek(0)
    text = handle.read().strip()
    return int(text) if text.isdigit() else None


def _published(data_dir: Path, holder: int | None) -> RunningService | None:
    """The record in ``service.json`` if the process ``holder`` wrote it, else ``None``."""
    if holder is None:
        return None
    try:
        record = json.loads((data_dir / SERVICE_FILE).read_text(encoding="utf-8"))
        running = RunningService(
            pid=int(record["pid"]), auth_url=str(record["auth_url"]), token=str(record["token"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not written yet, being replaced, or damaged: not trustworthy
    return running if running.pid == holder else None


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
