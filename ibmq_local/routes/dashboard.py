"""The dashboard at the service's root URL: a static page over the REST API.

``GET /`` serves the page and ``GET /dashboard/{name}`` its script, style sheet and icon (see
:mod:`ibmq_local.dashboard`). These routes need no access token: they hold no data. The page
signs in through ``/api/users/loginWithToken`` and reads everything else through the API with
the caller's ``X-Access-Token``, so each user sees only what the API shows them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from ..dashboard import CONTENT_SECURITY_POLICY, INDEX, Asset, DashboardAssetError, load
from ..errors import ApiError, ApiErrorCode

__all__ = ["SECURITY_HEADERS", "router"]

router = APIRouter(tags=["dashboard"], include_in_schema=False)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
"""Headers of every dashboard response."""

AssetName = Annotated[str, Path(pattern=r"^[a-z]+\.[a-z]+$", max_length=32)]


def _serve(asset: Asset) -> Response:
    return Response(asset.body, media_type=asset.media_type, headers=SECURITY_HEADERS)


@router.get("/")
async def dashboard() -> Response:
    """The dashboard page."""
    return _serve(load(INDEX))


@router.get("/dashboard/{name}")
async def dashboard_asset(name: AssetName) -> Response:
    """A file the dashboard page loads; 404 for any other name."""
    try:
        asset = load(name)
    except DashboardAssetError:
        raise ApiError(ApiErrorCode.NOT_FOUND, f"The dashboard has no file {name}.") from None
    return _serve(asset)
