"""The hub tree (protocol 1.4) and reservations (protocol 2.6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from ibmq_async._core.dates import parse_iso, utc_now

from .._reservations import backend_reservations, dump, user_reservations
from ..errors import ApiError, ApiErrorCode, invalid_request
from ._deps import BackendParam, StateDep, UserDep
from ._responses import AUTHENTICATED, errors

router = APIRouter(prefix="/api/Network", tags=["network"], responses=AUTHENTICATED)


@router.get("")
async def network(user: UserDep) -> list[dict[str, Any]]:
    """The caller's hubs; groups and projects are objects keyed by name."""
    hubs: dict[str, dict[str, Any]] = {}
    for membership in user.projects:
        hub = hubs.setdefault(membership.hub, {"name": membership.hub, "groups": {}})
        group = hub["groups"].setdefault(
            membership.group, {"name": membership.group, "projects": {}}
        )
        group["projects"][membership.project] = {
            "name": membership.project,
            "isDefault": membership.is_default,
        }
    return list(hubs.values())


def _instant(name: str, text: str | None) -> datetime | None:
    """A query-string timestamp; a ``+`` left unescaped arrives as a space."""
    if text is None or not text.strip():
        return None
    moment = parse_iso(text.strip().replace(" ", "+"))
    if moment is None:
        raise invalid_request(f"{name} must be an ISO-8601 date and time, not {text!r}.")
    return moment


@router.get("/devices/{backend_name}/bookings/v2", responses=errors(404))
async def backend_bookings(
    backend_name: BackendParam,
    user: UserDep,
    state: StateDep,
    initial_date: Annotated[str | None, Query(alias="initialDate")] = None,
    end_date: Annotated[str | None, Query(alias="endDate")] = None,
) -> list[dict[str, Any]]:
    """Reservations of a backend whose slot overlaps ``[initialDate, endDate)`` (either may
    be left out). Mode, id, creation date and owner are shown to the owner's members only.
    A backend none of the caller's projects may use is not found."""
    catalog = await state.loaded_catalog()
    usable = any(membership.may_use(backend_name) for membership in user.projects)
    if catalog.configuration(backend_name) is None or not usable:
        raise ApiError(ApiErrorCode.DEVICE_NOT_FOUND, f"Device {backend_name} not found.")
    start = _instant("initialDate", initial_date)
    end = _instant("endDate", end_date)
    return dump(backend_reservations(state.settings, backend_name, user, start, end))


@router.get("/bookings/v2")
async def my_bookings(user: UserDep, state: StateDep) -> list[dict[str, Any]]:
    """The caller's projects' reservations on any backend that have not ended yet."""
    return dump(user_reservations(state.settings, user, utc_now()))
