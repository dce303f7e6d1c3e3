"""The service against bad and hostile input: uploads, body limits, path parameters, presigned
URLs, filters that could take unbounded time, the OpenAPI document, and no stack traces."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from ibmq_local import LocalService
from ibmq_local._signing import UrlSigner
from ibmq_local._uploads import UPLOADS_DIR

pytestmark = pytest.mark.integration

UPLOAD_LIMIT = 4 << 20
"""``max_upload_bytes`` of this module's service."""
PAUSED = "ibmq_lima"
SIMULATOR = "ibmq_qasm_simulator"


@pytest.fixture(scope="module")
def hardened(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    data_dir: Path = tmp_path_factory.mktemp("hardening")
    config = {
        "max_upload_bytes": UPLOAD_LIMIT,
        "default_user": {"projects": [{"hub": "ibm-q", "group": "open", "project": "main"}]},
        "backends": {PAUSED: {"status": "internal"}},
    }
    (data_dir / "config.json").write_text(json.dumps(config))
    with LocalService(data_dir) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def caller(hardened: LocalService, client: httpx.Client, login: Any) -> Any:
    return login(client, hardened.auth_url, hardened.token)


def uploads(service: LocalService) -> Path:
    return service.data_dir / UPLOADS_DIR


def upload_file(service: LocalService, job_id: str) -> Path:
    return uploads(service) / f"{job_id}.qobj"


def upload(client: httpx.Client, created: dict[str, Any], content: Any) -> httpx.Response:
    return client.put(
        created["objectStorageInfo"]["uploadUrl"],
        content=content,
        headers={"Content-Type": "application/json"},
    )


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def wait_until(condition: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


# -- uploads ------------------------------------------------------------------------------


def test_an_upload_is_streamed_to_disk_while_it_arrives(
    hardened: LocalService, client: httpx.Client, caller: Any, build: Any
) -> None:
    qobj = build.qobj([build.ghz(2)])
    text = json.dumps(qobj).encode()
    # Valid JSON, made large by whitespace, sent in chunks: the first megabytes must be on
    # disk before the last chunk is even produced.
    padding = b" " * (3 << 20)
    body = text[:-1] + padding + text[-1:]
    created = caller.create_job()
    seen_partial: list[int] = []

    def on_disk() -> bool:
        for partial in uploads(hardened).glob(f"{created['id']}*.part"):
            try:
                if partial.stat().st_size > 0:
                    return True
            except FileNotFoundError:
                pass
        return False

    def chunks() -> Iterator[bytes]:
        step = 256 << 10
        for start in range(0, len(body), step):
            yield body[start : start + step]
            if start >= (2 << 20) and not seen_partial:
                wait_until(on_disk, "the upload to reach the disk")
                seen_partial.append(start)

    assert upload(client, created, chunks()).status_code == 200
    assert seen_partial, "the upload was never seen on disk while it streamed"
    stored = upload_file(hardened, created["id"])
    assert stored.read_bytes() == body
    notified = caller.post(f"/Jobs/{created['id']}/jobDataUploaded")
    assert notified.status_code == 200 and "error" not in notified.json()["job"]
    assert caller.wait(created["id"]) == "COMPLETED"
    # The Qobj of a job that ran stays downloadable, byte for byte.
    url = caller.get(f"/Jobs/{created['id']}/jobDownloadUrl").json()["url"]
    assert client.get(url).content == body
    assert stored.exists()


def test_an_upload_over_the_limit_gets_413_and_leaves_nothing(
    hardened: LocalService, client: httpx.Client, caller: Any, expect_error: Any
) -> None:
    created = caller.create_job()
    declared = upload(client, created, b"{" + b" " * UPLOAD_LIMIT + b"}")
    expect_error(declared, 413, 3209)

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(UPLOAD_LIMIT // (512 << 10) + 2):
            yield b" " * (512 << 10)

    expect_error(upload(client, created, chunked()), 413, 3209)
    assert not list(uploads(hardened).glob(f"{created['id']}*"))
    expect_error(caller.post(f"/Jobs/{created['id']}/jobDataUploaded"), 400, 3253)
    # Within the limit, the same job takes its Qobj.
    assert upload(client, created, b"{}").status_code == 200


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x00\xff garbage" * 1000, "JSON"),
        (b"[1, 2, 3]", "JSON object"),
        (b'{"qobj_id": "x", "experiments": "none"}', "'experiments' must be a list"),
        (b'{"qobj_id": "x", "config": {}}', "no 'experiments'"),
        (b'{"a":' * 100_000, "nested too deeply"),
    ],
    ids=["garbage", "array", "experiments", "no-experiments", "deep"],
)
def test_an_upload_that_is_no_qobj_is_refused_at_job_data_uploaded(
    hardened: LocalService, client: httpx.Client, caller: Any, content: bytes, words: str
) -> None:
    created = caller.create_job()
    assert upload(client, created, content).status_code == 200
    notified = caller.post(f"/Jobs/{created['id']}/jobDataUploaded")
    assert notified.status_code == 200, notified.text
    job = notified.json()["job"]
    assert job["status"] == "ERROR_VALIDATING_JOB"
    assert job["error"]["code"] == 1101 and words in job["error"]["message"], job["error"]
    assert "QUEUED" not in caller.job(created["id"])["timePerStep"]
    assert not upload_file(hardened, created["id"]).exists()
    # Asked again (a retry after a lost reply), the same answer, not an error.
    again = caller.post(f"/Jobs/{created['id']}/jobDataUploaded")
    assert again.status_code == 200 and again.json()["job"]["status"] == "ERROR_VALIDATING_JOB"


def test_cancelling_a_job_that_never_ran_removes_its_upload(
    hardened: LocalService, client: httpx.Client, caller: Any, build: Any
) -> None:
    measure_x = build.experiment([{"name": "x", "qubits": [0]}, *build.measure([0])], 5, 1)
    qobj = json.dumps(build.qobj([measure_x], PAUSED)).encode()
    # Uploaded but not announced (CREATING), and queued on a paused device (QUEUED).
    creating = caller.create_job(PAUSED)
    assert upload(client, creating, qobj).status_code == 200
    queued = caller.submit(json.loads(qobj), PAUSED)
    caller.wait(queued, until=frozenset({"QUEUED"}))
    for job_id in (creating["id"], queued):
        assert upload_file(hardened, job_id).exists()
        assert caller.post(f"/Jobs/{job_id}/cancel").json() == {"cancelled": True}
        assert not upload_file(hardened, job_id).exists()
        assert caller.status(job_id)["status"] == "CANCELLED"


# -- request bodies, path parameters ------------------------------------------------------


def test_api_request_bodies_are_limited(
    hardened: LocalService, client: httpx.Client, caller: Any, expect_error: Any
) -> None:
    big_name = "n" * (2 << 20)
    body = {"backend": {"name": SIMULATOR}, "name": big_name}
    expect_error(caller.post("/Jobs", json=body), 413, 3209)
    job_id = caller.create_job()["id"]
    expect_error(caller.put(f"/Jobs/{job_id}", json={"name": big_name}), 413, 3209)
    login = f"{hardened.auth_url}/users/loginWithToken"
    expect_error(client.post(login, json={"apiToken": big_name}), 413, 3209)

    def chunked() -> Iterator[bytes]:
        yield b'{"apiToken": "'
        for _ in range(5):
            yield b"x" * (512 << 10)
        yield b'"}'

    expect_error(client.post(login, content=chunked()), 413, 3209)
    # Under the limit, the same requests are served.
    assert caller.put(f"/Jobs/{job_id}", json={"name": "n" * 1000}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/Jobs/" + "a" * 65 + "/v/1",
        "/Jobs/not%20an%20id/status/v/1",
        "/devices/" + "b" * 129 + "/queue/status",
        "/devices/bad%20name/properties",
    ],
)
def test_absurd_path_parameters_are_refused(caller: Any, expect_error: Any, path: str) -> None:
    error = expect_error(caller.get(path), 400, 3205)
    assert "a" * 65 not in error["message"] and "b" * 129 not in error["message"]


def test_an_absurd_project_is_refused(
    hardened: LocalService, caller: Any, expect_error: Any
) -> None:
    expect_error(caller.in_project("p" * 129).get("/Jobs/status/v/1"), 400, 3205)
    expect_error(caller.in_project("nowhere").get("/Jobs/status/v/1"), 404, 3203)


def test_presigned_urls_are_bound_to_one_job_object_and_method_and_expire(
    hardened: LocalService, client: httpx.Client, caller: Any, build: Any, expect_error: Any
) -> None:
    done = caller.run(build.qobj([build.ghz(2)]))
    other = caller.create_job()
    qobj_url = caller.get(f"/Jobs/{done['id']}/jobDownloadUrl").json()["url"]
    result_url = caller.get(f"/Jobs/{done['id']}/resultDownloadUrl").json()["url"]
    assert client.get(qobj_url).status_code == 200 and client.get(result_url).status_code == 200

    # Another job, another object, another method: refused.
    expect_error(client.get(qobj_url.replace(done["id"], other["id"])), 403, 3255)
    expect_error(client.get(qobj_url.replace("/qobj?", "/result?")), 403, 3255)
    upload_url = other["objectStorageInfo"]["uploadUrl"]
    expect_error(client.get(upload_url), 403, 3255)
    expect_error(client.put(upload_url.replace(other["id"], done["id"]), content=b"{}"), 403, 3255)
    # Tampered, unsigned or malformed: refused, never a 500.
    query = dict(parse_qsl(urlsplit(qobj_url).query))
    expect_error(client.get(with_query(qobj_url, expires=str(int(query["expires"]) + 1))), 403)
    expect_error(client.get(qobj_url.split("?")[0]), 403, 3255)
    for expires in ("²", "9" * 5000, "-1", "1e9"):
        refused = client.get(with_query(qobj_url, expires=expires))
        expect_error(refused, 403 if refused.status_code == 403 else 400)
    expect_error(client.get(with_query(qobj_url, signature="é" * 64)), 403, 3255)
    # Signed with the service's own key but past its expiry: expired.
    signer = UrlSigner(hardened.settings.signing_secret, 60)
    key = f"jobs/{done['id']}/qobj"
    stale = signer.query("GET", key, expires=int(time.time()) - 5)
    expect_error(client.get(f"{qobj_url.split('?')[0]}?{stale}"), 403, 3256)


# -- filters ------------------------------------------------------------------------------


def test_a_catastrophic_regexp_costs_no_more_than_a_trivial_filter(
    hardened: LocalService, client: httpx.Client, caller: Any, build: Any, expect_error: Any
) -> None:
    # Python's backtracking engine needs seconds per such name for "(a+)+$"; a linear one
    # answers this filter about as fast as one any name matches at once.
    project = caller
    for _ in range(3):
        created = project.create_job(PAUSED, name="a" * 26 + "!")
        project.post(f"/Jobs/{created['id']}/cancel")

    def timed(pattern: str) -> float:
        flt = json.dumps({"where": {"name": {"regexp": pattern}}, "limit": 50})
        started = time.perf_counter()
        response = project.get("/Jobs/status/v/1", params={"filter": flt})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
        return elapsed

    trivial = statistics.median(timed("a") for _ in range(5))
    catastrophic = statistics.median(timed("(a+)+$") for _ in range(5))
    assert catastrophic < 10 * trivial, (catastrophic, trivial)

    for refused in ["(a)\\1", "(?=a)a", "a" * 1001]:
        flt = json.dumps({"where": {"name": {"regexp": refused}}})
        expect_error(project.get("/Jobs/status/v/1", params={"filter": flt}), 400, 3206)
    flt = json.dumps({"where": {"name": {"like": "%" * 2000}}})
    expect_error(project.get("/Jobs/status/v/1", params={"filter": flt}), 400, 3206)


def test_a_like_filter_with_many_wildcards_is_linear_too() -> None:
    from ibmq_local._regex import compile_like

    # "%a%a...%b" against a run of a's backtracks polynomially in Python's engine.
    pattern = compile_like("%a" * 12 + "%b", insensitive=False)

    def timed(n: int) -> float:
        subject = "a" * n
        started = time.perf_counter()
        for _ in range(200):
            assert pattern.fullmatch(subject) is None
        return time.perf_counter() - started

    timed(50)  # warm RE2's cache
    small = min(timed(100) for _ in range(3))
    large = min(timed(400) for _ in range(3))
    assert large < 4 * 4 * small + 0.01, (small, large)  # linear: about 4 times


# -- OpenAPI and error bodies -------------------------------------------------------------


def test_the_openapi_document_lists_the_real_statuses(
    hardened: LocalService, client: httpx.Client
) -> None:
    origin = hardened.auth_url.removesuffix("/api")
    document = client.get(f"{origin}/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ErrorBody" in schemas
    operations = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operations += 1
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert "422" not in responses, where
            assert "413" in responses, where
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), where
            needs = set()
            if "X-Access-Token" in json.dumps(operation.get("parameters", [])):
                needs |= {"400", "401"}
            if path.startswith("/api/Network/{hub}"):
                needs |= {"400", "401", "403", "404"}
            if path.startswith("/storage/"):
                needs |= {"400", "403", "404"}
            if method == "put" and path.startswith("/storage/"):
                needs.add("409")
            if path == "/api/users/loginWithToken":
                needs |= {"400", "401"}
            assert needs <= set(responses), (where, needs - set(responses))
    assert operations >= 25


def test_invalid_requests_get_400_with_the_error_body_and_no_traceback(
    hardened: LocalService, client: httpx.Client, caller: Any, expect_error: Any
) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    nested = '{"where": ' + '{"and": [' * 600 + '{"name": "x"}' + "]}" * 600 + "}"
    cases = [
        caller.get("/devices/ibmq_vigo/properties", params={"version": "abc"}),
        caller.post("/Jobs", content=b"{broken"),
        caller.post("/Jobs", content=deep.encode()),
        caller.post("/Jobs", json={"backend": "ibmq_vigo"}),
        caller.get("/Jobs/status/v/1", params={"filter": nested}),
        caller.get("/Jobs/status/v/1", params={"filter": json.dumps({"limit": 10**30})}),
        caller.get("/Jobs/status/v/1", params={"filter": json.dumps({"skip": "²"})}),
        caller.get("/Jobs/status/v/1", params={"filter": deep[:4000]}),
        client.post(f"{hardened.auth_url}/users/loginWithToken", json={"apiToken": 5}),
        client.post(f"{hardened.auth_url}/users/loginWithToken", content=b"\xff\xfe"),
    ]
    for response in cases:
        assert response.status_code < 500, (response.request.url, response.text)
        if response.status_code >= 400:
            expect_error(response, response.status_code)
        assert "Traceback" not in response.text and 'File "' not in response.text
    expect_error(cases[0], 400, 3205)
    assert sum(response.status_code == 400 for response in cases) >= len(cases) - 1
