"""Account helpers without I/O: checking credentials and connection options, choosing the
proxy, keeping secrets of URLs out of messages, ordering projects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .endpoints import HubGroupProject
from .exceptions import (
    IBMQAccountCredentialsInvalidToken,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountValueError,
)
from .models.account import HubInfo

PROXY_SCHEMES = frozenset({"http", "https", "socks5", "socks5h"})
"""Proxy URL schemes httpx understands (the ``socks`` ones need the ``socksio`` package)."""

_SECRET_QUERY_KEY = re.compile(r"token|key|secret|pass|auth|sig|session", re.IGNORECASE)
_MIN_SECRET = 4
"""Shorter strings are not worth redacting: replacing them would garble every message."""


def check_credentials(token: Any, url: Any) -> None:
    """Reject a token or URL that cannot be right before anything is sent.

    Raises:
        IBMQAccountCredentialsInvalidToken: the token is not a non-empty string.
        IBMQAccountCredentialsInvalidUrl: the URL is not an absolute http(s) URL, or has a
            query or fragment.
    """
    if not isinstance(token, str) or not token.strip():
        raise IBMQAccountCredentialsInvalidToken("The API token must be a non-empty string.")
    parsed = urlsplit(url) if isinstance(url, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
        shown = redact_url(url) if isinstance(url, str) else repr(url)
        raise IBMQAccountCredentialsInvalidUrl(f"Not an http(s) URL: {shown}")
    if parsed.query or parsed.fragment:
        raise IBMQAccountCredentialsInvalidUrl(
            f"The authentication URL {redact_url(url)} must not have a query or a fragment: "
            "the API paths are appended to it."
        )


def check_provider_fields(hub: Any, group: Any, project: Any, *, all_or_none: bool) -> None:
    """Reject a hub, group or project that is not a string (or ``None``).

    ``all_or_none`` requires the three together, as a default provider stored on disk does.

    Raises:
        IBMQAccountValueError: a field is not a non-empty string, or only some are given.
    """
    fields = {"hub": hub, "group": group, "project": project}
    for name, value in fields.items():
        if value is not None and (not isinstance(value, str) or not value or "/" in value):
            raise IBMQAccountValueError(
                f"The {name} must be a non-empty string without '/', not {value!r}."
            )
    given = [value is not None for value in fields.values()]
    if all_or_none and any(given) and not all(given):
        raise IBMQAccountValueError(
            "The hub, group, and project parameters must all be specified when storing a "
            f"default provider to disk: hub={hub!r}, group={group!r}, project={project!r}."
        )


def check_verify(verify: Any) -> bool:
    """``verify`` as a bool.

    Raises:
        IBMQAccountValueError: it is not a bool.
    """
    if not isinstance(verify, bool):
        raise IBMQAccountValueError(f"verify must be True or False, not {type(verify).__name__}.")
    return verify


def check_proxies(proxies: Any) -> dict[str, Any] | None:
    """The ``proxies`` option, checked: ``{"urls": {"https": "http://host:port", ...}}``.

    The keys of ``urls`` are those of ``requests``: a scheme (``http``, ``https``), ``all``,
    or ``scheme://host`` and ``all://host`` for one host. Other keys of ``proxies`` are kept
    and ignored.

    Raises:
        IBMQAccountValueError: the shape is wrong, a proxy URL is invalid, or NTLM
            credentials are given (httpx has no NTLM authentication).
    """
    if proxies is None:
        return None
    if not isinstance(proxies, Mapping):
        raise IBMQAccountValueError(
            f"proxies must be a dict such as {{'urls': {{'https': 'http://host:port'}}}}, "
            f"not {type(proxies).__name__}."
        )
    if "username_ntlm" in proxies or "password_ntlm" in proxies:
        raise IBMQAccountValueError(
            "NTLM proxy authentication (username_ntlm, password_ntlm) is not supported: put "
            "the proxy credentials in its URL instead, as in 'http://user:password@host:port'."
        )
    urls = proxies.get("urls")
    if urls is None:
        return dict(proxies)
    if not isinstance(urls, Mapping):
        raise IBMQAccountValueError("proxies['urls'] must be a dict of scheme to proxy URL.")
    for key, value in urls.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise IBMQAccountValueError("proxies['urls'] must map strings to proxy URLs.")
        check_proxy_url(value)
    return {**proxies, "urls": dict(urls)}


def check_proxy_url(proxy: str) -> None:
    """Reject a proxy URL httpx cannot use.

    Raises:
        IBMQAccountValueError: it has no host, or a scheme other than http, https, socks5(h).
    """
    try:
        parsed = urlsplit(proxy)
        scheme, host = parsed.scheme.lower(), parsed.hostname
        parsed.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        scheme, host = "", None
    if scheme not in PROXY_SCHEMES or not host:
        raise IBMQAccountValueError(
            f"Invalid proxy URL {redact_url(proxy)}: it must look like 'http://host:port' "
            f"(schemes: {', '.join(sorted(PROXY_SCHEMES))})."
        )


def proxy_for(url: str, proxies: Mapping[str, Any] | None) -> str | None:
    """The proxy ``requests`` would use for ``url`` with ``proxies`` (``None``: none).

    The keys are looked up in the order of ``requests``: ``scheme://host``, ``scheme``,
    ``all://host``, ``all``. The account's one connection pool then sends every request
    through that proxy.
    """
    if not proxies or not isinstance(proxies.get("urls"), Mapping):
        return None
    urls: Mapping[str, Any] = proxies["urls"]
    parsed = urlsplit(url)
    scheme, host = parsed.scheme.lower(), parsed.hostname
    keys = [f"{scheme}://{host}", scheme, f"all://{host}", "all"] if host else [scheme, "all"]
    for key in keys:
        found = urls.get(key)
        if isinstance(found, str) and found:
            return found
    return None


def url_secrets(url: str | None) -> tuple[str, ...]:
    """The parts of a URL that may be secret: its user info, and query values that look like
    a token. They are kept out of every error."""
    if not url:
        return ()
    try:
        parsed = urlsplit(url)
        found = [parsed.username or "", parsed.password or ""]
    except ValueError:
        return ()
    for key, value in parse_qsl(parsed.query, keep_blank_values=False):
        if _SECRET_QUERY_KEY.search(key) or len(value) >= 16:
            found.append(value)
    return tuple(dict.fromkeys(s for s in found if len(s) >= _MIN_SECRET))


def redact_url(url: str) -> str:
    """``url`` with its user info and query values replaced by ``...``, for messages."""
    try:
        parsed = urlsplit(url)
        host = parsed.hostname or ""
        port = f":{parsed.port}" if parsed.port is not None else ""
    except ValueError:
        return "<an invalid URL>"
    netloc = parsed.netloc
    if "@" in netloc:
        netloc = f"...@{host}{port}"
    return urlunsplit((parsed.scheme, netloc, parsed.path, "..." if parsed.query else "", ""))


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
