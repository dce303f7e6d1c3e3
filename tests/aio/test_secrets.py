"""Secrets stay secret: a whole session against the real local service, with every logger at
DEBUG (httpx, httpcore and websockets included), leaves neither the API token nor the access
token in a log record, a repr, an exception message or a URL; credentials go only to the
auth and API endpoints, never to presigned storage URLs; TLS verification is on by default and
redirects are not followed.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from known_circuits import bell

from ibmq_async import (
    AsyncIBMQFactory,
    IBMQAccountCredentialsInvalidToken,
    IBMQBackendApiError,
    IBMQError,
    IBMQJobFailureError,
)
from ibmq_async._session import AsyncSession


class Capture(logging.Handler):
    """Every record of every logger, formatted as a handler would, tracebacks included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))
        self.texts.append(f"{record.name} {record.args!r} {record.exc_text or ''}")


@pytest.fixture
def all_logs() -> Iterator[Capture]:
    """A handler on the root logger and on every logger that does not propagate, with every
    logger set to DEBUG for the test."""
    capture = Capture()
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [
        logger for logger in manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    levels = {logger: logger.level for logger in loggers}
    attached = [
        logger for logger in loggers if logger is logging.getLogger() or not logger.propagate
    ]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    for logger in attached:
        logger.addHandler(capture)
    yield capture
    for logger in attached:
        logger.removeHandler(capture)
    for logger, level in levels.items():
        logger.setLevel(level)


# unasync: async-only
class Recorder(httpx.AsyncHTTPTransport):
    """The real transport, recording each request sent."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await super().handle_async_request(request)


# unasync: end
# unasync: sync-only
# class Recorder(httpx.HTTPTransport):
#     """The real transport, recording each request sent."""
#
#     def __init__(self) -> None:
#         super().__init__()
#         self.requests: list[httpx.Request] = []
#
#     def handle_request(self, request: httpx.Request) -> httpx.Response:
#         self.requests.append(request)
#         return super().handle_request(request)
#
#
# unasync: end


SERVICE_LOGGERS = ("uvicorn", "ibmq_local", "fastapi", "starlette", "websockets.server")
"""Loggers of the embedded local service, not of the client."""


async def test_a_full_session_shows_no_token_anywhere(
    local_service: Any, all_logs: Capture
) -> None:
    token = local_service.token
    recorder = Recorder()
    seen: list[Any] = []
    errors: list[BaseException] = []
    accounts = AsyncIBMQFactory()
    try:
        provider = await accounts.enable_account(
            token, url=local_service.auth_url, transport=recorder
        )
        assert provider is not None
        session = provider._api._session
        access = session.access_token
        assert access and access != token
        simulator = provider.get_backend("ibmq_qasm_simulator")
        device = provider.get_backend("ibmq_manila")
        seen += [accounts, provider, simulator, device, session, provider._api, provider.backend]
        await device.status()
        await device.properties()
        job = await simulator.run(bell(), shots=50, job_name="secrets", job_tags=["s"])
        result = await job.result(timeout=120)
        assert sum(result.get_counts().values()) == 50
        seen += [job, result, job.document(), await job.status()]
        seen += await provider.jobs(limit=5)
        seen += await simulator.jobs(limit=5, job_tags=["s"])
        await job.update_name("renamed")
        await job.circuits()
        other = await simulator.run(bell(), shots=20)
        seen.append(other)
        try:
            await other.cancel()
        except IBMQError as exc:  # it may have finished already
            errors.append(exc)
        await other.wait_for_final_state(timeout=120)
        with pytest.raises(IBMQBackendApiError) as missing:
            await provider.backend.retrieve_job("0" * 24)
        errors.append(missing.value)
        failing = await device.run(bell(), shots=10, validate=False)  # h is no manila gate
        with pytest.raises(IBMQJobFailureError) as failed:
            await failing.result(timeout=120)
        errors.append(failed.value)
        seen.append(failing)
    finally:
        await accounts.aclose()
    refused = AsyncIBMQFactory()
    with pytest.raises(IBMQAccountCredentialsInvalidToken) as wrong:
        await refused.enable_account(token + "-wrong", url=local_service.auth_url)
    errors.append(wrong.value)

    # The local service runs in this process; its own records are judged apart below.
    service = [text for text in all_logs.texts if text.startswith(SERVICE_LOGGERS)]
    client = [text for text in all_logs.texts if not text.startswith(SERVICE_LOGGERS)]
    texts = [*client, *map(repr, seen), *map(str, seen)]
    texts += [text for error in errors for text in (str(error), repr(error), repr(error.args))]
    texts += [str(request.url) for request in recorder.requests]
    assert len(all_logs.texts) > 50  # the capture did see the session (httpx logs each request)
    assert any("httpx" in text for text in all_logs.texts)
    for secret in (token, access):
        leaks = [text for text in texts if secret in text]
        assert not leaks, leaks[:3]

    # Credentials only where they belong.
    api_origin = str(provider._api._paths.base).split("/api")[0]
    storage_requests = 0
    for request in recorder.requests:
        sent = request.headers.get("x-access-token")
        if "signature=" in request.url.query.decode():  # a presigned object-storage URL
            storage_requests += 1
            assert sent is None, request.url
        if sent is not None:
            assert sent == access and str(request.url).startswith(api_origin), request.url
        if token.encode() in request.content:
            assert request.url.path.endswith("/users/loginWithToken"), request.url
    assert any(r.url.path.endswith("/users/loginWithToken") for r in recorder.requests)
    assert storage_requests >= 3  # uploads and result downloads were checked

    service_leaks = [text for text in service for secret in (token, access) if secret in text]
    assert service_leaks == []


def test_a_session_verifies_tls_by_default_and_follows_no_redirect() -> None:
    session = AsyncSession()
    client = session.client
    assert client.follow_redirects is False
    context = client._transport._pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    unverified = AsyncSession(verify=False).client._transport._pool._ssl_context
    assert unverified.verify_mode == ssl.CERT_NONE


async def test_enable_account_verifies_tls_unless_told_not_to(local_service: Any) -> None:
    accounts = AsyncIBMQFactory()
    provider = await accounts.enable_account(local_service.token, url=local_service.auth_url)
    assert provider is not None
    assert provider._api._session._verify is True
    await accounts.aclose()
    provider = await accounts.enable_account(
        local_service.token, url=local_service.auth_url, verify=False
    )
    assert provider is not None
    assert provider._api._session._verify is False
    await accounts.aclose()


def test_the_session_repr_shows_no_token() -> None:
    session = AsyncSession()
    session.set_access_token("an-access-token-value", "an-api-token-value")
    assert "token-value" not in repr(session)
    assert "token-value" not in str(vars(session).get("_client"))
