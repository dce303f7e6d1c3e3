"""The objects one running service shares between its routes."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from ._calibrations import CalibrationHistory
from ._catalog import BackendCatalog
from ._scheduler import JobScheduler
from ._signing import UrlSigner
from ._store import JobStore
from .config import ProjectMembership, Settings, UserConfig


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
    _listings: dict[tuple[str, ...], bytes] = field(default_factory=dict, repr=False)

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

    async def user_for_access_token(self, token: str) -> UserConfig | None:
        """The configured user an unexpired access token was issued to."""
        user_id = await self.store.user_for_access_token(
            token, ttl_seconds=self.settings.access_token_ttl_seconds
        )
        return self.settings.user_by_id(user_id) if user_id else None

    async def device_listing(self, membership: ProjectMembership) -> bytes:
        """The ``devices/v/1`` body of a project: the backends it may use, serialised once."""
        catalog = await self.loaded_catalog()
        if membership.backends is None:
            return catalog.listing_json()
        key = tuple(sorted(set(membership.backends)))
        body = self._listings.get(key)
        if body is None:
            configurations = [
                catalog.configuration(name) for name in catalog.names() if name in key
            ]
            body = json.dumps(configurations).encode()
            self._listings[key] = body
        return body


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
