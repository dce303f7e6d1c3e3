"""Timestamps as the IBM Quantum API writes and reads them: the one datetime module.

The API speaks UTC ISO-8601 (``2023-02-01T10:00:00.000Z``), sometimes without an offset; users
pass naive datetimes that mean local time, as the seed API documents. Client, service and models
all convert through these functions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_ISO_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def format_iso(moment: datetime) -> str:
    """Format ``moment`` as ``2023-02-01T10:00:00.000Z`` (UTC, millisecond precision).

    A naive datetime is taken to be UTC already.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime | None:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    Accepts a ``Z`` suffix or any explicit offset; a value without an offset is taken as
    UTC. Returns ``None`` when ``text`` does not look like a timestamp.
    """
    if not _ISO_PREFIX.match(text):
        return None
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def server_time(value: object) -> object:
    """A server timestamp (string or datetime) as an aware UTC datetime.

    The API sends UTC, sometimes without an offset. Anything that is not a timestamp is
    returned unchanged, for the caller's validation to reject.
    """
    if isinstance(value, str):
        parsed = parse_iso(value)
        return parsed if parsed is not None else value
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive one is taken to be UTC already (a server time)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def user_time_to_utc(moment: datetime) -> datetime:
    """A datetime a user passed, in UTC; a naive one is taken as local time."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC)


def next_after(moment: datetime, previous: datetime | None) -> datetime:
    """Return ``moment`` truncated to milliseconds, bumped past ``previous`` if needed.

    Job creation dates are used as keyset-pagination cursors at millisecond precision,
    so two jobs must never share one.
    """
    truncated = moment.replace(microsecond=(moment.microsecond // 1000) * 1000)
    if previous is not None and truncated <= previous:
        return previous + timedelta(milliseconds=1)
    return truncated
