"""``Idempotency-Key`` on ``POST {hgp}/Jobs``: one job per (user, key), durable, optional."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibmq_local import LocalService

pytestmark = pytest.mark.integration

SIMULATOR = "ibmq_qasm_simulator"


def new_key() -> str:
    return f"test-{uuid.uuid4().hex}"


def create(api: Any, key: str | None, **body: Any) -> httpx.Response:
    """``POST /Jobs`` for the simulator, with ``Idempotency-Key: key`` unless ``None``."""
    payload = {"backend": {"name": SIMULATOR}, "allowObjectStorage": True, **body}
    headers = {**api.headers, **({"Idempotency-Key": key} if key is not None else {})}
    return api.client.post(f"{api.hgp}/Jobs", json=payload, headers=headers)


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json())


def with_tag(api: Any, tag: str) -> list[dict[str, Any]]:
    """The caller's jobs carrying ``tag``, as the listing shows them."""
    where = json.dumps({"where": {"tags": {"inq": [tag]}}})
    response = api.get("/Jobs/status/v/1", params={"filter": where})
    assert response.status_code == 200, response.text
    return list(response.json())


@pytest.fixture
def cleanup(api: Any, bob: Any) -> Iterator[list[tuple[Any, str]]]:
    """``(caller, job id)`` of jobs to cancel afterwards (they hold job-limit slots)."""
    jobs: list[tuple[Any, str]] = []
    yield jobs
    for caller, job_id in jobs:
        caller.post(f"/Jobs/{job_id}/cancel")


def test_version_advertises_the_capability(api: Any) -> None:
    version = api.client.get(f"{api.auth_url}/version").json()
    assert version["capabilities"] == ["idempotency-keys"]
    assert version["new_api"] is True and "api-auth" in version  # what the legacy client reads


def test_the_same_key_twice_gives_one_job(
    api: Any, build: Any, cleanup: list[tuple[Any, str]]
) -> None:
    key, tag = new_key(), new_key()
    first = created(create(api, key, name="once", tags=[tag]))
    cleanup.append((api, first["id"]))
    second = created(create(api, key, name="once", tags=[tag]))

    assert second["id"] == first["id"]
    assert second["status"] == "CREATING"
    assert second["objectStorageInfo"]["uploadUrl"].startswith("http")
    assert [job["id"] for job in with_tag(api, tag)] == [first["id"]]

    # The repeat's upload URL is as good as the first's: the job runs from it.
    upload = api.client.put(
        second["objectStorageInfo"]["uploadUrl"],
        content=json.dumps(build.qobj([build.ghz(2)])).encode(),
    )
    assert upload.status_code == 200, upload.text
    assert api.post(f"/Jobs/{first['id']}/jobDataUploaded").status_code == 200
    assert api.wait(first["id"]) == "COMPLETED"

    # Past CREATING, a repeat gets the job's current document and no upload URL.
    third = created(create(api, key, name="once", tags=[tag]))
    assert third["id"] == first["id"]
    assert third["status"] == "COMPLETED"
    assert "objectStorageInfo" not in third
    assert len(with_tag(api, tag)) == 1


def test_concurrent_requests_with_one_key_make_one_job(
    api: Any, cleanup: list[tuple[Any, str]]
) -> None:
    key, tag = new_key(), new_key()
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda _: create(api, key, tags=[tag]), range(16)))
    ids = {created(reply)["id"] for reply in replies}
    cleanup.extend((api, job_id) for job_id in ids)
    assert len(ids) == 1
    assert len(with_tag(api, tag)) == 1


def test_a_key_reused_for_another_request_is_a_409(
    api: Any, expect_error: Any, cleanup: list[tuple[Any, str]]
) -> None:
    key = new_key()
    first = created(create(api, key, name="first"))
    cleanup.append((api, first["id"]))

    error = expect_error(create(api, key, name="second"), 409, 3205)
    assert "Idempotency-Key" in error["message"]
    listing = api.in_project("listing")
    expect_error(create(listing, key, name="first"), 409, 3205)  # same body, other project
    # The refused requests created nothing.
    assert created(create(api, key, name="first"))["id"] == first["id"]


def test_different_users_with_the_same_key_get_separate_jobs(
    api: Any, bob: Any, cleanup: list[tuple[Any, str]]
) -> None:
    key = new_key()
    mine = created(create(api, key, name="shared-key"))
    cleanup.append((api, mine["id"]))
    bobs = created(create(bob, key, name="shared-key"))
    cleanup.append((bob, bobs["id"]))

    assert bobs["id"] != mine["id"]
    assert bobs["userId"] == "bob" and mine["userId"] != "bob"
    assert created(create(bob, key, name="shared-key"))["id"] == bobs["id"]
    assert created(create(api, key, name="shared-key"))["id"] == mine["id"]


@pytest.mark.parametrize(
    "key",
    ["", "with space", "x" * 256, "tab\there", "caf\u00e9"],
    ids=["empty", "space", "too-long", "control", "non-ascii"],
)
def test_a_bad_key_is_a_400(api: Any, expect_error: Any, key: str) -> None:
    tag = new_key()
    headers = {**api.headers, "Idempotency-Key": key.encode("latin-1")}
    body = {"backend": {"name": SIMULATOR}, "tags": [tag]}
    response = api.client.post(f"{api.hgp}/Jobs", json=body, headers=headers)
    error = expect_error(response, 400, 3205)
    assert "Idempotency-Key" in error["message"]
    assert with_tag(api, tag) == []


def test_the_longest_key_is_accepted(api: Any, cleanup: list[tuple[Any, str]]) -> None:
    key = "~" * 250 + new_key()[-5:]
    job = created(create(api, key))
    cleanup.append((api, job["id"]))
    assert created(create(api, key))["id"] == job["id"]


def test_with_the_option_off_keys_are_ignored(tmp_path: Path, login: Any) -> None:
    with httpx.Client(timeout=60) as http, LocalService(tmp_path, idempotency_keys=False) as off:
        api = login(http, off.auth_url, off.token)
        assert http.get(f"{off.auth_url}/version").json()["capabilities"] == []
        key, tag = new_key(), new_key()
        first = created(create(api, key, tags=[tag]))
        second = created(create(api, key, tags=[tag]))
        assert first["id"] != second["id"]
        assert created(create(api, "not a valid key", tags=[tag]))["id"] not in (
            first["id"],
            second["id"],
        )
        assert len(with_tag(api, tag)) == 3


def test_the_option_can_be_set_in_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("idempotency_keys = false\n")
    with LocalService(tmp_path) as off:
        assert off.settings.idempotency_keys is False
        assert off.settings.idempotency_key_ttl_seconds == 86_400
        assert httpx.get(f"{off.auth_url}/version").json()["capabilities"] == []


def test_a_key_survives_a_restart(tmp_path: Path, login: Any) -> None:
    key, tag = new_key(), new_key()
    with httpx.Client(timeout=60) as http:
        with LocalService(tmp_path) as first:
            api = login(http, first.auth_url, first.token)
            job = created(create(api, key, tags=[tag]))
        with LocalService(tmp_path) as second:
            api = login(http, second.auth_url, second.token)
            again = created(create(api, key, tags=[tag]))
            assert again["id"] == job["id"]
            assert f":{second.port}/" in again["objectStorageInfo"]["uploadUrl"]
            assert len(with_tag(api, tag)) == 1


def test_keys_expire(tmp_path: Path, login: Any) -> None:
    key = new_key()
    with httpx.Client(timeout=60) as http:
        with LocalService(tmp_path) as service:
            api = login(http, service.auth_url, service.token)
            job = created(create(api, key))
        # Age the key past its TTL (24 h) while the service is down.
        with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:
            db.execute("UPDATE idempotency_keys SET created_at = '2000-01-01T00:00:00.000Z'")
        with LocalService(tmp_path) as service:
            api = login(http, service.auth_url, service.token)
            fresh = created(create(api, key))
            assert fresh["id"] != job["id"]
            assert created(create(api, key))["id"] == fresh["id"]


def test_a_data_dir_of_the_previous_version_opens(tmp_path: Path, login: Any) -> None:
    with httpx.Client(timeout=60) as http:
        with LocalService(tmp_path) as service:
            api = login(http, service.auth_url, service.token)
            old = created(create(api, None, name="before the upgrade"))
        # Make the database what the previous version left: schema 2, no key table.
        with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:
            db.execute("DROP TABLE idempotency_keys")
            db.execute("PRAGMA user_version = 2")
        with LocalService(tmp_path) as service:
            api = login(http, service.auth_url, service.token)
            assert api.job(old["id"])["name"] == "before the upgrade"
            key = new_key()
            job = created(create(api, key))
            assert created(create(api, key))["id"] == job["id"]
        with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:
            assert db.execute("PRAGMA user_version").fetchone() == (3,)


def test_the_client_sends_its_run_token_as_the_key(
    service: Any, api: Any, expect_error: Any
) -> None:
    from qiskit import QuantumCircuit

    from ibmq_sync import IBMQFactory

    circuit = QuantumCircuit(1, 1)
    circuit.measure(0, 0)
    with IBMQFactory() as accounts:
        provider = accounts.enable_account(service.token, url=service.auth_url)
        assert provider is not None
        backend = provider.get_backend(SIMULATOR)
        job = backend.run(circuit, shots=8, job_name="keyed")
        job.wait_for_final_state(timeout=60)
        token = next(tag for tag in job.document().tags if tag.startswith("ibmq_async_run_"))
    # The service knows the token as a key: reusing it for another request is refused.
    expect_error(create(api, token, name="another request"), 409, 3205)
