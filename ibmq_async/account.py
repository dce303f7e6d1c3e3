"""``AsyncIBMQFactory``: enabling an account, the credentials stored on disk, and the providers
an account gives access to."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ._acompat import start_local_service
from ._core import credentials as stored_credentials
from ._core import qiskitrc
from ._core.accounts import (
    check_credentials,
    check_provider_fields,
    check_proxies,
    check_verify,
    ordered_projects,
    proxy_for,
    redact_url,
    url_secrets,
)
from ._core.credentials import Credentials
from ._core.defaults import QX_AUTH_URL, Timeouts
from ._core.endpoints import ProjectPaths
from ._core.errors import redact
from ._core.exceptions import (
    IBMQAccountApiError,
    IBMQAccountConnectionError,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountCredentialsNotFound,
    IBMQAccountError,
    IBMQAccountValueError,
    IBMQApiError,
    IBMQApiProtocolError,
    IBMQProviderError,
)
from ._core.retry import RetryPolicy
from ._core.submission import honours_idempotency_keys
from ._rest import AsyncAccountApi, AsyncProjectApi
from ._session import AsyncSession
from .provider import AsyncAccountProvider

logger = logging.getLogger(__name__)


class AsyncIBMQFactory:
    """Enables an IBM Quantum account and hands out its providers.

    Use the module-level ``AsyncIBMQ`` instance::

        provider = await AsyncIBMQ.enable_local()          # the embedded local service
        provider = await AsyncIBMQ.enable_account(token)   # IBM Quantum, or url=...
        provider = await AsyncIBMQ.load_account()          # QE_TOKEN/QE_URL, or the saved account

    Every provider of the account shares one connection pool and one login; ``aclose()``,
    ``disable_account()`` or leaving ``async with`` closes them.
    """

    def __init__(self) -> None:
        self._session: AsyncSession | None = None
        self._providers: list[AsyncAccountProvider] = []
        self._account: dict[str, str] | None = None
        self._enabling = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} enabled={self._account is not None}>"

    # -- enabling an account ------------------------------------------------------------------

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
        """Authenticate against IBM Quantum for use during the session.

        Logs in and discovers the account's providers and their backends. When anything
        fails, no account is enabled.

        Args:
            token: IBM Quantum token.
            url: URL for the IBM Quantum authentication server (any service that speaks the
                protocol, such as ``ibmq-local serve``).
            hub: Name of the hub to use.
            group: Name of the group to use.
            project: Name of the project to use.
            verify: verify the server's TLS certificate.
            proxies: proxy configuration, ``{"urls": {"https": "http://host:port"}}`` (keys
                as in ``requests``; credentials go in the proxy URL).
            timeouts: request timeouts.
            retry: how failed requests are retried.
            transport: an httpx transport to use instead of the network (for tests).

        Returns:
            If ``hub``, ``group``, or ``project`` are specified, the corresponding provider
            is returned. Otherwise the provider for the open access project is returned, or
            ``None`` when the account has no projects.

        Raises:
            IBMQAccountError: an account is already enabled.
            IBMQAccountCredentialsInvalidToken: the token is empty or refused.
            IBMQAccountCredentialsInvalidUrl: ``url`` is no IBM Quantum authentication URL.
            IBMQAccountConnectionError: the server could not be reached, or not in time.
            IBMQAccountValueError: ``proxies``, ``verify`` or hub/group/project are invalid.
            IBMQProviderError: hub/group/project match no provider, or several.
            IBMQAccountApiError: the server failed, or replied with something malformed.
        """
        if self._account is not None:
            raise IBMQAccountError(
                "An IBM Quantum account is already enabled: disable_account() first."
            )
        credentials = Credentials(
            token, url, hub, group, project, proxies=proxies, verify=verify, source="arguments"
        )
        return await self._enable(credentials, timeouts, retry, transport)

    async def load_account(
        self,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AsyncAccountProvider | None:
        """Authenticate against IBM Quantum from stored credentials.

        The credentials come from the ``QE_TOKEN`` and ``QE_URL`` environment variables
        (``QE_HUB``, ``QE_GROUP``, ``QE_PROJECT`` select the provider) if both are set, else
        from the ``qiskitrc`` file that ``save_account`` writes (``~/.qiskit/qiskitrc``, or
        the path in ``QISKITRC``). An account already enabled is replaced, with a warning,
        once the new one is logged in; if the new one fails, the old one stays.

        Args:
            timeouts: request timeouts.
            retry: how failed requests are retried.
            transport: an httpx transport to use instead of the network (for tests).

        Returns:
            If the configuration file specifies a default provider, it is returned.
            Otherwise the provider for the open access project is returned.

        Raises:
            IBMQAccountCredentialsInvalidFormat: the configuration file, or the default
                provider stored in it, could not be parsed.
            IBMQAccountCredentialsNotFound: no IBM Quantum credentials can be found.
            IBMQAccountMultipleCredentialsFound: multiple IBM Quantum credentials are found.
            IBMQAccountCredentialsInvalidUrl: the stored URL is no authentication URL.
            IBMQAccountConnectionError: the server could not be reached, or not in time.
            IBMQProviderError: the default provider stored on disk could not be found.
        """
        warning = stored_credentials.incomplete_environ(os.environ)
        if warning is not None:
            logger.warning(warning)
        file = qiskitrc.path()
        stored = None
        if stored_credentials.from_environ(os.environ) is None:
            stored = qiskitrc.load(file)
        credentials = stored_credentials.discover(os.environ, stored, str(file))
        if self._account is not None:
            logger.warning(
                "Credentials are already in use. The existing account in the session will be "
                "replaced."
            )
        return await self._enable(credentials, timeouts, retry, transport, replace=True)

    async def enable_local(
        self,
        data_dir: str | Path | None = None,
        hub: str | None = None,
        group: str | None = None,
        project: str | None = None,
    ) -> AsyncAccountProvider:
        """Start the embedded local service (once per process) and enable its account.

        The service listens on a free loopback port and keeps its jobs in ``data_dir``
        (by default a per-user data directory). It needs the ``local`` extra. Called again
        while the service's account is enabled (a notebook cell run twice), it returns the
        same provider.

        Raises:
            IBMQLocalServiceError: the service could not start.
            IBMQAccountError: another account is already enabled.
            IBMQProviderError: hub/group/project match no provider, or several.
        """
        service = await start_local_service(Path(data_dir) if data_dir is not None else None)
        if self._account == {"token": service.token, "url": service.auth_url}:
            return self._select(self._providers, hub, group, project)
        provider = await self.enable_account(
            service.token, url=service.auth_url, hub=hub, group=group, project=project
        )
        if provider is None:  # pragma: no cover - the local service always has a project
            raise IBMQProviderError("The local service offers no project.")
        return provider

    async def _enable(
        self,
        credentials: Credentials,
        timeouts: Timeouts | None,
        retry: RetryPolicy | None,
        transport: httpx.AsyncBaseTransport | None,
        *,
        replace: bool = False,
    ) -> AsyncAccountProvider | None:
        """Log in with ``credentials`` and enable the account, or change nothing and raise."""
        token, url = credentials.token, credentials.url
        _check_url(token, url)
        if timeouts is not None and not isinstance(timeouts, Timeouts):
            raise IBMQAccountValueError(f"timeouts must be a Timeouts, not {timeouts!r}.")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise IBMQAccountValueError(f"retry must be a RetryPolicy, not {retry!r}.")
        check_provider_fields(
            credentials.hub, credentials.group, credentials.project, all_or_none=False
        )
        verify = check_verify(credentials.verify)
        proxy = proxy_for(url, check_proxies(credentials.proxies))
        if self._enabling:
            raise IBMQAccountError("Another IBM Quantum account is being enabled right now.")
        self._enabling = True
        previous: AsyncSession | None = None
        try:
            session = AsyncSession(
                verify=verify, proxy=proxy, timeouts=timeouts, retry=retry, transport=transport
            )
            secrets = tuple(dict.fromkeys((token, *url_secrets(url), *url_secrets(proxy))))
            for secret in secrets:
                session.add_secret(secret)
            try:
                self._open(session, secrets)
                providers = await self._login(session, token, url, secrets)
                selected = self._choose(providers, credentials)
            except BaseException:
                await session.aclose()
                raise
            if replace:
                previous = self._session
            self._session = session
            self._providers = providers
            self._account = {"token": token, "url": url}
        finally:
            self._enabling = False
        if previous is not None:
            await previous.aclose()
        return selected

    @staticmethod
    def _open(session: AsyncSession, secrets: tuple[str, ...]) -> None:
        """Create the connection pool now, so options httpx refuses are reported here."""
        try:
            session.client  # noqa: B018 - creates the client
        except (ValueError, TypeError, ImportError) as exc:
            raise IBMQAccountValueError(
                f"Invalid connection options: {redact(str(exc), secrets)}"
            ) from None

    async def _login(
        self, session: AsyncSession, token: str, url: str, secrets: tuple[str, ...]
    ) -> list[AsyncAccountProvider]:
        auth = AsyncAccountApi(session, url)
        shown = redact_url(url)
        try:
            try:
                version = await auth.version()
            except IBMQAccountApiError as exc:
                if _unreachable(exc) or exc.status_code >= 500:
                    raise
                raise IBMQAccountCredentialsInvalidUrl(
                    f"Not an IBM Quantum authentication URL: {shown} ({exc.message})"
                ) from None
            try:
                login = await auth.login(token)
            except IBMQApiProtocolError:
                raise IBMQAccountCredentialsInvalidUrl(
                    f"The login reply of {shown} has no access token."
                ) from None
            session.set_access_token(login.id, *secrets)

            async def relogin() -> None:
                again = await auth.login(token)
                session.set_access_token(again.id, *secrets)

            session.relogin = relogin
            user = await auth.user_info()
            hubs = await auth.hubs(user.urls.http)
            providers = []
            for hgp in ordered_projects(hubs):
                api = AsyncProjectApi(session, ProjectPaths(user.urls.http, hgp), user.urls.ws)
                provider = AsyncAccountProvider(
                    api, idempotency_keys=honours_idempotency_keys(version)
                )
                await provider._discover()
                providers.append(provider)
        except IBMQApiError as exc:
            if _unreachable(exc):
                raise IBMQAccountConnectionError.wrap(
                    exc, f"Could not connect to the IBM Quantum service at {shown}"
                ) from None
            raise
        return providers

    def _choose(
        self, providers: list[AsyncAccountProvider], credentials: Credentials
    ) -> AsyncAccountProvider | None:
        """The provider the credentials select, or the default one."""
        hub, group, project = credentials.hub, credentials.group, credentials.project
        if hub is None and group is None and project is None:
            if not providers:
                logger.warning("No hub/group/project is available to this account.")
                return None
            return providers[0]
        try:
            return self._select(providers, hub, group, project)
        except IBMQProviderError as exc:
            if credentials.source == stored_credentials.ENVIRONMENT_SOURCE:
                raise IBMQProviderError(
                    f"The provider that QE_HUB, QE_GROUP and QE_PROJECT select could not be "
                    f"found: {exc}"
                ) from None
            if credentials.source != "arguments":
                raise IBMQProviderError(
                    f"The default provider (hub/group/project) stored in {credentials.source} "
                    f"could not be found: {exc} To change it, use save_account(overwrite=True) "
                    "with the provider you would like to save."
                ) from None
            raise

    # -- the enabled account ------------------------------------------------------------------

    async def disable_account(self) -> None:
        """Disable the account currently in use for the session, and close its connections.

        Raises:
            IBMQAccountCredentialsNotFound: no account is in use for the session.
        """
        if self._account is None or self._session is None:
            raise IBMQAccountCredentialsNotFound(
                "No IBM Quantum account is in use for the session."
            )
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
        """Return the IBM Quantum account currently in use for the session.

        Returns:
            ``{"token", "url"}`` of the account in use, or ``None``.
        """
        return dict(self._account) if self._account is not None else None

    def providers(
        self, hub: str | None = None, group: str | None = None, project: str | None = None
    ) -> list[AsyncAccountProvider]:
        """Return a list of providers, subject to optional filtering.

        Args:
            hub: Name of the hub.
            group: Name of the group.
            project: Name of the project.

        Returns:
            A list of providers that match the specified criteria, the default first.

        Raises:
            IBMQAccountCredentialsNotFound: no account is enabled.
        """
        if self._account is None:
            raise IBMQAccountCredentialsNotFound(
                "No IBM Quantum account is in use for the session."
            )
        return _matching(self._providers, hub, group, project)

    def get_provider(
        self, hub: str | None = None, group: str | None = None, project: str | None = None
    ) -> AsyncAccountProvider:
        """Return a provider for a single hub/group/project combination.

        Args:
            hub: Name of the hub.
            group: Name of the group.
            project: Name of the project.

        Returns:
            A provider that matches the specified criteria.

        Raises:
            IBMQProviderError: no provider matches the specified criteria, or more than one.
            IBMQAccountCredentialsNotFound: no account is enabled.
        """
        self.providers()  # no account: IBMQAccountCredentialsNotFound
        return self._select(self._providers, hub, group, project)

    @staticmethod
    def _select(
        providers: list[AsyncAccountProvider],
        hub: str | None,
        group: str | None,
        project: str | None,
    ) -> AsyncAccountProvider:
        found = _matching(providers, hub, group, project)
        if len(found) != 1:
            what = "No provider matches" if not found else "More than one provider matches"
            raise IBMQProviderError(f"{what} hub={hub!r}, group={group!r}, project={project!r}.")
        return found[0]

    # -- credentials on disk (no network) ----------------------------------------------------

    @staticmethod
    def save_account(
        token: str,
        url: str = QX_AUTH_URL,
        hub: str | None = None,
        group: str | None = None,
        project: str | None = None,
        overwrite: bool = False,
        *,
        proxies: dict[str, Any] | None = None,
        verify: bool = True,
    ) -> None:
        """Save the account to disk for future use.

        The file is ``~/.qiskit/qiskitrc`` (or the path in ``QISKITRC``), in the format of
        qiskit-ibmq-provider, written atomically and readable by its owner only. Any
        http(s) URL can be saved, so a local or private service works too.

        Note:
            If storing a default provider to disk, all three parameters
            ``hub``, ``group``, ``project`` must be specified.

        Args:
            token: IBM Quantum token.
            url: URL for the IBM Quantum authentication server.
            hub: Name of the hub for the default provider to store on disk.
            group: Name of the group for the default provider to store on disk.
            project: Name of the project for the default provider to store on disk.
            overwrite: Overwrite existing credentials.
            proxies: Proxy configuration for the server.
            verify: If False, ignores SSL certificates errors.

        Raises:
            IBMQAccountCredentialsInvalidUrl: the ``url`` is not an http(s) URL.
            IBMQAccountCredentialsInvalidToken: the ``token`` is not a non-empty string.
            IBMQAccountValueError: only one or two of ``hub``, ``group``, ``project`` are
                specified, or ``proxies`` or ``verify`` are invalid.
            IBMQAccountCredentialsInvalidFormat: the existing file cannot be parsed.
            IBMQAccountError: the file cannot be written.
        """
        _check_url(token, url)
        check_provider_fields(hub, group, project, all_or_none=True)
        if not isinstance(overwrite, bool):
            raise IBMQAccountValueError(f"overwrite must be True or False, not {overwrite!r}.")
        credentials = Credentials(
            token,
            url,
            hub,
            group,
            project,
            proxies=check_proxies(proxies),
            verify=check_verify(verify),
        )
        file = qiskitrc.path()
        text = qiskitrc.read(file)
        if not overwrite and stored_credentials.SECTION in stored_credentials.parse(
            text, str(file)
        ):
            logger.warning(
                "Credentials already present in %s. Set overwrite=True to overwrite.", file
            )
            return
        qiskitrc.write(file, stored_credentials.render(text, credentials, str(file)))

    @staticmethod
    def delete_account() -> None:
        """Delete the saved account from disk.

        Raises:
            IBMQAccountCredentialsNotFound: no IBM Quantum credentials are found on disk.
            IBMQAccountMultipleCredentialsFound: multiple IBM Quantum credentials are found
                on disk.
            IBMQAccountCredentialsInvalidFormat: the file cannot be parsed.
        """
        file = qiskitrc.path()
        text = qiskitrc.read(file)
        section, _ = stored_credentials.stored_one(
            stored_credentials.parse(text, str(file)), str(file)
        )
        qiskitrc.write(file, stored_credentials.remove(text, section, str(file)))

    @staticmethod
    def account_file() -> Path:
        """The file :meth:`save_account` writes and :meth:`load_account` reads:
        ``~/.qiskit/qiskitrc``, or the path in ``QISKITRC``. It may not exist yet."""
        return qiskitrc.path()

    @staticmethod
    def stored_account() -> dict[str, str]:
        """List the account stored on disk.

        Returns:
            ``{"token", "url"}`` of the account stored on disk, or ``{}`` if there is none.

        Raises:
            IBMQAccountMultipleCredentialsFound: multiple IBM Quantum credentials are found
                on disk.
            IBMQAccountCredentialsInvalidFormat: the file cannot be parsed.
        """
        file = qiskitrc.path()
        stored = qiskitrc.load(file)
        if not stored:
            return {}
        _, credentials = stored_credentials.stored_one(stored, str(file))
        return {"token": credentials.token, "url": credentials.url}

    @staticmethod
    def update_account(force: bool = False) -> Credentials | None:
        """Interactive helper for migrating stored credentials to IBM Quantum Experience v2.

        Credentials of the retired v1 API (one ``[ibmq_hub_group_project]`` section per
        project) become one ``[ibmq]`` section with the v2 authentication URL; the function
        shows the changes and asks for confirmation before overwriting the file. Credentials
        of any other URL are left alone. No network.

        Args:
            force: If ``True``, disable interactive prompts and perform the changes.

        Returns:
            The credentials for IBM Quantum Experience v2 if updating is successful or
            ``None`` otherwise.
        """
        file = qiskitrc.path()
        text = qiskitrc.read(file)
        stored = stored_credentials.parse(text, str(file))
        plan = stored_credentials.migration(stored)
        print(f"Found {len(stored)} credentials.")
        warnings = ["", "Warnings:", *plan.warnings] if plan.warnings else []
        if plan.credentials is None:
            print(
                "No credentials available for updating could be found. No action will be performed."
            )
            print("\n".join(warnings))
            return None
        print(
            "The credentials stored will be replaced with a single entry with the token of "
            f"the first v1 account and the new IBM Quantum Experience v2 URL ({QX_AUTH_URL})."
        )
        if plan.credentials.proxies:
            print("The existing proxy configuration will be preserved.")
        print("\n".join(warnings))
        print(
            "\nIn order to access the provider, please use the new IBMQ.get_provider() "
            "methods:\n\n  provider0 = IBMQ.load_account()"
        )
        for number, (hub, group, project) in enumerate(plan.providers, 1):
            print(
                f"  provider{number} = IBMQ.get_provider(hub={hub!r}, group={group!r}, "
                f"project={project!r})"
            )
        if not force and input("\nUpdate the credentials? [y/N]: ") not in ("y", "Y"):
            return None
        for section in stored:
            text = stored_credentials.remove(text, section, str(file))
        qiskitrc.write(file, stored_credentials.render(text, plan.credentials, str(file)))
        return plan.credentials


def _matching(
    providers: list[AsyncAccountProvider],
    hub: str | None,
    group: str | None,
    project: str | None,
) -> list[AsyncAccountProvider]:
    return [
        p
        for p in providers
        if (hub is None or p.hub == hub)
        and (group is None or p.group == group)
        and (project is None or p.project == project)
    ]


def _check_url(token: Any, url: Any) -> None:
    """``check_credentials``, and a port that is a number (httpx refuses any other)."""
    check_credentials(token, url)
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise IBMQAccountCredentialsInvalidUrl(f"Not a valid URL: {redact_url(url)}") from None


def _unreachable(error: IBMQApiError) -> bool:
    """Whether no reply came at all (connection refused, DNS, timeout), rather than a bad one."""
    return error.status_code == -1 and not isinstance(error, IBMQApiProtocolError)


AsyncIBMQ = AsyncIBMQFactory()
"""The process-wide account factory."""
