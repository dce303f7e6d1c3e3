"""Hostile replies: huge or endless bodies, compression bombs, deep nesting, the wrong content
type, redirects to other hosts, odd JSON (respx, no real server).

Each gives the endpoint family's typed error (``IBMQ*ApiProtocolError`` for a reply the
client will not take), reads no more than the session's ``ReplyLimits`` allow, and follows no
redirect. ``test_malformed_replies.py`` covers missing fields and wrong types per endpoint.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from ibmq_async import (
    AsyncIBMQFactory,
    IBMQAccountError,
    IBMQBackendApiError,
    IBMQBackendApiProtocolError,
    IBMQJobApiError,
    IBMQJobApiProtocolError,
    RetryPolicy,
)
from ibmq_async._core.defaults import MIB, ReplyLimits
from ibmq_async._core.endpoints import HubGroupProject, ProjectPaths
from ibmq_async._rest import AsyncProjectApi
from ibmq_async._session import AsyncSession
from ibmq_async.models import BackendRef, JobCreateRequest

AUTH = "https://auth.example.test/api"
HTTP = "https://api.example.test/api"
HGP = f"{HTTP}/Network/h/Groups/g/Projects/p"
JOB = f"{HGP}/Jobs/job1"
STORAGE = "https://storage.example.test/result?sig=very-secret-signature"
ELSEWHERE = "https://evil.example.test/steal?sig=other-secret"
FAST = RetryPolicy(attempts=2, backoff=0.001, max_backoff=0.002, jitter=0.0)
DOCUMENT = {"id": "job1", "creationDate": "2023-02-01T10:00:00Z", "status": "QUEUED"}
CHUNK = b" " * 65536


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mocked:
        yield mocked


@pytest.fixture
async def small() -> AsyncIterator[AsyncProjectApi]:
    """Endpoints over a session whose limits are small: 4 KiB for the API, 64 KiB for
    storage, 1 KiB of an error body, 20 levels of nesting."""
    limits = ReplyLimits(api=4096, storage=65536, error_body=1024, depth=20)
    session = AsyncSession(retry=FAST, limits=limits)
    yield AsyncProjectApi(session, ProjectPaths(HTTP, HubGroupProject("h", "g", "p")))
    await session.aclose()


@pytest.fixture
async def default() -> AsyncIterator[AsyncProjectApi]:
    """Endpoints over a session with the default limits."""
    session = AsyncSession(retry=FAST)
    yield AsyncProjectApi(session, ProjectPaths(HTTP, HubGroupProject("h", "g", "p")))
    await session.aclose()


class Endless:
    """A body that never ends, counting the chunks the client took; ``chunks()`` makes a
    fresh stream of it per request."""

    def __init__(self, prefix: bytes = b"") -> None:
        self.taken = 0
        self.prefix = prefix

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.prefix:
            yield self.prefix
        while True:
            self.taken += 1
            yield CHUNK


def _assert_clean(error: Exception) -> None:
    text = str(error)
    assert len(text) < 2000, text
    assert "very-secret-signature" not in text and "other-secret" not in text, text


# -- size limits -------------------------------------------------------------------------------


async def test_an_endless_api_reply_is_cut_at_the_limit(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    body = Endless(b'{"id": "')
    router.get(f"{JOB}/v/1").mock(side_effect=lambda _: httpx.Response(200, content=body.chunks()))
    with pytest.raises(IBMQJobApiProtocolError, match="larger than 4096 bytes") as raised:
        await small.job_get("job1")
    assert body.taken <= 2  # stopped at the limit, not at the end (there is none)
    _assert_clean(raised.value)


async def test_a_declared_length_over_the_limit_is_refused_unread(
    router: respx.MockRouter, default: AsyncProjectApi
) -> None:
    body = Endless()
    headers = {"content-length": str(100 * MIB), "content-type": "application/json"}
    router.get(f"{HGP}/devices/v/1").mock(
        side_effect=lambda _: httpx.Response(200, content=body.chunks(), headers=headers)
    )
    with pytest.raises(IBMQBackendApiProtocolError, match=f"larger than {64 * MIB} bytes"):
        await default.devices()
    assert body.taken == 0


async def test_the_default_api_limit_is_64_mib(
    router: respx.MockRouter, default: AsyncProjectApi
) -> None:
    body = Endless(b"[")
    router.get(f"{JOB}/status/v/1").mock(
        side_effect=lambda _: httpx.Response(200, content=body.chunks())
    )
    with pytest.raises(IBMQJobApiProtocolError, match=f"larger than {64 * MIB} bytes"):
        await default.job_status("job1")
    assert body.taken == 64 * MIB // len(CHUNK)  # the prefix tipped the last chunk over


async def test_a_compression_bomb_is_cut_at_the_decoded_limit(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    bomb = gzip.compress(b"[" + b"0," * 5_000_000 + b"0]")
    assert len(bomb) < 50_000
    router.get(f"{HGP}/Jobs/status/v/1").respond(
        200, content=bomb, headers={"content-encoding": "gzip", "content-type": "application/json"}
    )
    with pytest.raises(IBMQBackendApiProtocolError, match="larger than 4096 bytes"):
        await small.jobs({"limit": 1})


async def test_storage_downloads_have_their_own_larger_limit(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    result = {"results": [], "padding": "x" * 20_000}
    router.get(STORAGE).respond(json=result, headers={"content-type": "binary/octet-stream"})
    assert (await small.job_result("job1", STORAGE))["padding"] == result["padding"]
    router.get(f"{JOB}/v/1").respond(json={**DOCUMENT, "padding": "x" * 20_000})
    with pytest.raises(IBMQJobApiProtocolError, match="larger than 4096"):
        await small.job_get("job1")
    body = Endless(b'{"results": [')
    router.get(STORAGE).mock(side_effect=lambda _: httpx.Response(200, content=body.chunks()))
    with pytest.raises(IBMQJobApiProtocolError, match="larger than 65536") as raised:
        await small.job_result("job1", STORAGE)
    assert body.taken <= 2
    _assert_clean(raised.value)


async def test_an_endless_error_body_is_read_only_for_its_message(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    body = Endless(b"<html>gateway says no")
    router.post(f"{JOB}/cancel").mock(
        side_effect=lambda _: httpx.Response(400, content=body.chunks())
    )
    with pytest.raises(IBMQJobApiError) as raised:
        await small.job_cancel("job1")
    assert raised.value.status_code == 400
    assert "gateway says no" in str(raised.value)
    assert body.taken <= 1
    _assert_clean(raised.value)


# -- nesting and odd JSON --------------------------------------------------------------------


def _nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


async def test_nesting_deeper_than_the_limit_is_a_protocol_error(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    route = router.get(f"{JOB}/v/1")
    route.respond(200, text=json.dumps({**DOCUMENT, "extra": json.loads(_nested(25))}))
    with pytest.raises(IBMQJobApiProtocolError, match="more than 20 levels"):
        await small.job_get("job1")
    route.respond(200, text=json.dumps({**DOCUMENT, "extra": json.loads(_nested(15))}))
    assert (await small.job_get("job1")).id == "job1"


async def test_default_depth_limit_catches_what_json_itself_can_parse(
    router: respx.MockRouter, default: AsyncProjectApi
) -> None:
    # 500 levels parse without a RecursionError, yet would overflow later recursive code.
    router.get(f"{JOB}/status/v/1").respond(
        200, text="[" * 500 + "]" * 500, headers={"content-type": "application/json"}
    )
    with pytest.raises(IBMQJobApiProtocolError, match="more than 100 levels"):
        await default.job_status("job1")


@pytest.mark.parametrize(
    ("body", "what"),
    [
        (b"\xef\xbb\xbf{}", "a byte-order mark"),
        (b'{"maximumJobs": ' + b"9" * 5000 + b"}", "a 5000-digit number"),
        (b"\xff\xfe\x00{", "invalid UTF-8"),
        (b'{"maximumJobs": NaN, "runningJobs": Infinity}', "NaN and Infinity"),
        (b'{"maximumJobs": 5, "runningJobs": 1', "a truncated object"),
        (b"null", "null"),
        (b'{"maximumJobs": [[[[5]]]], "runningJobs": {"a": 1}}', "containers for numbers"),
        (b'{"maximumJobs": "5; DROP TABLE", "runningJobs": 0}', "a string for a number"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
async def test_odd_json_is_a_protocol_error(
    router: respx.MockRouter, small: AsyncProjectApi, body: bytes, what: str
) -> None:
    router.get(f"{HGP}/devices/dev/jobsLimit").respond(
        200, content=body, headers={"content-type": "application/json"}
    )
    with pytest.raises(IBMQBackendApiProtocolError):
        await small.backend_job_limit("dev")


# -- content types -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/html", "application/xml", "image/png"])
async def test_an_api_reply_that_is_not_json_by_type_is_refused(
    router: respx.MockRouter, small: AsyncProjectApi, content_type: str
) -> None:
    # A captive portal or a misrouted gateway: the body even parses, the type says otherwise.
    router.get(f"{JOB}/v/1").respond(200, text=json.dumps(DOCUMENT), content_type=content_type)
    with pytest.raises(IBMQJobApiProtocolError, match=f"content type '{content_type}'"):
        await small.job_get("job1")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "application/problem+json", ""],
)
async def test_json_content_types_are_accepted(
    router: respx.MockRouter, small: AsyncProjectApi, content_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    router.get(f"{JOB}/v/1").respond(200, content=json.dumps(DOCUMENT).encode(), headers=headers)
    assert (await small.job_get("job1")).id == "job1"


# -- redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_is_a_protocol_error_and_is_not_followed(
    router: respx.MockRouter, small: AsyncProjectApi, status: int
) -> None:
    router.get(f"{JOB}/v/1").respond(status, headers={"location": ELSEWHERE})
    elsewhere = router.route(url__startswith="https://evil.example.test").respond(json=DOCUMENT)
    with pytest.raises(IBMQJobApiProtocolError, match="not followed") as raised:
        await small.job_get("job1")
    assert not elsewhere.called
    assert raised.value.status_code == status
    assert "https://evil.example.test" in str(raised.value)
    _assert_clean(raised.value)


async def test_job_creation_is_not_redirected_with_its_token(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    router.post(f"{HGP}/Jobs").respond(307, headers={"location": ELSEWHERE})
    elsewhere = router.route(url__startswith="https://evil.example.test").respond(json={})
    with pytest.raises(IBMQBackendApiProtocolError, match="not followed"):
        await small.job_create(JobCreateRequest(backend=BackendRef(name="dev")))
    assert not elsewhere.called


async def test_a_storage_download_is_not_redirected(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    router.get(STORAGE).respond(302, headers={"location": "/other"})
    with pytest.raises(IBMQJobApiProtocolError, match=r"storage\.example\.test"):
        await small.job_result("job1", STORAGE)


async def test_a_login_redirected_elsewhere_enables_no_account(router: respx.MockRouter) -> None:
    router.get(f"{AUTH}/version").respond(json={"api-auth": "0.1"})
    router.post(f"{AUTH}/users/loginWithToken").respond(308, headers={"location": ELSEWHERE})
    elsewhere = router.route(url__startswith="https://evil.example.test").respond(json={"id": "x"})
    accounts = AsyncIBMQFactory()
    with pytest.raises(IBMQAccountError):
        await accounts.enable_account("the-api-token", url=AUTH, retry=FAST)
    assert not elsewhere.called
    assert accounts.active_account() is None


# -- URLs in replies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://storage.example.test/x", "/relative/path", "http://"]
)
async def test_a_download_url_that_is_not_http_is_a_protocol_error(
    router: respx.MockRouter, small: AsyncProjectApi, url: str
) -> None:
    router.get(f"{JOB}/resultDownloadUrl").respond(json={"url": url})
    router.get(f"{JOB}/jobDownloadUrl").respond(json={"url": url})
    with pytest.raises(IBMQJobApiProtocolError, match="not an http"):
        await small.job_result_url("job1")
    with pytest.raises(IBMQJobApiProtocolError, match="not an http"):
        await small.job_qobj_url("job1")


async def test_the_user_facing_result_call_gives_the_typed_error(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    from ibmq_async import AsyncIBMQJob, AsyncIBMQRetiredBackend
    from ibmq_async.models import JobDocument

    done = {**DOCUMENT, "status": "COMPLETED"}
    backend = AsyncIBMQRetiredBackend.named("dev", small, None)
    job = AsyncIBMQJob(backend, small, JobDocument.model_validate(done))
    router.get(f"{JOB}/resultDownloadUrl").respond(json={"url": STORAGE})
    router.get(STORAGE).respond(200, text="[" * 300 + "]" * 300)
    with pytest.raises(IBMQJobApiProtocolError, match="more than 20 levels"):
        await job.result()
    router.get(STORAGE).respond(301, headers={"location": ELSEWHERE})
    with pytest.raises(IBMQJobApiProtocolError, match="not followed"):
        await job.result()
    router.get(STORAGE).respond(500, text="x" * 100_000)
    with pytest.raises(IBMQJobApiError) as raised:
        await job.result()
    assert len(str(raised.value)) < 2000


def test_limits_are_data_with_documented_defaults() -> None:
    limits = ReplyLimits()
    assert (limits.api, limits.storage, limits.depth) == (64 * MIB, 1024 * MIB, 100)
    assert limits.error_body < limits.api < limits.storage


async def test_a_backend_error_reply_over_the_error_limit_keeps_its_code(
    router: respx.MockRouter, small: AsyncProjectApi
) -> None:
    # The error body is read up to its limit: a normal error document fits and keeps its code.
    error: dict[str, Any] = {"error": {"code": 3458, "message": "Job limit reached"}}
    router.post(f"{HGP}/Jobs").respond(400, json=error)
    with pytest.raises(IBMQBackendApiError) as raised:
        await small.job_create(JobCreateRequest(backend=BackendRef(name="dev")))
    assert raised.value.error_code == 3458
