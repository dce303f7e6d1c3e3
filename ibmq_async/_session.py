"""The HTTP session of one account: one pooled httpx client, headers, timeouts and retries.

Only the endpoint layer (``_rest``) calls it; it knows nothing of the API's documents.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from ._acompat import Limiter, Relogin, monotonic, sent_trace, sleep
from ._core import errors
from ._core.defaults import CLIENT_APPLICATION, CONNECTION_POOL, ReplyLimits, Timeouts
from ._core.retry import RetryPolicy, effective_policy

logger = logging.getLogger(__name__)


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
        limits: ReplyLimits | None = None,
    ) -> None:
        self._verify = verify
        self._proxy = proxy
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.limits = limits or ReplyLimits()
        """How much of a reply is read, and how deeply its JSON may nest."""
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._slots: Limiter | None = None
        self._pid = os.getpid()
        self._access_token: str | None = None
        self._secrets: tuple[str, ...] = ()
        self.relogin: Relogin | None = None
        """Set once logged in: gets a new access token when the server answers 401."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} authenticated={self._access_token is not None}>"

    def set_access_token(self, token: str, *also_secret: str) -> None:
        """Authenticate later requests; ``token`` and ``also_secret`` are kept out of errors."""
        self._access_token = token
        self._secrets = (token, *also_secret)

    @property
    def access_token(self) -> str | None:
        """The access token, for the status websocket's authentication message."""
        return self._access_token

    @property
    def secrets(self) -> tuple[str, ...]:
        """The strings kept out of error messages (tokens)."""
        return self._secrets

    def add_secret(self, secret: str) -> None:
        """Keep ``secret`` out of every error message."""
        self._secrets = (*self._secrets, secret)

    @property
    def client(self) -> httpx.AsyncClient:
        """The underlying httpx client, created on first use.

        A forked child gets a client of its own: the parent's pooled connections are the
        parent's (their sockets are shared after a fork), so the child leaves them alone.
        """
        if self._pid != os.getpid():
            self._client = None
            self._pid = os.getpid()
        if self._client is None:
            self._slots = Limiter(CONNECTION_POOL.max_connections or 20)
            self._client = httpx.AsyncClient(
                verify=self._verify,
                proxy=self._proxy,
                transport=self._transport,
                timeout=self.timeouts.for_api(),
                limits=CONNECTION_POOL,
                headers={"X-Qx-Client-Application": CLIENT_APPLICATION},
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._client is not None and self._pid == os.getpid():
            await self._client.aclose()
            self._client = None

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticated: bool = True,
        storage: bool = False,
        idempotent: bool = True,
        on_sent: Callable[[], None] | None = None,
    ) -> httpx.Response:
        """Send a request with the retry policy; return the successful reply, read.

        ``idempotent=False`` retries only failures that provably happened before the request
        reached the server. The body is read up to the session's ``limits`` (``storage``
        for object storage, ``api`` otherwise); redirects are never followed. ``headers`` go
        with the request (the session's own access token and content type win). ``on_sent``
        is called each time the request has been written out whole (on every try), so that a
        caller may go on with other work while the server answers.

        Raises:
            ReplyRefused: a redirect, or a reply over its size limit (see ``_core.errors``).
            RequestsApiError: on an error status or when no reply came, after the retries.
        """
        policy = effective_policy(self.retry)
        if not idempotent:
            policy = dataclasses.replace(policy, idempotent=False)
        sent: dict[str, str] = dict(headers or {})
        if authenticated and self._access_token is not None:
            sent["X-Access-Token"] = self._access_token
        if content is not None:
            sent["Content-Type"] = "application/json"
        request = self.client.build_request(
            method,
            url,
            content=content,
            params=params,
            headers=sent,
            timeout=self.timeouts.for_storage() if storage else self.timeouts.for_api(),
        )
        if on_sent is not None:
            request.extensions["trace"] = sent_trace(on_sent)

        def wait(state: RetryCallState) -> float:
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            hint = (
                error.response.headers.get("Retry-After")
                if isinstance(error, _RetryableStatus)
                else None
            )
            seconds = policy.wait(state.attempt_number, hint)
            logger.debug(
                "retrying %s %s in %.2f s after %r", method, request.url.path, seconds, error
            )
            return seconds

        def retryable(error: BaseException) -> bool:
            if isinstance(error, _RetryableStatus):
                return True
            return policy.retries_exception(error)

        started = monotonic()
        tries = 0
        outcome: httpx.Response | BaseException | None = None
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(policy.attempts),
                wait=wait,
                retry=retry_if_exception(retryable),
                sleep=sleep,
                reraise=True,
            ):
                with attempt:
                    tries += 1
                    outcome = None
                    response = await self._send_in_turn(request, storage)
                    outcome = response
                    if response.is_success:
                        return response
                    if policy.retries_status(response.status_code):
                        raise _RetryableStatus(response)
                    raise errors.from_response(response, self._secrets)
        except _RetryableStatus as exc:
            raise errors.from_response(exc.response, self._secrets) from None
        except httpx.TransportError as exc:
            outcome = exc
            raise errors.from_transport(exc, request, self._secrets) from None
        finally:
            _log_request(request, outcome, monotonic() - started, tries)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_in_turn(self, request: httpx.Request, storage: bool) -> httpx.Response:
        """:meth:`_receive`, once one of the pool's connections is this request's to use.

        Requests beyond the pool's size wait here, not in httpcore's queue: httpcore matches
        each queued request against each connection whenever one frees, so a burst of a
        hundred result downloads spent the client's CPU in that bookkeeping.
        """
        _ = self.client  # creates the slots with the client (again, after a fork)
        slots = self._slots
        assert slots is not None
        async with slots.hold():
            return await self._receive(request, storage)

    async def _receive(self, request: httpx.Request, storage: bool) -> httpx.Response:
        """Send ``request`` and read its reply within the size limits.

        A success is read whole up to its limit, or refused; an error reply is read up to
        ``limits.error_body`` bytes, enough for its message, and the rest is dropped. The
        limit counts decoded bytes, so a small compressed body cannot expand past it.
        """
        response = await self.client.send(request, stream=True)
        try:
            if response.is_redirect or 300 <= response.status_code < 400:
                raise errors.redirected(response)
            success = response.is_success
            limit = (
                (self.limits.storage if storage else self.limits.api)
                if success
                else self.limits.error_body
            )
            declared = response.headers.get("content-length", "")
            if success and declared.isdigit() and int(declared) > limit:
                raise errors.too_large(response, limit)
            chunks: list[bytes] = []
            size = 0
            # unasync: async-only
            body = response.aiter_bytes()
            # unasync: end
            # unasync: sync-only
            # body = response.iter_bytes()
            # unasync: end
            async for chunk in body:
                size += len(chunk)
                if size > limit:
                    if success:
                        raise errors.too_large(response, limit)
                    chunks.append(chunk[: limit - (size - len(chunk))])
                    break
                chunks.append(chunk)
        finally:
            await response.aclose()
        # The body is decoded already: the new reply must not claim an encoding.
        headers = [
            (key, value)
            for key, value in response.headers.multi_items()
            if key.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=request,
            extensions=response.extensions,
        )


def _log_request(
    request: httpx.Request,
    outcome: httpx.Response | BaseException | None,
    seconds: float,
    tries: int,
) -> None:
    """One DEBUG line per request: method, path (never the query, which may hold a signature),
    status, duration, retries and the server's request id. No header is logged."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    if isinstance(outcome, httpx.Response):
        status: str = str(outcome.status_code)
        request_id = next(
            (outcome.headers[h] for h in errors.REQUEST_ID_HEADERS if h in outcome.headers), "-"
        )
    else:
        status = type(outcome).__name__ if outcome is not None else "no reply"
        request_id = "-"
    logger.debug(
        "%s %s -> %s in %.1f ms, %d retries, request id %s",
        request.method,
        request.url.path,
        status,
        seconds * 1000,
        max(tries - 1, 0),
        request_id,
    )
