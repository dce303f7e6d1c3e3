"""Reservations (bookings) from the configuration, as the API serves them (protocol 2.6)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from ibmq_async._core.dates import format_iso
from ibmq_async._core.models.job import JobHubInfo, NameRef
from ibmq_async._core.models.reservation import BackendReservation

from .config import ReservationConfig, Settings, UserConfig


def reservation_id(backend: str, booking: ReservationConfig) -> str:
    """The configured id, else one derived from the backend and the slot (stable)."""
    if booking.id:
        return booking.id
    key = f"{backend}|{format_iso(booking.start)}|{format_iso(booking.end)}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def owns(user: UserConfig, booking: ReservationConfig) -> bool:
    """Whether ``user`` belongs to the hub/group/project that made ``booking``."""
    return any(booking.owned_by(m.hub, m.group, m.project) for m in user.projects)


def overlaps(booking: ReservationConfig, start: datetime | None, end: datetime | None) -> bool:
    """Whether the slot overlaps the window ``[start, end)``; an open side is unbounded."""
    return (start is None or booking.end > start) and (end is None or booking.start < end)


def describe(
    backend: str, booking: ReservationConfig, *, owner: bool, with_backend: bool = False
) -> BackendReservation:
    """The wire form of ``booking``: the slot for everyone, the details for its owner."""
    reservation = BackendReservation(initial_date=booking.start, end_date=booking.end)
    if owner:
        reservation.mode = booking.mode
        reservation.id = reservation_id(backend, booking)
        reservation.creation_date = booking.created
        reservation.hub_info = JobHubInfo(
            hub=NameRef(name=booking.hub),
            group=NameRef(name=booking.group),
            project=NameRef(name=booking.project),
        )
    if with_backend:
        reservation.backend_name = backend
    return reservation


def backend_reservations(
    settings: Settings,
    backend: str,
    user: UserConfig,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[BackendReservation]:
    """Reservations of ``backend`` overlapping ``[start, end)``, earliest first."""
    bookings = sorted(settings.backend_settings(backend).reservations, key=lambda b: b.start)
    return [
        describe(backend, booking, owner=owns(user, booking))
        for booking in bookings
        if overlaps(booking, start, end)
    ]


def user_reservations(
    settings: Settings, user: UserConfig, now: datetime
) -> list[BackendReservation]:
    """The reservations made by ``user``'s projects that have not ended, earliest first."""
    found = [
        (booking.start, name, booking)
        for name, backend in settings.backends.items()
        for booking in backend.reservations
        if owns(user, booking) and booking.end > now
    ]
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [describe(name, booking, owner=True, with_backend=True) for _, name, booking in found]


def dump(reservations: list[BackendReservation]) -> list[dict[str, object]]:
    """The reply body: camelCase keys, UTC dates, unknown details left out."""
    return [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in reservations]
