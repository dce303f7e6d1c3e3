"""Every default of the SDK in one place: URLs, headers, timeouts, poll schedule, shots."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import httpx

QX_AUTH_URL = "https://auth.quantum-computing.ibm.com/api"
"""The authentication URL of IBM Quantum, the default of ``enable_account``."""


def _client_application() -> str:
    try:
        ours = version("ibmq-async")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        ours = "0"
    return f"ibmq-async/{ours}"


CLIENT_APPLICATION = _client_application()
"""The ``X-Qx-Client-Application`` header value."""

DEFAULT_SHOTS = 4000
"""``IBMQBackend``'s default ``shots`` run option (capped at the backend's ``max_shots``)."""

QOBJ_DEFAULT_SHOTS = 1024
"""The shots a device assumes for a Qobj whose config names none (the Qobj schema default)."""

FIRST_POLL = 0.1
"""Seconds before the second status poll of a job; later polls back off towards ``wait``."""

POLL_GROWTH = 1.5
"""Factor by which the interval between two status polls grows."""

POLL_WAIT = 5.0
"""The default longest interval between two status polls, in seconds."""


@dataclass(frozen=True)
class Timeouts:
    """Per request-kind timeouts, in seconds."""

    connect: float = 5.0
    api: float = 60.0
    """Read timeout of an ordinary API call."""
    storage: float = 600.0
    """Read/write timeout of an object-storage upload or download."""

    def for_api(self) -> httpx.Timeout:
        """Timeout of an API call."""
        return httpx.Timeout(self.api, connect=self.connect)

    def for_storage(self) -> httpx.Timeout:
        """Timeout of an object-storage transfer."""
        return httpx.Timeout(self.storage, connect=self.connect)


CONNECTION_POOL = httpx.Limits(
    max_connections=20, max_keepalive_connections=20, keepalive_expiry=5.0
)
"""The account's connection pool: at most 20 connections, every one kept while idle.

httpx's default opens up to 100 connections but keeps only 20 idle: a batch whose jobs finish
together sends their downloads at once, and each such burst opened a new connection for every
request beyond 20 (236 connects for 240 result requests of 60 jobs). Keeping 100 instead cost
more than it saved: httpcore scans every pooled connection (and asks each idle socket whether
it is readable) for each request, so a batch's profile filled with the pool's bookkeeping.
With as many kept as opened, a burst queues for the pool's connections and never reconnects
(``tests/test_connection_pool.py``).
"""

MIB = 1024 * 1024


@dataclass(frozen=True)
class ReplyLimits:
    """How much of a reply the client reads before it gives up, and how deeply nested a JSON
    reply may be. A reply over a limit is a protocol error of its endpoint's family."""

    api: int = 64 * MIB
    """Bytes of an API reply (after content decoding, so a compressed bomb is caught too)."""
    storage: int = 1024 * MIB
    """Bytes of an object-storage download (results and Qobjs can be large)."""
    error_body: int = 64 * 1024
    """Bytes of an error reply kept for its message; the rest is not read."""
    depth: int = 100
    """Nesting depth of a JSON reply (the protocol's documents nest fewer than 10 levels)."""


def local_extra_command(package_dir: Path) -> str:
    """The command that installs the ``local`` extra where ``package_dir`` was installed
    from: the checkout itself for an editable install, the package index otherwise."""
    checkout = package_dir.resolve().parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "ibmq_local").is_dir():
        return f'pip install -e "{checkout}[local]"'
    return "pip install 'ibmq-async[local]'"
