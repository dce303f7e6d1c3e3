"""Every endpoint method turns a malformed reply into a typed error (respx, no real server).

Not JSON, HTML error pages, JSON nested past the recursion limit, a list where an object
belongs (and the reverse), missing fields and wrong types: each gives the endpoint family's
error class, never a raw ``ValidationError``, ``KeyError``, ``TypeError``, ``AttributeError``,
``JSONDecodeError`` or ``RecursionError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx

from ibmq_async import (
    AsyncIBMQFactory,
    IBMQAccountApiError,
    IBMQAccountCredentialsInvalidUrl,
    IBMQApiCredentialsError,
    IBMQApiError,
    IBMQApiProtocolError,
    IBMQBackendApiCredentialsError,
    IBMQBackendApiError,
    IBMQBackendApiProtocolError,
    IBMQJobApiError,
    IBMQJobApiProtocolError,
    RetryPolicy,
)
from ibmq_async._core.endpoints import HubGroupProject, ProjectPaths
from ibmq_async._rest import AsyncAccountApi, AsyncProjectApi
from ibmq_async._session import AsyncSession

AUTH = "https://auth.example.test/api"
HTTP = "https://api.example.test/api"
HGP = f"{HTTP}/Network/h/Groups/g/Projects/p"
BK = f"{HGP}/devices/dev"
JOB = f"{HGP}/Jobs/job1"
STORAGE = "https://storage.example.test/object?sig=1"
FAST = RetryPolicy(attempts=2, backoff=0.001, max_backoff=0.002, jitter=0.0)

HTML = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
DEEP = "[" * 200_000 + "]" * 200_000
"""Valid JSON that ``json.loads`` cannot decode without exceeding the recursion limit."""

Call = Callable[[Any], Any]
ENDPOINTS: dict[str, tuple[str, str, Call, type[IBMQApiError]]] = {
    "version": ("GET", f"{AUTH}/version", lambda a: a.version(), IBMQAccountApiError),
    "login": ("POST", f"{AUTH}/users/loginWithToken", lambda a: a.login("t"), IBMQAccountApiError),
    "user_info": ("GET", f"{AUTH}/users/me", lambda a: a.user_info(), IBMQAccountApiError),
    "hubs": ("GET", f"{HTTP}/Network", lambda a: a.hubs(HTTP), IBMQAccountApiError),
    "devices": ("GET", f"{HGP}/devices/v/1", lambda p: p.devices(), IBMQBackendApiError),
    "backend_status": (
        "GET",
        f"{BK}/queue/status",
        lambda p: p.backend_status("dev"),
        IBMQBackendApiError,
    ),
    "backend_properties": (
        "GET",
        f"{BK}/properties",
        lambda p: p.backend_properties("dev"),
        IBMQBackendApiError,
    ),
    "backend_defaults": (
        "GET",
        f"{BK}/defaults",
        lambda p: p.backend_defaults("dev"),
        IBMQBackendApiError,
    ),
    "backend_job_limit": (
        "GET",
        f"{BK}/jobsLimit",
        lambda p: p.backend_job_limit("dev"),
        IBMQBackendApiError,
    ),
    "job_create": ("POST", f"{HGP}/Jobs", lambda p: p.job_create(_request()), IBMQBackendApiError),
    "job_upload": ("PUT", STORAGE, lambda p: p.job_upload(STORAGE, {}), IBMQBackendApiError),
    "job_data_uploaded": (
        "POST",
        f"{JOB}/jobDataUploaded",
        lambda p: p.job_data_uploaded("job1"),
        IBMQBackendApiError,
    ),
    "job_get": ("GET", f"{JOB}/v/1", lambda p: p.job_get("job1"), IBMQJobApiError),
    "job_status": ("GET", f"{JOB}/status/v/1", lambda p: p.job_status("job1"), IBMQJobApiError),
    "job_statuses": (
        "GET",
        f"{HGP}/Jobs/status/v/1",
        lambda p: p.job_statuses(["job1"]),
        IBMQJobApiError,
    ),
    "job_result_url": (
        "GET",
        f"{JOB}/resultDownloadUrl",
        lambda p: p.job_result_url("job1"),
        IBMQJobApiError,
    ),
    "job_result": ("GET", STORAGE, lambda p: p.job_result("job1", STORAGE), IBMQJobApiError),
    "job_result_downloaded": (
        "POST",
        f"{JOB}/resultDownloaded",
        lambda p: p.job_result_downloaded("job1"),
        IBMQJobApiError,
    ),
    "job_cancel": ("POST", f"{JOB}/cancel", lambda p: p.job_cancel("job1"), IBMQJobApiError),
    "jobs": ("GET", f"{HGP}/Jobs/status/v/1", lambda p: p.jobs({"limit": 1}), IBMQBackendApiError),
    "backend_reservations": (
        "GET",
        f"{HTTP}/Network/devices/dev/bookings/v2",
        lambda p: p.backend_reservations("dev"),
        IBMQBackendApiError,
    ),
    "job_update": (
        "PUT",
        JOB,
        lambda p: p.job_update("job1", {"name": "x"}),
        IBMQJobApiError,
    ),
    "job_qobj_url": (
        "GET",
        f"{JOB}/jobDownloadUrl",
        lambda p: p.job_qobj_url("job1"),
        IBMQJobApiError,
    ),
    "job_qobj": ("GET", STORAGE, lambda p: p.job_qobj("job1", STORAGE), IBMQJobApiError),
    "job_properties": (
        "GET",
        f"{JOB}/properties",
        lambda p: p.job_properties("job1"),
        IBMQJobApiError,
    ),
}

NOT_JSON = httpx.Response(200, text=HTML, headers={"content-type": "text/html"})
EMPTY = httpx.Response(200, content=b"")
DEEP_NESTING = httpx.Response(200, text=DEEP, headers={"content-type": "application/json"})
A_LIST = httpx.Response(200, json=[{"id": "x"}])
AN_OBJECT = httpx.Response(200, json={"id": "x"})
A_STRING = httpx.Response(200, json="hello")
HTML_500 = httpx.Response(500, text=HTML, headers={"content-type": "text/html"})
HTML_403 = httpx.Response(403, text=HTML, headers={"content-type": "text/html"})


def _bad(**fields: Any) -> httpx.Response:
    return httpx.Response(200, json=fields)


MALFORMED: list[tuple[str, str, httpx.Response]] = [
    *[
        (name, "not JSON", NOT_JSON)
        for name in ENDPOINTS
        if name not in ("job_upload", "job_result_downloaded")
    ],
    *[(name, "an HTML 500 page", HTML_500) for name in ENDPOINTS],
    *[
        (name, "JSON nested too deeply", DEEP_NESTING)
        for name in ENDPOINTS
        if name not in ("job_upload", "job_result_downloaded")
    ],
    ("version", "an empty body", EMPTY),
    ("version", "no api-auth", _bad(version="1")),
    ("login", "a list for an object", A_LIST),
    ("login", "a number for the token", _bad(id=5)),
    ("user_info", "missing urls", _bad(user="x")),
    ("user_info", "urls of the wrong type", _bad(urls=["http"])),
    ("hubs", "an object for a list", AN_OBJECT),
    ("hubs", "a hub without a name", httpx.Response(200, json=[{"groups": {}}])),
    ("hubs", "groups of the wrong type", httpx.Response(200, json=[{"name": "h", "groups": 3}])),
    ("devices", "an object for a list", AN_OBJECT),
    ("devices", "a string", A_STRING),
    ("backend_status", "a list for an object", A_LIST),
    ("backend_status", "a queue length of the wrong type", _bad(state=True, lengthQueue="many")),
    ("backend_properties", "a list for an object", A_LIST),
    ("backend_properties", "missing qubits", _bad(backend_version="1", gates=[])),
    ("backend_defaults", "a list for an object", A_LIST),
    ("backend_defaults", "frequencies of the wrong type", _bad(qubit_freq_est="x")),
    ("backend_job_limit", "missing fields", _bad(other=1)),
    ("backend_job_limit", "a string", A_STRING),
    ("job_create", "missing the upload URL", _bad(id="job1")),
    ("job_create", "a list for an object", A_LIST),
    ("job_data_uploaded", "no job document", _bad(status="CREATED")),
    ("job_data_uploaded", "a job of the wrong shape", _bad(job={"id": "job1", "status": 7})),
    ("job_get", "an unknown status", _bad(id="j", creationDate="2023-01-01", status="DANCING")),
    ("job_get", "a bad creation date", _bad(id="j", creationDate="yesterday", status="QUEUED")),
    ("job_get", "a list for an object", A_LIST),
    ("job_status", "missing status", _bad(infoQueue={})),
    ("job_status", "queue info of the wrong type", _bad(status="QUEUED", infoQueue=[1])),
    ("job_statuses", "an object for a list", AN_OBJECT),
    ("job_statuses", "an item without status", httpx.Response(200, json=[{"id": "job1"}])),
    ("job_result_url", "missing url", _bad(link="x")),
    ("job_result_url", "an empty body", EMPTY),
    ("job_result", "a list for an object", A_LIST),
    ("job_result", "results of the wrong type", _bad(results="all good")),
    ("job_result", "results that are not objects", _bad(results=[1, 2])),
    ("job_cancel", "a list for an object", A_LIST),
    ("job_cancel", "cancelled of the wrong type", _bad(cancelled="maybe")),
    ("backend_reservations", "an object for a list", AN_OBJECT),
    ("backend_reservations", "a booking without dates", httpx.Response(200, json=[{"id": 1}])),
    ("jobs", "an object for a list", AN_OBJECT),
    ("jobs", "an item without id", httpx.Response(200, json=[{"status": "QUEUED"}])),
    ("jobs", "a string", A_STRING),
    ("job_update", "a list for an object", A_LIST),
    ("job_qobj_url", "missing url", _bad(href="x")),
    ("job_qobj", "a list for an object", A_LIST),
    ("job_properties", "a list for an object", A_LIST),
    ("job_properties", "gates of the wrong type", _bad(backend_version="1", qubits=[], gates=3)),
    ("job_upload", "an HTML 403 page", HTML_403),
    ("job_result_downloaded", "an HTML 403 page", HTML_403),
]


def _request() -> Any:
    from ibmq_async.models import BackendRef, JobCreateRequest

    return JobCreateRequest(backend=BackendRef(name="dev"))


def test_at_least_thirty_cases_cover_every_endpoint_method() -> None:
    assert len(MALFORMED) >= 30
    assert {name for name, _, _ in MALFORMED} == set(ENDPOINTS)
    methods = {
        name
        for cls in (AsyncAccountApi, AsyncProjectApi)
        for name in vars(cls)
        if not name.startswith("_") and callable(vars(cls)[name])
    }
    # The status websocket is no HTTP endpoint: the integration tests cover it.
    assert methods - {"job_status_updates"} == set(ENDPOINTS)


@pytest.fixture
def mocked_api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


@pytest.mark.parametrize(
    ("endpoint", "reply"),
    [pytest.param(name, reply, id=f"{name}: {what}") for name, what, reply in MALFORMED],
)
async def test_malformed_reply_gives_a_typed_error(
    mocked_api: respx.MockRouter, endpoint: str, reply: httpx.Response
) -> None:
    method, url, call, family = ENDPOINTS[endpoint]
    mocked_api.route(method=method, url=url).mock(return_value=reply)
    session = AsyncSession(retry=FAST)
    target = (
        AsyncAccountApi(session, AUTH)
        if family is IBMQAccountApiError
        else AsyncProjectApi(session, ProjectPaths(HTTP, HubGroupProject("h", "g", "p")))
    )
    try:
        with pytest.raises(family) as raised:
            await call(target)
    finally:
        await session.aclose()
    error = raised.value
    if reply.status_code == 200:
        assert isinstance(error, IBMQApiProtocolError)
    elif reply.status_code == 403 and endpoint != "job_upload":
        assert isinstance(error, IBMQApiCredentialsError)
    else:
        assert error.status_code == reply.status_code
    assert "Traceback" not in str(error) and len(str(error)) < 2000


async def test_an_update_the_server_did_not_echo_is_an_error(
    mocked_api: respx.MockRouter,
) -> None:
    mocked_api.put(JOB).respond(json={"name": "other"})
    session = AsyncSession(retry=FAST)
    api = AsyncProjectApi(session, ProjectPaths(HTTP, HubGroupProject("h", "g", "p")))
    try:
        with pytest.raises(IBMQJobApiError, match="was not updated"):
            await api.job_update("job1", {"name": "x"})
        mocked_api.put(JOB).respond(json={"tags": ["b", "a"]})
        await api.job_update("job1", {"tags": ["a", "b"]})  # tags compare as a set
    finally:
        await session.aclose()


@pytest.fixture
def account_api() -> Iterator[respx.MockRouter]:
    """A working login with one device, for the user-visible paths below."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.get(f"{AUTH}/version").respond(json={"api-auth": "0.1"})
        router.post(f"{AUTH}/users/loginWithToken").respond(json={"id": "access"})
        router.get(f"{AUTH}/users/me").respond(json={"urls": {"http": HTTP, "ws": "wss://x"}})
        router.get(f"{HTTP}/Network").respond(
            json=[{"name": "h", "groups": {"g": {"projects": {"p": {"isDefault": True}}}}}]
        )
        router.get(f"{HGP}/devices/v/1").respond(
            json=[
                {
                    "backend_name": "dev",
                    "backend_version": "1",
                    "n_qubits": 2,
                    "basis_gates": ["cx", "x"],
                    "max_shots": 100,
                    "coupling_map": [[0, 1]],
                }
            ]
        )
        # ``run()`` reads the job limit to pace concurrent submissions.
        router.get(f"{HGP}/devices/dev/jobsLimit").respond(
            json={"maximumJobs": 5, "runningJobs": 0}
        )
        yield router


async def test_a_malformed_reply_never_shows_a_token(account_api: respx.MockRouter) -> None:
    account_api.get(f"{AUTH}/users/me").respond(200, text="<p>hello access and token</p>")
    accounts = AsyncIBMQFactory()
    with pytest.raises(IBMQAccountApiError) as failed:
        await accounts.enable_account("token", url=AUTH, retry=FAST)
    assert "not JSON" in str(failed.value)
    assert "access" not in str(failed.value) and " token<" not in str(failed.value)


async def test_malformed_account_urls_give_a_typed_error(account_api: respx.MockRouter) -> None:
    # Reproduces a defect of main: enable_account raised a raw pydantic ValidationError.
    account_api.get(f"{AUTH}/users/me").respond(json={"urls": "nowhere"})
    accounts = AsyncIBMQFactory()
    with pytest.raises(IBMQAccountApiError):
        await accounts.enable_account("token", url=AUTH, retry=FAST)
    assert accounts.active_account() is None


async def test_login_reply_without_token_means_a_wrong_url(account_api: respx.MockRouter) -> None:
    account_api.post(f"{AUTH}/users/loginWithToken").respond(json={"ttl": 5})
    with pytest.raises(IBMQAccountCredentialsInvalidUrl):
        await AsyncIBMQFactory().enable_account("token", url=AUTH, retry=FAST)


async def test_properties_list_and_forbidden_give_typed_errors(
    account_api: respx.MockRouter,
) -> None:
    # Reproduces a defect of main: a properties reply that is a list raised TypeError.
    accounts = AsyncIBMQFactory()
    provider = await accounts.enable_account("token", url=AUTH, retry=FAST)
    assert provider is not None
    backend = provider.get_backend("dev")
    route = account_api.get(f"{BK}/properties").respond(json=[{"qubits": []}])
    with pytest.raises(IBMQBackendApiProtocolError):
        await backend.properties(refresh=True)
    route.respond(403, json={"error": {"code": 3202, "message": "not a member"}})
    with pytest.raises(IBMQBackendApiCredentialsError) as refused:
        await backend.properties(refresh=True)
    assert refused.value.error_code == 3202
    await accounts.aclose()


async def test_bad_results_and_cancel_replies_give_typed_errors(
    account_api: respx.MockRouter,
) -> None:
    # Reproduces defects of main: a bad ``results`` field raised AttributeError and a bad
    # cancel reply raised ValidationError.
    accounts = AsyncIBMQFactory()
    provider = await accounts.enable_account("token", url=AUTH, retry=FAST)
    assert provider is not None
    document = {"id": "job1", "creationDate": "2023-02-01T10:00:00Z", "status": "COMPLETED"}
    account_api.post(f"{HGP}/Jobs").respond(
        json={"id": "job1", "objectStorageInfo": {"uploadUrl": STORAGE}}
    )
    account_api.put(STORAGE).respond(200)
    account_api.post(f"{JOB}/jobDataUploaded").respond(json={"job": document})
    account_api.get(f"{JOB}/v/1").respond(json=document)
    account_api.get(f"{JOB}/resultDownloadUrl").respond(json={"url": STORAGE})
    account_api.post(f"{JOB}/resultDownloaded").respond(json={})
    result = account_api.get(STORAGE).respond(json={"results": "lots"})
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1, 1)
    circuit.x(0)
    circuit.measure(0, 0)
    job = await provider.get_backend("dev").run(circuit, shots=10)
    with pytest.raises(IBMQJobApiProtocolError):
        await job.result()
    result.respond(json={"results": [{"success": True}], "backend_name": 4})
    with pytest.raises(IBMQJobApiProtocolError):
        await job.result()
    account_api.post(f"{JOB}/cancel").respond(json=["yes"])
    with pytest.raises(IBMQJobApiProtocolError):
        await job.cancel()
    await accounts.aclose()
    assert json.loads(result.calls.last.response.content)["backend_name"] == 4
