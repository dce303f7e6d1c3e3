"""The endpoints of the IBM Quantum API (protocol.md sections 1-6): their paths, and for each
operation its method, error family, and whether it may be sent twice. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from .errors import ACCOUNT, BACKEND, JOB, ErrorFamily


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

    def bookings(self, name: str) -> str:
        """``GET ?initialDate=&endDate=``: a backend's reservations (not under the hgp)."""
        return f"{self.http_url.rstrip('/')}/Network/devices/{_seg(name)}/bookings/v2"

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


@dataclass(frozen=True)
class Endpoint:
    """One operation of the API, as the endpoint layer sends it.

    Attributes:
        method: the HTTP method.
        family: the error classes of its failures.
        context: the start of its error messages; ``{backend}`` and ``{job}`` are filled in.
        idempotent: whether sending it twice is harmless, so that any failure may be retried.
            Only job creation is not: it is retried only when the request provably never
            reached the server.
        authenticated: whether it carries the access token.
        storage: whether it goes to object storage (long timeouts, no token, presigned URL).
    """

    method: str
    family: ErrorFamily
    context: str
    idempotent: bool = True
    authenticated: bool = True
    storage: bool = False


VERSION = Endpoint("GET", ACCOUNT, "Unable to read the API version", authenticated=False)
LOGIN = Endpoint("POST", ACCOUNT, "Unable to log in", authenticated=False)
USER_INFO = Endpoint("GET", ACCOUNT, "Unable to get the account's URLs")
HUBS = Endpoint("GET", ACCOUNT, "Unable to list the account's hubs")
DEVICES = Endpoint("GET", BACKEND, "Unable to list the backends")
BACKEND_STATUS = Endpoint("GET", BACKEND, "Unable to get the status of {backend}")
BACKEND_PROPERTIES = Endpoint("GET", BACKEND, "Unable to get the properties of {backend}")
BACKEND_DEFAULTS = Endpoint("GET", BACKEND, "Unable to get the defaults of {backend}")
BACKEND_JOB_LIMIT = Endpoint("GET", BACKEND, "Unable to get the job limit of {backend}")
JOB_CREATE = Endpoint("POST", BACKEND, "Error submitting job", idempotent=False)
JOB_UPLOAD = Endpoint("PUT", BACKEND, "Error submitting job", authenticated=False, storage=True)
JOB_DATA_UPLOADED = Endpoint("POST", BACKEND, "Error submitting job")
BACKEND_RESERVATIONS = Endpoint("GET", BACKEND, "Unable to get the reservations of {backend}")
JOBS = Endpoint("GET", BACKEND, "Unable to list jobs")
JOB_RETRIEVE = Endpoint("GET", BACKEND, "Failed to get job {job}")
JOB_GET = Endpoint("GET", JOB, "Unable to refresh job {job}")
JOB_STATUS = Endpoint("GET", JOB, "Error checking the status of job {job}")
JOB_RESULT_URL = Endpoint("GET", JOB, "Unable to download the result of job {job}")
JOB_RESULT = Endpoint(
    "GET",
    JOB,
    "Unable to download the result of job {job}",
    authenticated=False,
    storage=True,
)
JOB_RESULT_DOWNLOADED = Endpoint("POST", JOB, "Unable to acknowledge the result of job {job}")
JOB_CANCEL = Endpoint("POST", JOB, "Unable to cancel job {job}")
JOB_UPDATE = Endpoint("PUT", JOB, "Unable to update job {job}")
JOB_QOBJ_URL = Endpoint("GET", JOB, "Unable to download the job data of job {job}")
JOB_QOBJ = Endpoint(
    "GET",
    JOB,
    "Unable to download the job data of job {job}",
    authenticated=False,
    storage=True,
)
JOB_PROPERTIES = Endpoint("GET", JOB, "Unable to get the properties of job {job}")
