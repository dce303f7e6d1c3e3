"""Exactly-once job creation: a token per ``run()``, and which failures leave it unknown.

The protocol has no idempotency header. Each logical ``run()`` mints a token and sends it as a
job tag. A creation that failed before the request left is retried as it is (the session's
retry policy does that). After a failure that may have happened after the server committed
the job (no reply, or a gateway status), the client looks the token up before it creates again:
a job found there was created but never got its Qobj, so it is cancelled, and a new one is
created under a new token. No job is ever left half-created, and none is created twice.

The token also goes out as an ``Idempotency-Key`` header, which a real server ignores. A server
whose ``GET {auth}/version`` lists the ``"idempotency-keys"`` capability (the local service)
answers a repeat of a creation under the same key with the job the first one made: against
it, an ambiguous creation is simply sent again, and no job is made twice or cancelled.
"""

from __future__ import annotations

import uuid
from typing import Any

from .exceptions import IBMQApiError
from .retry import RETRY_STATUSES
from .statuses import ApiJobStatus

RUN_TOKEN_PREFIX = "ibmq_async_run_"
"""Tags that start with this are run tokens: internal, hidden from ``job.tags()``."""

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
"""The header that carries the run token on ``POST {hgp}/Jobs``."""

CAPABILITIES = "capabilities"
"""The key of the ``GET {auth}/version`` reply listing a server's extensions (a list of
names); absent from IBM Quantum's reply."""

IDEMPOTENCY_KEYS = "idempotency-keys"
"""The capability of a server that honours :data:`IDEMPOTENCY_KEY_HEADER` on job creation."""

AMBIGUOUS_STATUSES = RETRY_STATUSES | {-1}
"""Failures after which the server may have created the job: no reply (``-1``), a gateway that
may have passed the request on, or a server error that may have come after the commit. The
token lookup settles each of them, so treating a clean failure as ambiguous costs one listing."""


def new_run_token() -> str:
    """A fresh token for one logical ``run()``."""
    return f"{RUN_TOKEN_PREFIX}{uuid.uuid4().hex}"


def honours_idempotency_keys(version: dict[str, Any]) -> bool:
    """Whether a server's ``GET {auth}/version`` reply advertises :data:`IDEMPOTENCY_KEYS`."""
    capabilities = version.get(CAPABILITIES)
    return isinstance(capabilities, list) and IDEMPOTENCY_KEYS in capabilities


def run_token(tags: list[str] | None) -> str | None:
    """The run token among a create request's ``tags`` (``None`` if it has none)."""
    return next(iter(internal_tags(tags or [])), None)


def is_internal_tag(tag: str) -> bool:
    """Whether ``tag`` was added by the SDK rather than the user."""
    return tag.startswith(RUN_TOKEN_PREFIX)


def user_tags(tags: list[str]) -> list[str]:
    """``tags`` without the SDK's internal ones."""
    return [tag for tag in tags if not is_internal_tag(tag)]


def internal_tags(tags: list[str]) -> list[str]:
    """Only the SDK's internal tags of ``tags``."""
    return [tag for tag in tags if is_internal_tag(tag)]


def is_ambiguous(error: IBMQApiError) -> bool:
    """Whether the request behind ``error`` may have taken effect on the server."""
    return error.status_code in AMBIGUOUS_STATUSES


def token_filter(token: str) -> dict[str, Any]:
    """The ``where`` clause of a job listing that finds the job carrying ``token``."""
    return {"tags": {"inq": [token]}}


def is_half_created(status: ApiJobStatus) -> bool:
    """Whether a job found by its token never got its Qobj (and so never ran)."""
    return status is ApiJobStatus.CREATING


def never_got_its_qobj(time_per_step: dict[str, Any] | None) -> bool:
    """Whether a job's record of steps shows it was cancelled before its Qobj arrived (a
    half-created job cleaned up, not a job a user cancelled)."""
    if not time_per_step:
        return False
    return set(time_per_step) <= {"CREATING", "CANCELLED"}
