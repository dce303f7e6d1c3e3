"""Configuration of the local service: users, memberships, job limits, secrets.

Everything lives in one data directory:

* ``config.json`` (optional): a :class:`ConfigFile` document;
* ``token``: the API token of the default user, when not given explicitly (created on
  first use);
* ``secret``: the key that signs object-storage URLs, unless ``config.json`` sets one;
* ``jobs.sqlite3``: jobs, payloads and access tokens.

A minimal ``config.json`` that adds a second user, pauses a backend, books another and gives
it a later calibration::

    {
      "users": [
        {"id": "bob", "api_token": "bob-token",
         "projects": [{"hub": "ibm-q", "group": "open", "project": "main",
                       "is_default": true, "max_jobs": 2}]}
      ],
      "backends": {
        "ibmq_lima": {"status": "internal"},
        "ibmq_manila": {
          "reservations": [{"start": "2030-01-01T09:00:00Z", "end": "2030-01-01T11:00:00Z",
                            "hub": "ibm-q", "group": "open", "project": "main"}],
          "recalibrations": [{"date": "2025-01-01T00:00:00Z",
                              "properties_file": "manila-2025.json"}]
        }
      }
    }
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ibmq_async._core.models import UtcDatetime

CONFIG_FILE = "config.json"
TOKEN_FILE = "token"
SECRET_FILE = "secret"
DATABASE_FILE = "jobs.sqlite3"

DEFAULT_HUB = "ibm-q"
DEFAULT_GROUP = "open"
DEFAULT_PROJECT = "main"
DEFAULT_MAX_JOBS = 10


class ProjectMembership(BaseModel):
    """A user's membership of one hub/group/project and its job limit."""

    model_config = ConfigDict(extra="forbid")

    hub: str = DEFAULT_HUB
    group: str = DEFAULT_GROUP
    project: str = DEFAULT_PROJECT
    is_default: bool = False
    max_jobs: int = Field(default=DEFAULT_MAX_JOBS, ge=-1)
    """Unfinished jobs allowed per backend; ``-1`` means unlimited."""

    def matches(self, hub: str, group: str, project: str) -> bool:
        """Return whether this membership is for ``hub/group/project``."""
        return (self.hub, self.group, self.project) == (hub, group, project)


def _default_projects() -> list[ProjectMembership]:
    return [ProjectMembership(is_default=True)]


class UserConfig(BaseModel):
    """One user: an API token and the projects the user belongs to."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    api_token: str = Field(min_length=1)
    email: str | None = None
    projects: list[ProjectMembership] = Field(default_factory=_default_projects)

    def membership(self, hub: str, group: str, project: str) -> ProjectMembership | None:
        """Return the membership of ``hub/group/project``, if any."""
        for membership in self.projects:
            if membership.matches(hub, group, project):
                return membership
        return None


class DefaultUserConfig(BaseModel):
    """The default user as ``config.json`` may shape it; its token comes from elsewhere."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default="local-user", min_length=1)
    email: str | None = None
    projects: list[ProjectMembership] = Field(default_factory=_default_projects)


class ReservationConfig(BaseModel):
    """A booked slot of a backend (protocol 2.6), owned by a hub/group/project or by nobody.

    Times without an offset are UTC. Only the owner's members see ``mode``, ``id``, the
    creation date and the owner; everyone sees the slot.
    """

    model_config = ConfigDict(extra="forbid")

    start: UtcDatetime
    end: UtcDatetime
    mode: str = "dedicated"
    id: str | None = None
    """Stable default: derived from the backend name and the slot."""
    created: UtcDatetime | None = None
    hub: str | None = None
    group: str | None = None
    project: str | None = None

    @model_validator(mode="after")
    def _check(self) -> ReservationConfig:
        if self.end <= self.start:
            raise ValueError("a reservation must end after it starts")
        owner = (self.hub, self.group, self.project)
        if any(owner) and not all(owner):
            raise ValueError("give all of hub, group and project, or none")
        return self

    def owned_by(self, hub: str, group: str, project: str) -> bool:
        """Whether ``hub/group/project`` made this reservation."""
        return (self.hub, self.group, self.project) == (hub, group, project)


class RecalibrationConfig(BaseModel):
    """A calibration of a device later than its shipped snapshot (protocol 2.3).

    ``properties_file`` is a ``backend_properties`` JSON document, relative to the data
    directory; without one the previous calibration is measured again: the same figures,
    dated ``date``. Served from ``date`` on; the device simulates with it from then.
    """

    model_config = ConfigDict(extra="forbid")

    date: UtcDatetime
    properties_file: Path | None = None


class BackendSettings(BaseModel):
    """Operator overrides for one backend.

    ``status`` other than ``"active"`` or ``operational: false`` keeps the backend's queue
    from being processed: jobs are accepted and wait in ``QUEUED``. IBM used
    ``"internal"`` for "accepting but not processing".
    """

    model_config = ConfigDict(extra="forbid")

    status: str = "active"
    operational: bool = True
    reservations: list[ReservationConfig] = Field(default_factory=list)
    recalibrations: list[RecalibrationConfig] = Field(default_factory=list)

    @property
    def dispatching(self) -> bool:
        """Whether queued jobs on this backend are run."""
        return self.operational and self.status == "active"


class ConfigFile(BaseModel):
    """The schema of ``<data_dir>/config.json``."""

    model_config = ConfigDict(extra="forbid")

    signing_secret: str | None = None
    url_ttl_seconds: int = Field(default=3600, gt=0)
    max_workers: int = Field(default=2, ge=1)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    default_user: DefaultUserConfig = Field(default_factory=DefaultUserConfig)
    users: list[UserConfig] = Field(default_factory=list)
    backends: dict[str, BackendSettings] = Field(default_factory=dict)


class Settings(BaseModel):
    """Resolved settings of one service instance (see :func:`load_settings`)."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path
    users: list[UserConfig]
    """All users; the first is the default user."""
    signing_secret: str
    url_ttl_seconds: int = 3600
    max_workers: int = 2
    max_upload_bytes: int = 512 * 1024 * 1024
    backends: dict[str, BackendSettings] = Field(default_factory=dict)

    @property
    def default_user(self) -> UserConfig:
        """The user whose token :class:`~ibmq_local.service.LocalService` exposes."""
        return self.users[0]

    @property
    def database_path(self) -> Path:
        """Path of the SQLite database."""
        return self.data_dir / DATABASE_FILE

    def user_by_token(self, api_token: str) -> UserConfig | None:
        """Return the user with this API token."""
        for user in self.users:
            if secrets.compare_digest(user.api_token.encode(), api_token.encode()):
                return user
        return None

    def user_by_id(self, user_id: str) -> UserConfig | None:
        """Return the user with this id."""
        return next((user for user in self.users if user.id == user_id), None)

    def project_exists(self, hub: str, group: str, project: str) -> bool:
        """Return whether any user belongs to ``hub/group/project``."""
        return any(user.membership(hub, group, project) for user in self.users)

    def backend_settings(self, name: str) -> BackendSettings:
        """Return the overrides of backend ``name`` (defaults when none)."""
        return self.backends.get(name) or BackendSettings()


class ConfigError(ValueError):
    """``config.json`` is unreadable or inconsistent."""


def load_settings(data_dir: str | os.PathLike[str], *, token: str | None = None) -> Settings:
    """Load the settings of the data directory ``data_dir``, creating it if needed.

    The default user's API token is ``token`` if given, else the content of
    ``<data_dir>/token``, else a newly generated one that is written there.

    Raises:
        ConfigError: when ``config.json`` is malformed or inconsistent.
    """
    directory = Path(data_dir).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    config = _read_config_file(directory / CONFIG_FILE)

    api_token = token or _read_or_create_secret(directory / TOKEN_FILE)
    default = UserConfig(
        id=config.default_user.id,
        api_token=api_token,
        email=config.default_user.email,
        projects=config.default_user.projects,
    )
    users = [_with_one_default(user) for user in [default, *config.users]]
    _check_unique(users)

    secret = config.signing_secret or _read_or_create_secret(directory / SECRET_FILE)
    return Settings(
        data_dir=directory,
        users=users,
        signing_secret=secret,
        url_ttl_seconds=config.url_ttl_seconds,
        max_workers=config.max_workers,
        max_upload_bytes=config.max_upload_bytes,
        backends={
            name: _with_resolved_files(backend, directory)
            for name, backend in config.backends.items()
        },
    )


def _read_config_file(path: Path) -> ConfigFile:
    if not path.exists():
        return ConfigFile()
    try:
        return ConfigFile.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _read_or_create_secret(path: Path) -> str:
    """Return the random value kept in ``path``, creating it (mode 0600) on first use."""
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if value:
            return value
    value = secrets.token_hex(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def _with_resolved_files(backend: BackendSettings, directory: Path) -> BackendSettings:
    """Make recalibration files absolute (relative to the data directory) and check them."""
    resolved = []
    for recalibration in sorted(backend.recalibrations, key=lambda r: r.date):
        path = recalibration.properties_file
        if path is not None:
            path = (directory / path.expanduser()).resolve()
            if not path.is_file():
                raise ConfigError(f"recalibration file {path} does not exist")
        resolved.append(recalibration.model_copy(update={"properties_file": path}))
    return backend.model_copy(update={"recalibrations": resolved})


def _with_one_default(user: UserConfig) -> UserConfig:
    """Make exactly one membership the default: the first flagged, else the first."""
    if not user.projects:
        raise ConfigError(f"user {user.id!r} belongs to no project")
    flagged = next((i for i, p in enumerate(user.projects) if p.is_default), 0)
    projects = [
        p.model_copy(update={"is_default": i == flagged}) for i, p in enumerate(user.projects)
    ]
    return user.model_copy(update={"projects": projects})


def _check_unique(users: list[UserConfig]) -> None:
    ids = [user.id for user in users]
    if len(set(ids)) != len(ids):
        raise ConfigError("user ids must be unique")
    tokens = [user.api_token for user in users]
    if len(set(tokens)) != len(tokens):
        raise ConfigError("API tokens must be unique")
