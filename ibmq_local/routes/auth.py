"""Login flow: ``/version``, ``/users/loginWithToken``, ``/users/me`` (protocol 1.3)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from ibmq_async._core.dates import format_iso, utc_now
from ibmq_async._core.submission import CAPABILITIES, IDEMPOTENCY_KEYS

from .._state import api_base_url, server_base_url
from ..errors import ApiError, ApiErrorCode
from ._deps import StateDep, UserDep
from ._responses import ANY_REQUEST, AUTHENTICATED, errors

router = APIRouter(prefix="/api", tags=["auth"], responses=ANY_REQUEST)

API_VERSION = "0.1.0"


class LoginRequest(BaseModel):
    """Body of ``POST /users/loginWithToken``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    api_token: str = Field(alias="apiToken", min_length=1)


@router.get("/version")
async def version(state: StateDep) -> dict[str, Any]:
    """Identify this server as a (new) IBM Quantum authentication API.

    ``capabilities`` lists what this service offers beyond the protocol:
    ``"idempotency-keys"`` when job creation honours an ``Idempotency-Key`` header (the
    ``idempotency_keys`` setting). Clients that do not know the key ignore it.
    """
    capabilities = [IDEMPOTENCY_KEYS] if state.settings.idempotency_keys else []
    return {
        "new_api": True,
        "api-auth": API_VERSION,
        "api-local": API_VERSION,
        CAPABILITIES: capabilities,
    }


@router.post("/users/loginWithToken", responses=errors(400, 401))
async def login_with_token(body: LoginRequest, state: StateDep) -> dict[str, Any]:
    """Exchange an API token for an access token (the response ``id``), valid for ``ttl``
    seconds (``access_token_ttl_seconds`` of the configuration)."""
    user = state.settings.user_by_token(body.api_token)
    if user is None:
        raise ApiError(ApiErrorCode.LOGIN_FAILED, "Login failed: invalid API token.")
    access_token = secrets.token_urlsafe(48)
    ttl = state.settings.access_token_ttl_seconds
    await state.store.add_access_token(access_token, user.id, ttl_seconds=ttl)
    return {
        "id": access_token,
        "ttl": ttl,
        "created": format_iso(utc_now()),
        "userId": user.id,
    }


@router.get("/users/me", responses=AUTHENTICATED)
async def users_me(request: Request, user: UserDep) -> dict[str, Any]:
    """The caller's account, with the API and websocket base URLs."""
    ws_base = (
        server_base_url(request).replace("http://", "ws://", 1).replace("https://", "wss://", 1)
    )
    return {
        "id": user.id,
        "username": user.id,
        "email": user.email,
        "urls": {"http": api_base_url(request), "ws": ws_base + "/ws", "services": {}},
    }
