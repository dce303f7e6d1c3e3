"""Endpoint paths of the IBM Quantum API (protocol.md sections 1-6), built without I/O."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

QX_AUTH_URL = "https://auth.quantum-computing.ibm.com/api"
"""The authentication URL of IBM Quantum, the default of ``enable_account``."""


def _seg(value: str) -> str:
    return quote(value, safe="")


@dataclass(frozen=True)
class HubGroupProject:
    """The hub/group/project triple that scopes a provider."""

    hub: str
    group: str
    project: str

    def __str__(self) -> str:
        return f"{self.hub}/{self.group}/{self.project}"


@dataclass(frozen=True)
class AuthPaths:
    """Paths on the authentication server."""

    auth_url: str

    @property
    def version(self) -> str:
        """``GET``: must return JSON with an ``api-auth`` key."""
        return f"{self.auth_url.rstrip('/')}/version"

    @property
    def login(self) -> str:
        """``POST {"apiToken"}``: returns the access token as ``id``."""
        return f"{self.auth_url.rstrip('/')}/users/loginWithToken"

    @property
    def me(self) -> str:
        """``GET``: returns the account's ``urls``."""
        return f"{self.auth_url.rstrip('/')}/users/me"


@dataclass(frozen=True)
class ProjectPaths:
    """Paths under one hub/group/project of the API server."""

    http_url: str
    hgp: HubGroupProject

    @property
    def base(self) -> str:
        """``{http}/Network/{hub}/Groups/{group}/Projects/{project}``."""
        return (
            f"{self.http_url.rstrip('/')}/Network/{_seg(self.hgp.hub)}"
            f"/Groups/{_seg(self.hgp.group)}/Projects/{_seg(self.hgp.project)}"
        )

    @property
    def devices(self) -> str:
        """``GET``: the configurations of every backend of the project."""
        return f"{self.base}/devices/v/1"

    def backend(self, name: str, suffix: str) -> str:
        """``{hgp}/devices/{name}/{suffix}`` (``queue/status``, ``properties``, ...)."""
        return f"{self.base}/devices/{_seg(name)}/{suffix}"

    @property
    def jobs(self) -> str:
        """``POST``: create a job."""
        return f"{self.base}/Jobs"

    @property
    def jobs_status_list(self) -> str:
        """``GET ?filter=``: list jobs."""
        return f"{self.base}/Jobs/status/v/1"

    def job(self, job_id: str, suffix: str = "") -> str:
        """``{hgp}/Jobs/{id}[/{suffix}]``."""
        url = f"{self.base}/Jobs/{_seg(job_id)}"
        return f"{url}/{suffix}" if suffix else url


def network_url(http_url: str) -> str:
    """``GET``: the hub/group/project tree of the account."""
    return f"{http_url.rstrip('/')}/Network"
