"""The hub tree (protocol 1.4) and reservations (protocol 2.6; always empty here)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ._deps import UserDep

router = APIRouter(prefix="/api/Network", tags=["network"])


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


@router.get("/devices/{backend_name}/bookings/v2")
async def backend_reservations(backend_name: str, user: UserDep) -> list[dict[str, Any]]:
    """Reservations of a backend: the local service has none."""
    return []


@router.get("/bookings/v2")
async def my_reservations(user: UserDep) -> list[dict[str, Any]]:
    """The caller's reservations: the local service has none."""
    return []
