"""Backend reservations (``GET {http}/Network/devices/{name}/bookings/v2`` and
``GET {http}/Network/bookings/v2``, protocol 2.6)."""

from __future__ import annotations

from ._base import UtcDatetime, WireModel
from .job import JobHubInfo

__all__ = ["BackendReservation"]


class BackendReservation(WireModel):
    """One booked slot of a backend.

    Only ``initial_date`` and ``end_date`` are always sent; the rest is shown to the
    reservation's owner only. ``backend_name`` comes with the "my reservations" listing.
    """

    initial_date: UtcDatetime
    end_date: UtcDatetime
    mode: str | None = None
    id: str | None = None
    creation_date: UtcDatetime | None = None
    hub_info: JobHubInfo | None = None
    backend_name: str | None = None

    @property
    def duration_minutes(self) -> int:
        """Length of the slot in minutes, whole days included (the legacy client drops them)."""
        return int((self.end_date - self.initial_date).total_seconds() // 60)
