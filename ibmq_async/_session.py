"""The HTTP session of one account: one pooled httpx client, headers, timeouts and retries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from . import _errors
from ._acompat import sleep
from ._retry import RetryPolicy
from .exceptions import RequestsApiError


def _client_application() -> str:
    try:
        ours = version("ibmq-async")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        ours = "0"
    return f"ibmq-async/{ours}"


CLIENT_APPLICATION = _client_application()
"""The ``X-Qx-Client-Application`` header value."""


@dataclass(frozen=True)
class Timeouts:
    """Per request-kind timeouts, in seconds."""

    connect: float = 5.0
    api: float = 60.0
    """Read timeout of an ordinary API call."""
    storage: float = 600.0
    """Read/write timeout of an object-storage upload or download."""

    def for_api(self) -> httpx.Timeout:
        """Timeout of an API call."""
        return httpx.Timeout(self.api, connect=self.connect)

    def for_storage(self) -> httpx.Timeout:
        """Timeout of an object-storage transfer."""
        return httpx.Timeout(self.storage, connect=self.connect)


class _RetryableStatus(Exception):
    """A reply whose status the policy retries; carries the reply to the retry loop."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class AsyncSession:
    """One account's connection to the API: a lazily created, pooled ``httpx.AsyncClient``.

    The access token is sent as ``X-Access-Token`` once set, and never appears in an error.
    """

    def __init__(
        self,
        *,
        verify: bool = True,
        proxy: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._verify = verify
        self._proxy = proxy
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._access_token: str | None = None
        self._secrets: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} authenticated={self._access_token is not None}>"

    def set_access_token(self, token: str, *also_secret: str) -> None:
        """Authenticate later requests; ``token`` and ``also_secret`` are kept out of errors."""
        self._access_token = token
        self._secrets = (token, *also_secret)

    def add_secret(self, secret: str) -> None:
        """Keep ``secret`` out of every error message."""
        self._secrets = (*self._secrets, secret)

    @property
    def client(self) -> httpx.AsyncClient:
        """The underlying httpx client, created on first use."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                verify=self._verify,
                proxy=self._proxy,
                transport=self._transport,
                timeout=self.timeouts.for_api(),
                headers={"X-Qx-Client-Application": CLIENT_APPLICATION},
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        authenticated: bool = True,
        storage: bool = False,
        retry: RetryPolicy | None = None,
    ) -> httpx.Response:
        """Send a request with the retry policy; return the successful reply.

        Raises:
            RequestsApiError: on an error status or when no reply came, after the retries.
        """
        policy = retry or self.retry
        headers: dict[str, str] = {}
        if authenticated and self._access_token is not None:
            headers["X-Access-Token"] = self._access_token
        if json_body is not None:
            content = json.dumps(json_body).encode()
        if content is not None:
            headers["Content-Type"] = "application/json"
        request = self.client.build_request(
            method,
            url,
            content=content,
            params=params,
            headers=headers,
            timeout=self.timeouts.for_storage() if storage else self.timeouts.for_api(),
        )

        def wait(state: RetryCallState) -> float:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            hint = (
                error.response.headers.get("Retry-After")
                if isinstance(error, _RetryableStatus)
                else None
            )
            return policy.wait(state.attempt_number, hint)

        def retryable(error: BaseException) -> bool:
            if isinstance(error, _RetryableStatus):
                return True
            return policy.retries_exception(error)

        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(policy.attempts),
                wait=wait,
                retry=retry_if_exception(retryable),
                sleep=sleep,
                reraise=True,
            ):
                with attempt:
                    response = await self.client.send(request)
                    if response.is_success:
                        return response
                    if policy.retries_status(response.status_code):
                        raise _RetryableStatus(response)
                    raise _errors.from_response(response, self._secrets)
        except _RetryableStatus as exc:
            raise _errors.from_response(exc.response, self._secrets) from None
        except httpx.TransportError as exc:
            raise _errors.from_transport(exc, request, self._secrets) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request and decode its JSON reply.

        Raises:
            RequestsApiError: on failure, or when the reply is not JSON.
        """
        response = await self.request(method, url, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise RequestsApiError(
                f"Unrecognized reply from {method} {url}: not JSON ({response.text[:200]!r})",
                status_code=response.status_code,
            ) from None
