"""LoopBack ``filter`` query parameters the client sends (protocol.md 2.3 and 5.2). No I/O."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .dates import user_time_to_utc
from .exceptions import IBMQBackendValueError


def check_properties_arguments(refresh: Any, before: Any) -> None:
    """Reject ``properties(refresh=, datetime=)`` arguments that cannot be right.

    Raises:
        IBMQBackendValueError: ``refresh`` is not a bool, or ``before`` not a datetime.
    """
    check_refresh(refresh)
    if before is not None and not isinstance(before, datetime):
        raise IBMQBackendValueError(f"datetime must be a datetime, not {before!r}.")


def check_refresh(refresh: Any) -> None:
    """Reject a ``refresh`` argument that is not a bool.

    Raises:
        IBMQBackendValueError: naming the value.
    """
    if not isinstance(refresh, bool):
        raise IBMQBackendValueError(f"refresh must be True or False, not {refresh!r}.")


def properties_params(before: datetime | None) -> dict[str, str]:
    """Query parameters of ``GET {bk}/properties``: the newest snapshot, or the newest one
    taken before ``before`` (a naive datetime is local time)."""
    params = {"version": "1"}
    if before is not None:
        moment = user_time_to_utc(before).isoformat()
        params["filter"] = json.dumps({"where": {"last_update_date": {"lt": moment}}})
    return params


def reservations_params(start: datetime | None, end: datetime | None) -> dict[str, str]:
    """Query parameters of a backend's bookings: the window they must overlap."""
    params = {}
    if start is not None:
        params["initialDate"] = user_time_to_utc(start).isoformat()
    if end is not None:
        params["endDate"] = user_time_to_utc(end).isoformat()
    return params
