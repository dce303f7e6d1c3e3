"""Shared FastAPI dependencies: the service state, the caller, the project scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Path
from starlette.requests import HTTPConnection

from .._catalog import BackendCatalog
from .._job_document import JobOwner
from .._state import ServiceState, get_state
from ..config import ProjectMembership, UserConfig
from ..errors import ApiError, ApiErrorCode


async def state_dependency(request: HTTPConnection) -> ServiceState:
    """FastAPI dependency: the :class:`ServiceState` of the app serving ``request``.

    A coroutine, so that FastAPI calls it on the event loop: a plain function dependency
    would cost every request a hop to the threadpool and back.
    """
    return get_state(request)


StateDep = Annotated[ServiceState, Depends(state_dependency)]

HGP_PREFIX = "/api/Network/{hub}/Groups/{group}/Projects/{project}"
"""Route prefix of everything scoped to a hub/group/project (``{hgp}``)."""

JOB_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
"""What a job id in a path may look like (ours are 24 hex digits); else 400."""
BACKEND_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,128}$"
"""What a backend name in a path may look like; else 400."""
MAX_NAME_LENGTH = 128
"""Longest hub, group or project name in a path."""

JobIdParam = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="The job's id.")]
BackendParam = Annotated[str, Path(pattern=BACKEND_NAME_PATTERN, description="The backend's name.")]
_NameParam = Annotated[str, Path(min_length=1, max_length=MAX_NAME_LENGTH)]


async def current_user(
    state: StateDep,
    x_access_token: Annotated[str | None, Header(alias="X-Access-Token")] = None,
) -> UserConfig:
    """The user owning the ``X-Access-Token`` header; 401 if it is missing, unknown or
    expired (``access_token_ttl_seconds`` after ``loginWithToken``)."""
    user = await state.user_for_access_token(x_access_token) if x_access_token else None
    if user is None:
        raise ApiError(
            ApiErrorCode.AUTHORIZATION_REQUIRED,
            "Authorization Required: missing, invalid or expired X-Access-Token.",
        )
    return user


UserDep = Annotated[UserConfig, Depends(current_user)]


@dataclass(frozen=True)
class ProjectScope:
    """A caller acting inside one of their hub/group/projects."""

    user: UserConfig
    membership: ProjectMembership

    def require_backend(self, catalog: BackendCatalog, name: str) -> dict[str, Any]:
        """The configuration of backend ``name``; 404 if the project may not use it or it
        does not exist (the two are answered alike, as the real service did)."""
        configuration = catalog.configuration(name)
        if configuration is None or not self.membership.may_use(name):
            raise ApiError(ApiErrorCode.DEVICE_NOT_FOUND, f"Device {name} not found.")
        return configuration

    @property
    def key(self) -> JobOwner:
        """``(user id, hub, group, project)``: the owner columns of a job."""
        m = self.membership
        return JobOwner(self.user.id, m.hub, m.group, m.project)


async def project_scope(
    hub: _NameParam, group: _NameParam, project: _NameParam, user: UserDep, state: StateDep
) -> ProjectScope:
    """Check the caller belongs to ``hub/group/project`` (403 if not, 404 if it doesn't exist)."""
    membership = user.membership(hub, group, project)
    if membership is not None:
        return ProjectScope(user, membership)
    if state.settings.project_exists(hub, group, project):
        raise ApiError(
            ApiErrorCode.PROJECT_ACCESS_DENIED,
            f"You are not a member of {hub}/{group}/{project}.",
        )
    raise ApiError(
        ApiErrorCode.PROJECT_NOT_FOUND,
        f"Hub/group/project {hub}/{group}/{project} not found.",
    )


ScopeDep = Annotated[ProjectScope, Depends(project_scope)]
