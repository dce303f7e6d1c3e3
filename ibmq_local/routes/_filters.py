"""The ``filter`` query parameter of listings, parsed or refused with a 400.

:func:`ibmq_local._loopback.parse_filter` checks the filter's shape; here also what the
database cannot take (a ``limit`` or ``skip`` past SQLite's integers) and anything a hostile
filter could still make it raise, so that no filter gets a 500.
"""

from __future__ import annotations

from .._loopback import FilterError, LoopbackFilter, parse_filter
from ..errors import ApiError, ApiErrorCode

__all__ = ["MAX_PAGING", "listing_filter"]

MAX_PAGING = 2**53
"""Largest ``limit`` or ``skip`` accepted (SQLite's integers stop at 2**63)."""


def listing_filter(raw: str | None) -> LoopbackFilter:
    """Parse a ``filter`` parameter; raise a 400 ``INVALID_FILTER`` when it is unusable."""
    try:
        flt = parse_filter(raw)
    except FilterError as exc:
        raise ApiError(ApiErrorCode.INVALID_FILTER, str(exc)) from None
    except (ValueError, TypeError, RecursionError):
        # Whatever slipped past parse_filter's own checks (say, a digit int() refuses).
        raise ApiError(ApiErrorCode.INVALID_FILTER, "The filter is malformed.") from None
    for name, value in (("limit", flt.limit), ("skip", flt.skip)):
        if value is not None and value > MAX_PAGING:
            raise ApiError(
                ApiErrorCode.INVALID_FILTER, f"filter.{name} must be at most {MAX_PAGING}."
            )
    return flt
