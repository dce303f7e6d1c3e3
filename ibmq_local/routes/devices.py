"""Backend endpoints under ``{hgp}/devices`` (protocol 2.1-2.5)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from ._deps import HGP_PREFIX, BackendParam, ScopeDep, StateDep
from ._filters import listing_filter
from ._responses import IN_PROJECT

router = APIRouter(prefix=HGP_PREFIX + "/devices", tags=["devices"], responses=IN_PROJECT)


def _json(body: bytes) -> Response:
    return Response(content=body, media_type="application/json")


@router.get("/v/1")
async def list_devices(scope: ScopeDep, state: StateDep) -> Response:
    """Configurations of every backend the project may use."""
    return _json(await state.device_listing(scope.membership))


@router.get("/{backend_name}/queue/status")
async def queue_status(
    backend_name: BackendParam, scope: ScopeDep, state: StateDep
) -> dict[str, Any]:
    """Operational state and queue length of a backend."""
    configuration = scope.require_backend(await state.loaded_catalog(), backend_name)
    overrides = state.settings.backend_settings(backend_name)
    return {
        "backend_name": backend_name,
        "backend_version": configuration.get("backend_version", "0.0.0"),
        "state": overrides.operational,
        "status": overrides.status,
        "lengthQueue": state.scheduler.queue_length(backend_name),
    }


@router.get("/{backend_name}/properties")
async def properties(
    backend_name: BackendParam,
    scope: ScopeDep,
    state: StateDep,
    version: int | None = None,
    filter_: Annotated[str | None, Query(alias="filter")] = None,
) -> Response:
    """The newest calibration made so far; with a filter (``properties(datetime=...)``
    sends ``{"where": {"last_update_date": {"lt": T}}}``), the newest one matching it.
    ``{}`` when there is none (the simulator has none)."""
    scope.require_backend(await state.loaded_catalog(), backend_name)
    where = listing_filter(filter_).where
    calibration = state.calibrations.newest(backend_name, where=where)
    return _json(calibration.body if calibration is not None else b"{}")


@router.get("/{backend_name}/defaults")
async def defaults(backend_name: BackendParam, scope: ScopeDep, state: StateDep) -> Response:
    """Pulse defaults of a device that advertises ``open_pulse``; ``{}`` otherwise."""
    catalog = await state.loaded_catalog()
    scope.require_backend(catalog, backend_name)
    return _json(await asyncio.to_thread(catalog.defaults_json, backend_name))


@router.get("/{backend_name}/jobsLimit")
async def jobs_limit(
    backend_name: BackendParam, scope: ScopeDep, state: StateDep
) -> dict[str, Any]:
    """The caller's job limit on this backend in this project (``-1``: none) and how many
    of the caller's jobs there count against it (those not final)."""
    scope.require_backend(await state.loaded_catalog(), backend_name)
    await state.scheduler.expire_stale_uploads()
    running = await state.store.count_unfinished(*scope.key, backend_name)
    return {"maximumJobs": scope.membership.job_limit(backend_name), "runningJobs": running}
