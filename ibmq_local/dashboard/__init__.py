"""The dashboard's static page: one HTML document, its script, style sheet and icon.

The files sit next to this module as package data and are served as they are, with no build
step and nothing fetched from elsewhere (:mod:`ibmq_local.routes.dashboard`). The page speaks
only the service's own REST API, with an access token the user gets by pasting an API token
into its sign-in form; the token is kept in the tab's ``sessionStorage``, never in a URL.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

__all__ = ["ASSETS", "CONTENT_SECURITY_POLICY", "INDEX", "Asset", "DashboardAssetError", "load"]

INDEX = "index.html"
"""The page served at the service's root URL."""

ASSETS: dict[str, str] = {
    INDEX: "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
"""Every file of the dashboard, by name, with its media type."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'none'",  # the sign-in form is handled by the script, never submitted
    )
)
"""The ``Content-Security-Policy`` of every dashboard response: same-origin everything, no
inline script or style, no framing."""


class DashboardAssetError(LookupError):
    """A name that is not one of the dashboard's files."""


@dataclass(frozen=True)
class Asset:
    """One file of the dashboard, ready to serve."""

    name: str
    body: bytes
    media_type: str


@functools.cache
def load(name: str) -> Asset:
    """The dashboard file ``name`` (read once, then cached).

    Raises:
        DashboardAssetError: when ``name`` is not in :data:`ASSETS`.
    """
    media_type = ASSETS.get(name)
    if media_type is None:
        raise DashboardAssetError(f"the dashboard has no file named {name!r}")
    body = resources.files(__name__).joinpath(name).read_bytes()
    return Asset(name, body, media_type)
