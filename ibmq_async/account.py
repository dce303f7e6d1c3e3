"""``AsyncIBMQFactory``: enabling an account, and the providers it gives access to."""

from __future__ import annotations

import logging
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ._acompat import start_local_service
from ._core.accounts import check_credentials, ordered_projects, proxy_url
from ._core.defaults import QX_AUTH_URL, Timeouts
from ._core.endpoints import ProjectPaths
from ._core.exceptions import (
    IBMQAccountApiError,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountCredentialsNotFound,
    IBMQAccountError,
    IBMQApiProtocolError,
    IBMQProviderError,
)
from ._core.retry import RetryPolicy
from ._rest import AsyncAccountApi, AsyncProjectApi
from ._session import AsyncSession
from .provider import AsyncAccountProvider

logger = logging.getLogger(__name__)


class AsyncIBMQFactory:
    """Enables an IBM Quantum account and hands out its providers.

    Use the module-level ``AsyncIBMQ`` instance::

        provider = await AsyncIBMQ.enable_local()          # the embedded local service
        provider = await AsyncIBMQ.enable_account(token)   # IBM Quantum, or url=...
    """

    def __init__(self) -> None:
        self._session: AsyncSession | None = None
        self._providers: list[AsyncAccountProvider] = []
        self._account: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} enabled={self._account is not None}>"

    async def enable_account(
        self,
        token: str,
        url: str = QX_AUTH_URL,
        hub: str | None = None,
        group: str | None = None,
        project: str | None = None,
        *,
        verify: bool = True,
        proxies: dict[str, Any] | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncAccountProvider | None:
        """Log in and discover the account's providers and their backends.

        Args:
            token: the IBM Quantum API token.
            url: the authentication URL.
            hub, group, project: which provider to return; by default the account's default.
            verify: verify TLS certificates.
            proxies: ``{"urls": {"https": "http://proxy:port"}}``.
            timeouts: request timeouts.
            retry: how failed requests are retried.
            transport: an httpx transport to use instead of the network (for tests).

        Returns:
            The default provider (or the one hub/group/project select), or ``None`` when the
            account has no projects.

        Raises:
            IBMQAccountError: an account is already enabled.
            IBMQAccountCredentialsInvalidToken: the token is empty or refused.
            IBMQAccountCredentialsInvalidUrl: ``url`` is no IBM Quantum authentication URL.
            IBMQProviderError: hub/group/project match no provider, or several.
            IBMQAccountApiError: the server could not be reached, failed, or replied
                with something malformed.
        """
        if self._account is not None:
            raise IBMQAccountError(
                "An IBM Quantum account is already enabled: disable_account() first."
            )
        check_credentials(token, url)
        proxy = proxy_url(proxies)
        session = AsyncSession(
            verify=verify, proxy=proxy, timeouts=timeouts, retry=retry, transport=transport
        )
        session.add_secret(token)
        try:
            providers = await self._login(session, token, url)
        except BaseException:
            await session.aclose()
            raise
        self._session = session
        self._providers = providers
        self._account = {"token": token, "url": url}
        if not providers:
            logger.warning("No hub/group/project is available to this account.")
            return None
        if hub is None and group is None and project is None:
            return providers[0]
        return self.get_provider(hub, group, project)

    async def _login(
        self, session: AsyncSession, token: str, url: str
    ) -> list[AsyncAccountProvider]:
        auth = AsyncAccountApi(session, url)
        try:
            await auth.version()
        except IBMQAccountApiError as exc:
            raise IBMQAccountCredentialsInvalidUrl(
                f"Not an IBM Quantum authentication URL: {url} ({exc.message})"
            ) from None
        try:
            login = await auth.login(token)
        except IBMQApiProtocolError:
            raise IBMQAccountCredentialsInvalidUrl(
                f"The login reply of {url} has no access token."
            ) from None
        session.set_access_token(login.id, token)
        user = await auth.user_info()
        hubs = await auth.hubs(user.urls.http)
        providers = []
        for hgp in ordered_projects(hubs):
            api = AsyncProjectApi(session, ProjectPaths(user.urls.http, hgp), user.urls.ws)
            provider = AsyncAccountProvider(api)
            await provider._discover()
            providers.append(provider)
        return providers

    async def enable_local(
        self,
        data_dir: str | Path | None = None,
        hub: str | None = None,
        group: str | None = None,
        project: str | None = None,
    ) -> AsyncAccountProvider:
        """Start the embedded local service (once per process) and enable its account.

        The service listens on a free loopback port and keeps its jobs in ``data_dir``
        (by default a per-user data directory). It needs the ``local`` extra.

        Raises:
            IBMQLocalServiceError: the service could not start.
            IBMQAccountError: an account is already enabled.
        """
        service = await start_local_service(Path(data_dir) if data_dir is not None else None)
        provider = await self.enable_account(
            service.token, url=service.auth_url, hub=hub, group=group, project=project
        )
        if provider is None:  # pragma: no cover - the local service always has a project
            raise IBMQProviderError("The local service offers no project.")
        return provider

    async def disable_account(self) -> None:
        """Forget the enabled account and close its connections.

        Raises:
            IBMQAccountCredentialsNotFound: no account is enabled.
        """
        if self._account is None or self._session is None:
            raise IBMQAccountCredentialsNotFound("No IBM Quantum account is enabled.")
        session = self._session
        self._session = None
        self._providers = []
        self._account = None
        await session.aclose()

    async def aclose(self) -> None:
        """Disable the account if one is enabled."""
        if self._account is not None:
            await self.disable_account()

    async def __aenter__(self) -> AsyncIBMQFactory:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def active_account(self) -> dict[str, str] | None:
        """``{"token", "url"}`` of the enabled account, or ``None``."""
        return dict(self._account) if self._account is not None else None

    def providers(
        self, hub: str | None = None, group: str | None = None, project: str | None = None
    ) -> list[AsyncAccountProvider]:
        """The providers matching every field given, default first.

        Raises:
            IBMQAccountCredentialsNotFound: no account is enabled.
        """
        if self._account is None:
            raise IBMQAccountCredentialsNotFound("No IBM Quantum account is enabled.")
        return [
            p
            for p in self._providers
            if (hub is None or p.hub == hub)
            and (group is None or p.group == group)
            and (project is None or p.project == project)
        ]

    def get_provider(
        self, hub: str | None = None, group: str | None = None, project: str | None = None
    ) -> AsyncAccountProvider:
        """The one provider that matches the fields given.

        Raises:
            IBMQProviderError: no provider matches, or more than one.
        """
        found = self.providers(hub, group, project)
        if len(found) != 1:
            what = "No provider matches" if not found else "More than one provider matches"
            raise IBMQProviderError(f"{what} hub={hub!r}, group={group!r}, project={project!r}.")
        return found[0]


AsyncIBMQ = AsyncIBMQFactory()
"""The process-wide account factory."""
