"""The objects one running service shares between its routes."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from ._calibrations import CalibrationHistory
from ._catalog import BackendCatalog
from ._scheduler import JobScheduler
from ._signing import UrlSigner
from ._store import JobStore
from .config import ProjectMembership, Settings, UserConfig


class AccessTokenCache:
    """Valid access tokens seen lately: hash of the token -> (user id, monotonic deadline).

    An entry is kept at most :attr:`hold` seconds and never past the moment its token
    expires (see :meth:`ServiceState._look_up_access_token`); at most :attr:`size` entries,
    the oldest dropped first. Only SHA-256 hashes of tokens are kept, as in the store.
    """

    def __init__(self, hold: float = 30.0, size: int = 4096) -> None:
        self.hold = hold
        self.size = size
        self._entries: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def hold_for(self, ttl_seconds: int) -> int:
        """Whole seconds an entry may be kept when tokens live ``ttl_seconds``: at most
        :attr:`hold`, and half the lifetime (0: do not cache)."""
        return int(min(self.hold, ttl_seconds // 2))

    def get(self, token: str) -> str | None:
        """The user id of ``token`` if cached and not past its deadline."""
        key = _token_key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if time.monotonic() >= entry[1]:
            del self._entries[key]
            return None
        return entry[0]

    def put(self, token: str, user_id: str, seconds: float) -> None:
        """Cache ``token`` for ``seconds``: it must stay valid at least that long."""
        key = _token_key(token)
        self._entries.pop(key, None)
        self._entries[key] = (user_id, time.monotonic() + seconds)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def forget(self, token: str) -> None:
        """Drop ``token`` (revoked)."""
        self._entries.pop(_token_key(token), None)

    def clear(self) -> None:
        """Drop every entry."""
        self._entries.clear()


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    access_tokens: AccessTokenCache = field(default_factory=lambda: AccessTokenCache(), repr=False)
    """Recently seen valid access tokens, so that most requests skip the SQLite lookup."""

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
        """The configured user an unexpired access token was issued to.

        Answered from :attr:`access_tokens` while it holds the token, else from the store.
        """
        user_id = self.access_tokens.get(token)
        if user_id is None:
            user_id = await self._look_up_access_token(token)
        return self.settings.user_by_id(user_id) if user_id else None

    async def _look_up_access_token(self, token: str) -> str | None:
        """Ask the store; remember the token for as long as it is sure to stay valid.

        The store only says whether a token is valid now. Asking again with the lifetime
        shortened by the cache's hold tells whether it stays valid for that hold too: only
        then is it cached (so a token in its last seconds is looked up every time, and no
        token is ever accepted after it expired). Unknown tokens are never cached.
        """
        ttl = self.settings.access_token_ttl_seconds
        hold = self.access_tokens.hold_for(ttl)
        if hold > 0:
            user_id = await self.store.user_for_access_token(token, ttl_seconds=ttl - hold)
            if user_id is not None:
                self.access_tokens.put(token, user_id, hold)
                return user_id
        return await self.store.user_for_access_token(token, ttl_seconds=ttl)

    def forget_access_token(self, token: str) -> None:
        """Drop ``token`` from the cache (call it when the token is revoked, e.g. logout,
        together with deleting it from the store)."""
        self.access_tokens.forget(token)

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
