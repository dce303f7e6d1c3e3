"""Account helpers without I/O: checking credentials, proxies, ordering projects."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from .endpoints import HubGroupProject
from .exceptions import IBMQAccountCredentialsInvalidToken, IBMQAccountCredentialsInvalidUrl
from .models.account import HubInfo


def check_credentials(token: Any, url: Any) -> None:
    """Reject a token or URL that cannot be right before anything is sent.

    Raises:
        IBMQAccountCredentialsInvalidToken: the token is not a non-empty string.
        IBMQAccountCredentialsInvalidUrl: the URL is not an absolute http(s) URL.
    """
    if not isinstance(token, str) or not token.strip():
        raise IBMQAccountCredentialsInvalidToken("The API token must be a non-empty string.")
    parsed = urlparse(url) if isinstance(url, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise IBMQAccountCredentialsInvalidUrl(f"Not an http(s) URL: {url!r}")


def proxy_url(proxies: dict[str, Any] | None) -> str | None:
    """The proxy of ``{"urls": {"https": "http://proxy:port"}}``, preferring https."""
    if not proxies or not isinstance(proxies.get("urls"), dict):
        return None
    urls = proxies["urls"]
    found = urls.get("https") or urls.get("http") or next(iter(urls.values()), None)
    return found if isinstance(found, str) else None


def ordered_projects(hubs: list[HubInfo]) -> list[HubGroupProject]:
    """Every hub/group/project in discovery order, the default project first."""
    found: list[HubGroupProject] = []
    for hub in hubs:
        for group_name, group in hub.groups.items():
            for project_name, project in group.projects.items():
                hgp = HubGroupProject(hub.name, group_name, project_name)
                if project.is_default:
                    found.insert(0, hgp)
                else:
                    found.append(hgp)
    return found
