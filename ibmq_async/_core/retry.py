"""Retry policy as data: which failures are retried, and how long to wait in between.

Pure decisions, no I/O: the session feeds in what happened and sleeps for what this returns.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .exceptions import IBMQAccountValueError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 522, 524})
"""Statuses after which an idempotent request is sent again."""

NOT_SENT_ERRORS: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout)
"""Transport failures that prove the request never reached the server."""


@dataclass(frozen=True)
class RetryPolicy:
    """How a request is retried.

    Attributes:
        attempts: total tries, the first included.
        backoff: the first wait, in seconds; each later wait doubles, up to ``max_backoff``.
        max_backoff: the cap of one computed wait.
        jitter: a random fraction of the wait added to it, so clients do not retry in step.
        max_retry_after: the longest ``Retry-After`` honoured; longer values are cut to this.
        statuses: HTTP statuses that are retried.
        idempotent: whether a failure after the request may have been sent is retried too.
    """

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 30.0
    statuses: frozenset[int] = field(default=RETRY_STATUSES)
    idempotent: bool = True

    def retries_exception(self, error: BaseException) -> bool:
        """Whether a transport failure is worth another try."""
        if isinstance(error, NOT_SENT_ERRORS):
            return True
        return self.idempotent and isinstance(error, httpx.TransportError)

    def retries_status(self, status_code: int) -> bool:
        """Whether an error status is worth another try.

        A non-idempotent request is retried only on 429, which the server sends before doing
        anything.
        """
        if not self.idempotent:
            return status_code == 429
        return status_code in self.statuses

    def wait(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        base = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return base + random.uniform(0, base * self.jitter)


_OVERRIDE: ContextVar[RetryPolicy | None] = ContextVar("ibmq_retry_policy", default=None)


@contextmanager
def retry_policy(policy: RetryPolicy) -> Iterator[RetryPolicy]:
    """Send every request made inside the block with ``policy``, whatever the account's.

    A per-call override: ``with retry_policy(RetryPolicy(attempts=1)): await job.status()``
    fails fast, while the account keeps its own policy for everything else. It follows the
    context: in ``ibmq_async``, tasks started inside the block (a job manager's submissions)
    use it too; other tasks do not see it. Blocks nest; the innermost wins. Job creation
    stays exactly-once whatever the policy (its retries never resend a creation blindly).

    Raises:
        IBMQAccountValueError: ``policy`` is not a :class:`RetryPolicy` (as for an account's
            ``retry``).
    """
    if not isinstance(policy, RetryPolicy):
        raise IBMQAccountValueError(f"retry_policy() takes a RetryPolicy, not {policy!r}.")
    token = _OVERRIDE.set(policy)
    try:
        yield policy
    finally:
        _OVERRIDE.reset(token)


def effective_policy(default: RetryPolicy) -> RetryPolicy:
    """The policy of the innermost :func:`retry_policy` block around the caller, else
    ``default`` (the account's)."""
    return _OVERRIDE.get() or default


NON_IDEMPOTENT = RetryPolicy(idempotent=False)
"""For requests that must not run twice, such as creating a job."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), or ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)
