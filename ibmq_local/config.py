"""Configuration of the local service: users, memberships, job limits, devices, secrets.

Everything lives in one data directory:

* ``config.toml`` or ``config.json`` (optional, not both): a :class:`ConfigFile` document
  (``ibmq-local serve --config PATH`` names another file, ``.toml`` or ``.json``);
* ``token``: the API token of the default user, when not given explicitly (created on
  first use);
* ``secret``: the key that signs object-storage URLs, unless the configuration sets one;
* ``jobs.sqlite3``: jobs, payloads and access tokens (hashed).

With no configuration there is one user, the default user, in ``ibm-q/open/main``.

The schema (every key optional)::

    signing_secret = "..."              # key of presigned URLs (default: <data dir>/secret)
    url_ttl_seconds = 3600              # lifetime of a presigned URL
    access_token_ttl_seconds = 1209600  # lifetime of a loginWithToken access token (14 days)
    max_workers = 2                     # backends simulating at once
    max_upload_bytes = 536870912        # largest Qobj upload
    fault_rate = 0.0                    # share of requests that fail on purpose (0 to 1)
    fault_seed = 42                     # seed of those failures (default: random)
    idempotency_keys = true             # honour Idempotency-Key on job creation
    websocket = true                    # serve the job-status websocket (false: refuse it)
    idempotency_key_ttl_seconds = 86400 # how long such a key is remembered (24 h)

    [default_user]                      # the user of the data directory's ``token``
    id = "local-user"
    # projects = [...] as for users below (default: ibm-q/open/main)

    [[users]]                           # any number of further users
    id = "alice"                        # unique
    api_token = "alice-token"           # unique
    email = "alice@example.com"         # optional

    [[users.projects]]                  # hub/group/project memberships (default: ibm-q/open/main)
    hub = "hub-a"
    group = "group-x"
    project = "proj-1"
    is_default = true                   # listed first by /Network (default: the first one)
    max_jobs = 5                        # unfinished jobs per backend; -1: unlimited (default 10)
    backends = ["ibmq_qasm_simulator", "ibmq_manila"]  # devices the project may use (default: all)
    backend_limits = {ibmq_manila = 1}  # max_jobs for one backend

    [backends.ibmq_lima]                # operator overrides for one backend
    status = "internal"                 # not "active" (or operational = false): jobs wait QUEUED

    [[backends.ibmq_manila.reservations]]
    start = 2030-01-01T09:00:00Z
    end = 2030-01-01T11:00:00Z
    hub = "ibm-q"
    group = "open"
    project = "main"

    [[backends.ibmq_manila.recalibrations]]
    date = 2025-01-01T00:00:00Z
    properties_file = "manila-2025.json"   # relative to the data directory

``config.json`` holds the same document as JSON. Job limits and device allow-lists belong to a
membership, so they are per user and per project; ``users`` may share projects. Users can also
be added on the command line: ``ibmq-local serve --user alice:TOKEN:hub-a/group-x/proj-1``
(see :func:`parse_user_option`).
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ibmq_async._core.models import UtcDatetime

CONFIG_FILE = "config.json"
TOML_CONFIG_FILE = "config.toml"
TOKEN_FILE = "token"
SECRET_FILE = "secret"
DATABASE_FILE = "jobs.sqlite3"

DEFAULT_HUB = "ibm-q"
DEFAULT_GROUP = "open"
DEFAULT_PROJECT = "main"
DEFAULT_MAX_JOBS = 10
DEFAULT_ACCESS_TOKEN_TTL = 1_209_600
"""Seconds an access token lives (14 days, the ``ttl`` IBM reported)."""
DEFAULT_IDEMPOTENCY_KEY_TTL = 86_400
"""Seconds an ``Idempotency-Key`` of a job creation is remembered (24 hours)."""


class ProjectMembership(BaseModel):
    """A user's membership of one hub/group/project and its job limit."""

    model_config = ConfigDict(extra="forbid")

    hub: str = DEFAULT_HUB
    group: str = DEFAULT_GROUP
    project: str = DEFAULT_PROJECT
    is_default: bool = False
    max_jobs: int = Field(default=DEFAULT_MAX_JOBS, ge=-1)
    """Unfinished jobs allowed per backend; ``-1`` means unlimited."""
    backends: list[str] | None = None
    """The backends this project may use; ``None`` (the default) means every one."""
    backend_limits: dict[str, int] = Field(default_factory=dict)
    """``max_jobs`` for particular backends (``-1``: unlimited)."""

    @model_validator(mode="after")
    def _check(self) -> ProjectMembership:
        for name in ("hub", "group", "project"):
            value = getattr(self, name)
            if not value or "/" in value:
                raise ValueError(f"{name} must be a non-empty name without '/', not {value!r}")
        for backend, limit in self.backend_limits.items():
            if limit < -1:
                raise ValueError(f"backend_limits.{backend} must be -1 (unlimited) or more")
            if self.backends is not None and backend not in self.backends:
                raise ValueError(
                    f"backend_limits names {backend}, which is not in this project's backends"
                )
        return self

    @property
    def path(self) -> str:
        """``hub/group/project``."""
        return f"{self.hub}/{self.group}/{self.project}"

    def matches(self, hub: str, group: str, project: str) -> bool:
        """Return whether this membership is for ``hub/group/project``."""
        return (self.hub, self.group, self.project) == (hub, group, project)

    def may_use(self, backend: str) -> bool:
        """Whether this project may see and use ``backend``."""
        return self.backends is None or backend in self.backends

    def job_limit(self, backend: str) -> int:
        """Unfinished jobs allowed on ``backend``; ``-1`` means unlimited."""
        return self.backend_limits.get(backend, self.max_jobs)


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
    """The schema of ``config.toml`` / ``config.json`` (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    signing_secret: str | None = None
    url_ttl_seconds: int = Field(default=3600, gt=0)
    access_token_ttl_seconds: int = Field(default=DEFAULT_ACCESS_TOKEN_TTL, gt=0)
    max_workers: int = Field(default=2, ge=1)
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    fault_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Probability that a request gets an injected fault (see :mod:`ibmq_local._faults`)."""
    fault_seed: int | None = None
    """Seed of the injected faults; ``None``: a random one, chosen at start."""
    idempotency_keys: bool = True
    """Whether job creation honours an ``Idempotency-Key`` header (and ``/version`` says so)."""
    idempotency_key_ttl_seconds: int = Field(default=DEFAULT_IDEMPOTENCY_KEY_TTL, gt=0)
    """How long such a key is remembered."""
    websocket: bool = True
    """Whether the job-status websocket is served (``False``: every handshake is refused)."""
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
    access_token_ttl_seconds: int = DEFAULT_ACCESS_TOKEN_TTL
    max_workers: int = 2
    max_upload_bytes: int = 512 * 1024 * 1024
    backends: dict[str, BackendSettings] = Field(default_factory=dict)
    fault_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    """Probability that a request gets an injected fault (see :mod:`ibmq_local._faults`)."""
    fault_seed: int | None = None
    """Seed of the injected faults; ``None``: a random one, chosen at start."""
    idempotency_keys: bool = True
    """Whether ``POST {hgp}/Jobs`` honours an ``Idempotency-Key`` header: a repeat of a
    creation under the same key gets the same job (see :mod:`ibmq_local.routes.jobs`)."""
    idempotency_key_ttl_seconds: int = Field(default=DEFAULT_IDEMPOTENCY_KEY_TTL, gt=0)
    """How long such a key is remembered."""
    websocket: bool = True
    """Whether the job-status websocket is served. ``False`` refuses every handshake (HTTP
    503), as a network that does not pass websockets would: clients wait by polling."""

    @property
    def default_user(self) -> UserConfig:
        """The user whose token :class:`~ibmq_local.service.LocalService` exposes."""
        return self.users[0]

    @property
    def database_path(self) -> Path:
        """Path of the SQLite database."""
        return self.data_dir / DATABASE_FILE

    def user_by_token(self, api_token: str) -> UserConfig | None:
        """Return the user with this API token.

        Every user's token is compared, each in constant time, so the time taken tells
        nothing about which token, or how much of one, matched.
        """
        found = None
        for user in self.users:
            if secrets.compare_digest(user.api_token.encode(), api_token.encode()):
                found = user
        return found

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
    """The configuration file (or a ``--user`` option) is unreadable or inconsistent."""


def load_settings(
    data_dir: str | os.PathLike[str],
    *,
    token: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    users: Sequence[UserConfig] = (),
    fault_rate: float | None = None,
    fault_seed: int | None = None,
    idempotency_keys: bool | None = None,
    websocket: bool | None = None,
) -> Settings:
    """Load the settings of the data directory ``data_dir``, creating it if needed.

    The default user's API token is ``token`` if given, else the content of
    ``<data_dir>/token``, else a newly generated one that is written there.

    Args:
        data_dir: the data directory.
        token: the default user's API token.
        config_file: the configuration file to read (``.toml`` or ``.json``) instead of
            ``<data_dir>/config.toml`` or ``<data_dir>/config.json``.
        users: users to add to those of the configuration (``--user`` options).
        fault_rate: the ``fault_rate`` to use instead of the configuration's.
        fault_seed: the ``fault_seed`` to use instead of the configuration's.
        idempotency_keys: the ``idempotency_keys`` to use instead of the configuration's.
        websocket: the ``websocket`` to use instead of the configuration's.

    Raises:
        ConfigError: when the configuration is missing (``config_file`` given), malformed
            or inconsistent, or when the data directory holds both ``config.toml`` and
            ``config.json``, or when ``fault_rate`` is not within [0, 1].
    """
    directory = Path(data_dir).expanduser().resolve()
    directory.mkdir(parents=True, exist_ok=True)
    config = _read_config_file(_config_path(directory, config_file))

    api_token = token or _read_or_create_secret(directory / TOKEN_FILE)
    default = UserConfig(
        id=config.default_user.id,
        api_token=api_token,
        email=config.default_user.email,
        projects=config.default_user.projects,
    )
    all_users = [_with_one_default(user) for user in [default, *config.users, *users]]
    _check_unique(all_users)

    if fault_rate is not None and not 0.0 <= fault_rate <= 1.0:
        raise ConfigError(f"the fault rate must be between 0 and 1, not {fault_rate!r}")
    secret = config.signing_secret or _read_or_create_secret(directory / SECRET_FILE)
    return Settings(
        data_dir=directory,
        users=all_users,
        signing_secret=secret,
        url_ttl_seconds=config.url_ttl_seconds,
        access_token_ttl_seconds=config.access_token_ttl_seconds,
        max_workers=config.max_workers,
        max_upload_bytes=config.max_upload_bytes,
        fault_rate=config.fault_rate if fault_rate is None else fault_rate,
        fault_seed=config.fault_seed if fault_seed is None else fault_seed,
        idempotency_keys=config.idempotency_keys if idempotency_keys is None else idempotency_keys,
        idempotency_key_ttl_seconds=config.idempotency_key_ttl_seconds,
        websocket=config.websocket if websocket is None else websocket,
        backends={
            name: _with_resolved_files(backend, directory)
            for name, backend in config.backends.items()
        },
    )


def parse_user_option(text: str) -> UserConfig:
    """A user from ``ID:TOKEN[:HUB/GROUP/PROJECT[,HUB/GROUP/PROJECT...]]`` (``--user``).

    The first project is the user's default; without projects the user is in
    ``ibm-q/open/main``. Job limits and device lists need the configuration file.

    Raises:
        ConfigError: when ``text`` does not have that shape.
    """
    shape = "expected ID:TOKEN[:HUB/GROUP/PROJECT[,HUB/GROUP/PROJECT...]]"
    user_id, _, rest = text.partition(":")
    api_token, _, projects_text = rest.partition(":")
    if not user_id or not api_token:
        raise ConfigError(f"--user: {shape}")
    projects = []
    for position, path in enumerate(filter(None, projects_text.split(","))):
        parts = path.split("/")
        if len(parts) != 3 or not all(parts):
            raise ConfigError(f"--user {user_id}: {path!r} is not HUB/GROUP/PROJECT; {shape}")
        hub, group, project = parts
        projects.append(
            ProjectMembership(hub=hub, group=group, project=project, is_default=position == 0)
        )
    try:
        return UserConfig(id=user_id, api_token=api_token, projects=projects or _default_projects())
    except ValidationError as exc:
        raise ConfigError(f"--user {user_id}: {exc}") from None


def _config_path(directory: Path, explicit: str | os.PathLike[str] | None) -> Path | None:
    """The configuration file to read, if any."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"configuration file {path} does not exist")
        return path
    found = [
        path for path in (directory / TOML_CONFIG_FILE, directory / CONFIG_FILE) if path.exists()
    ]
    if len(found) > 1:
        raise ConfigError(
            f"{directory} holds both {TOML_CONFIG_FILE} and {CONFIG_FILE}: keep only one"
        )
    return found[0] if found else None


def _read_config_file(path: Path | None) -> ConfigFile:
    if path is None:
        return ConfigFile()
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            document: object = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            document = json.loads(text)
        else:
            raise ConfigError(f"cannot read {path}: the name must end in .toml or .json")
        return ConfigFile.model_validate(document)
    except ConfigError:
        raise
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
    paths = [p.path for p in user.projects]
    if len(set(paths)) != len(paths):
        raise ConfigError(f"user {user.id!r} lists a hub/group/project twice")
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
