"""Login and account documents (``/version``, ``/users/*``, ``/Network``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import SnakeModel, WireModel


class UserUrls(SnakeModel):
    """Where the API and the websocket server of this account live."""

    http: str
    ws: str
    services: dict[str, Any] = Field(default_factory=dict)


class UserInfo(SnakeModel):
    """The reply of ``GET {auth}/users/me``; only ``urls`` is needed."""

    urls: UserUrls


class LoginResponse(SnakeModel):
    """The reply of ``POST {auth}/users/loginWithToken``; ``id`` is the access token."""

    id: str

    def __repr__(self) -> str:
        return "LoginResponse(id='...')"

    __str__ = __repr__


class ProjectInfo(WireModel):
    """A project under a group in the ``/Network`` tree."""

    is_default: bool = False


class GroupInfo(WireModel):
    """A group in the ``/Network`` tree; projects are keyed by name."""

    projects: dict[str, ProjectInfo] = Field(default_factory=dict)


class HubInfo(WireModel):
    """A hub in the ``/Network`` tree; groups are keyed by name."""

    name: str
    groups: dict[str, GroupInfo] = Field(default_factory=dict)
