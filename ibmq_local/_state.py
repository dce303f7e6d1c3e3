"""The objects one running service shares between its routes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from ._calibrations import CalibrationHistory
from ._catalog import BackendCatalog
from ._scheduler import JobScheduler
from ._signing import UrlSigner
from ._store import JobStore
from .config import Settings


@dataclass
class ServiceState:
    """Settings, backend catalog, job store, scheduler and URL signer of one app."""

    settings: Settings
    catalog: BackendCatalog
    store: JobStore
    scheduler: JobScheduler
    signer: UrlSigner
    calibrations: CalibrationHistory
    _catalog_loading: asyncio.Future[None] | None = field(default=None, repr=False)

    def start_loading_catalog(self) -> None:
        """Scan the backend snapshots in a thread, so startup does not wait for it."""
        if self._catalog_loading is None:
            self._catalog_loading = asyncio.ensure_future(asyncio.to_thread(self.catalog.load))

    async def loaded_catalog(self) -> BackendCatalog:
        """The catalog, once loaded (without blocking the event loop)."""
        self.start_loading_catalog()
        assert self._catalog_loading is not None
        await asyncio.shield(self._catalog_loading)
        return self.catalog


def get_state(request: HTTPConnection) -> ServiceState:
    """FastAPI dependency: the :class:`ServiceState` of the app serving ``request``.

    ``request`` may be a websocket connection too.
    """
    state = getattr(request.app.state, "service", None)
    if not isinstance(state, ServiceState):
        raise RuntimeError("the local service is not started")
    return state


def api_base_url(request: HTTPConnection) -> str:
    """``http://host:port/api`` as the client addressed this server."""
    return str(request.base_url).rstrip("/") + "/api"


def server_base_url(request: HTTPConnection) -> str:
    """``http://host:port`` as the client addressed this server."""
    return str(request.base_url).rstrip("/")
