"""Several users on one service: hubs, devices, job limits, shared jobs, token expiry.

The service reads a ``config.toml`` with three users and four projects::

    alice  ibm-q/open/main (default), hub-a/group-x/proj-1 (lima: 1 job)
    bob    hub-a/group-x/proj-2 (default), hub-a/group-y/proj-3 (simulator and lima only)
    carol  hub-a/group-x/proj-1 (alice's project-mate, to show ``project`` sharing)

plus the default user in ``ibm-q/open/main``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from ibmq_async._core.websocket import WsCloseCode, authentication_message, status_url
from ibmq_local import LocalService
from ibmq_local._job_document import JobOwner
from ibmq_local._seeding import completed_job
from ibmq_local._store import JobStore
from ibmq_local.config import ConfigError, load_settings, parse_user_option

pytestmark = pytest.mark.integration

SIMULATOR = "ibmq_qasm_simulator"
PAUSED = "ibmq_lima"
"""Configured ``internal``: jobs wait in QUEUED, so they hold their job-limit slot."""
TTL = 3600

CONFIG_TOML = f"""
access_token_ttl_seconds = {TTL}

[default_user]
id = "operator"

[[users]]
id = "alice"
api_token = "alice-token"

[[users.projects]]
hub = "ibm-q"
group = "open"
project = "main"
is_default = true

[[users.projects]]
hub = "hub-a"
group = "group-x"
project = "proj-1"
max_jobs = 2
backend_limits = {{ {PAUSED} = 1 }}

[[users]]
id = "bob"
api_token = "bob-token"

[[users.projects]]
hub = "hub-a"
group = "group-x"
project = "proj-2"

[[users.projects]]
hub = "hub-a"
group = "group-y"
project = "proj-3"
is_default = true
backends = ["{SIMULATOR}", "{PAUSED}"]
backend_limits = {{ {PAUSED} = 1 }}

[[users]]
id = "carol"
api_token = "carol-token"
projects = [{{ hub = "hub-a", group = "group-x", project = "proj-1" }}]

[backends.{PAUSED}]
status = "internal"
"""


@pytest.fixture(scope="module")
def tenancy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    data_dir: Path = tmp_path_factory.mktemp("tenancy")
    (data_dir / "config.toml").write_text(CONFIG_TOML)
    with LocalService(data_dir) as running:
        yield running


@pytest.fixture(scope="module")
def users(tenancy: LocalService, login: Any) -> Iterator[dict[str, Any]]:
    """Each user logged in (acting in ibm-q/open/main until moved with ``in_project``)."""
    with httpx.Client(timeout=60) as http:
        yield {
            "operator": login(http, tenancy.auth_url, tenancy.token),
            "alice": login(http, tenancy.auth_url, "alice-token"),
            "bob": login(http, tenancy.auth_url, "bob-token"),
            "carol": login(http, tenancy.auth_url, "carol-token"),
        }


def where(api: Any, path: str) -> Any:
    hub, group, project = path.split("/")
    return api.in_project(project, hub, group)


def tree(api: Any) -> dict[str, dict[str, dict[str, bool]]]:
    """``/Network`` as ``{hub: {group: {project: isDefault}}}``."""
    response = api.get(f"{api.http_url}/Network")
    assert response.status_code == 200, response.text
    return {
        hub["name"]: {
            group: {name: bool(p.get("isDefault")) for name, p in body["projects"].items()}
            for group, body in hub["groups"].items()
        }
        for hub in response.json()
    }


def listed_ids(api: Any, where_clause: dict[str, Any]) -> set[str]:
    flt = json.dumps({"order": "creationDate DESC", "limit": 100, "where": where_clause})
    response = api.get("/Jobs/status/v/1", params={"filter": flt})
    assert response.status_code == 200, response.text
    return {job["id"] for job in response.json()}


# -- hubs and projects ---------------------------------------------------------------------


def test_each_user_sees_only_their_hubs(users: dict[str, Any]) -> None:
    assert tree(users["alice"]) == {
        "ibm-q": {"open": {"main": True}},
        "hub-a": {"group-x": {"proj-1": False}},
    }
    assert tree(users["bob"]) == {
        "hub-a": {"group-x": {"proj-2": False}, "group-y": {"proj-3": True}}
    }
    assert tree(users["carol"]) == {"hub-a": {"group-x": {"proj-1": True}}}
    assert tree(users["operator"]) == {"ibm-q": {"open": {"main": True}}}


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", "/devices/v/1"),
        ("get", f"/devices/{SIMULATOR}/queue/status"),
        ("get", f"/devices/{SIMULATOR}/jobsLimit"),
        ("get", "/Jobs/status/v/1"),
        ("post", "/Jobs"),
        ("get", "/Jobs/0123456789abcdef01234567/v/1"),
    ],
)
def test_another_users_project_is_closed(
    users: dict[str, Any], expect_error: Any, method: str, suffix: str
) -> None:
    alice = users["alice"]
    body = {"json": {"backend": {"name": SIMULATOR}}} if method == "post" else {}
    # A project that exists, alice not in it: 403; one that does not exist: 404.
    expect_error(getattr(where(alice, "hub-a/group-x/proj-2"), method)(suffix, **body), 403, 3202)
    expect_error(getattr(where(alice, "hub-a/group-y/proj-3"), method)(suffix, **body), 403, 3202)
    expect_error(getattr(where(alice, "hub-z/group-x/proj-1"), method)(suffix, **body), 404, 3203)
    # Her own project answers the same request.
    assert getattr(where(alice, "hub-a/group-x/proj-1"), method)(suffix, **body).status_code in (
        200,
        404,  # the made-up job id
    )


# -- devices -------------------------------------------------------------------------------


def test_a_project_sees_only_its_devices(users: dict[str, Any], expect_error: Any) -> None:
    bob = users["bob"]
    limited, open_ = where(bob, "hub-a/group-y/proj-3"), where(bob, "hub-a/group-x/proj-2")
    names = [config["backend_name"] for config in limited.get("/devices/v/1").json()]
    assert names == [SIMULATOR, PAUSED]
    everything = [config["backend_name"] for config in open_.get("/devices/v/1").json()]
    assert {SIMULATOR, PAUSED, "ibmq_manila"} <= set(everything) and len(everything) > 10

    # A device outside the list is answered like one that does not exist at all.
    for backend in ("ibmq_manila", "no_such_device"):
        for suffix in ("queue/status", "properties", "defaults", "jobsLimit"):
            expect_error(limited.get(f"/devices/{backend}/{suffix}"), 404, 3204)
        refused = limited.post("/Jobs", json={"backend": {"name": backend}})
        assert expect_error(refused, 400, 3204)["message"] == f"Backend {backend} not found"
    for suffix in ("queue/status", "properties", "defaults", "jobsLimit"):
        assert open_.get(f"/devices/ibmq_manila/{suffix}").status_code == 200
        assert limited.get(f"/devices/{SIMULATOR}/{suffix}").status_code == 200


# -- job limits ----------------------------------------------------------------------------


def test_job_limits_are_per_user_project_and_backend(
    users: dict[str, Any], expect_error: Any
) -> None:
    alice = where(users["alice"], "hub-a/group-x/proj-1")
    carol = where(users["carol"], "hub-a/group-x/proj-1")
    bob = where(users["bob"], "hub-a/group-y/proj-3")

    def limit(api: Any, backend: str = PAUSED) -> tuple[int, int]:
        body = api.get(f"/devices/{backend}/jobsLimit").json()
        return body["maximumJobs"], body["runningJobs"]

    assert limit(alice) == (1, 0)  # backend_limits
    assert limit(alice, "ibmq_vigo") == (2, 0)  # max_jobs
    assert limit(carol) == (10, 0)  # the default, in the same project
    assert limit(bob) == (1, 0)
    assert limit(users["alice"]) == (10, 0)  # alice in ibm-q/open/main

    held: list[tuple[Any, str]] = []

    def create(api: Any, backend: str = PAUSED) -> None:
        held.append((api, api.create_job(backend)["id"]))

    try:
        create(alice)
        assert limit(alice) == (1, 1)
        error = expect_error(alice.post("/Jobs", json={"backend": {"name": PAUSED}}), 400, 3458)
        assert "limit of 1" in error["message"]
        # Carol shares alice's project but not her count; alice elsewhere neither.
        create(carol)
        create(users["alice"])
        assert limit(carol) == (10, 1) and limit(alice) == (1, 1)
        assert limit(users["alice"]) == (10, 1)
        create(bob)
        expect_error(bob.post("/Jobs", json={"backend": {"name": PAUSED}}), 400, 3458)
        # Another backend has its own count under the project's max_jobs.
        create(alice, "ibmq_vigo")
        create(alice, "ibmq_vigo")
        expect_error(alice.post("/Jobs", json={"backend": {"name": "ibmq_vigo"}}), 400, 3458)
    finally:
        for owner, job_id in held:
            assert owner.post(f"/Jobs/{job_id}/cancel").json() == {"cancelled": True}
    assert limit(alice) == (1, 0) and limit(carol) == (10, 0)


# -- sharing -------------------------------------------------------------------------------

OBSERVERS = [
    ("alice", "hub-a/group-x/proj-1"),  # the owner, in the job's project
    ("alice", "ibm-q/open/main"),  # the owner, in another hub
    ("carol", "hub-a/group-x/proj-1"),  # another member of the job's project
    ("bob", "hub-a/group-x/proj-2"),  # the job's hub and group
    ("bob", "hub-a/group-y/proj-3"),  # the job's hub
    ("operator", "ibm-q/open/main"),  # nothing in common
]
SEES = {
    "global": [True, True, True, True, True, True],
    "hub": [True, False, True, True, True, False],
    "group": [True, False, True, True, False, False],
    "project": [True, False, True, False, False, False],
    "none": [True, False, False, False, False, False],
    None: [True, False, False, False, False, False],
}
"""Per share level (``None``: not sent), whether each of :data:`OBSERVERS` sees the job."""


@pytest.mark.parametrize("level", list(SEES), ids=[str(level) for level in SEES])
def test_share_levels_widen_visibility_exactly(
    users: dict[str, Any], build: Any, http: Any, expect_error: Any, level: str | None
) -> None:
    owner = where(users["alice"], "hub-a/group-x/proj-1")
    tag = f"share-{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {"name": f"shared {level}", "tags": [tag]}
    if level is not None:
        body["shareLevel"] = level
    job_id = owner.submit(build.qobj([build.ghz(2)]), **body)
    assert owner.wait(job_id) == "COMPLETED"

    seen_by = []
    for user, path in OBSERVERS:
        api = where(users[user], path)
        reply = api.get(f"/Jobs/{job_id}/v/1")
        seen = reply.status_code == 200
        seen_by.append(seen)
        if not seen:
            expect_error(reply, 404, 3250)
            for suffix in ("/status/v/1", "/resultDownloadUrl", "/jobDownloadUrl", "/properties"):
                expect_error(api.get(f"/Jobs/{job_id}{suffix}"), 404, 3250)
            expect_error(api.post(f"/Jobs/{job_id}/cancel"), 404, 3250)
            expect_error(api.put(f"/Jobs/{job_id}", json={"name": "x"}), 404, 3250)
            assert job_id not in listed_ids(api, {"tags": tag})
            assert job_id not in listed_ids(api, {"name": {"regexp": "shared"}})
            continue
        assert reply.json().get("shareLevel") == level
        assert api.status(job_id)["status"] == "COMPLETED"
        counts = api.result(job_id)["results"][0]["data"]["counts"]
        assert sum(counts.values()) == 1024
        # Listings push the rule into SQL, with (name) or without a residual filter.
        assert job_id in listed_ids(api, {"tags": tag})
        assert job_id in listed_ids(api, {"name": {"regexp": "shared"}, "tags": tag})
        if (user, path) != OBSERVERS[0]:
            # Reading is shared; changing is the owner's, in the job's project.
            expect_error(api.post(f"/Jobs/{job_id}/cancel"), 403, 3202)
            expect_error(api.put(f"/Jobs/{job_id}", json={"name": "mine"}), 403, 3202)
    assert seen_by == SEES[level]
    assert owner.put(f"/Jobs/{job_id}", json={"name": "renamed"}).json() == {"name": "renamed"}
    assert owner.job(job_id)["name"] == "renamed"


def test_share_level_is_validated(users: dict[str, Any], expect_error: Any) -> None:
    alice = where(users["alice"], "hub-a/group-x/proj-1")
    for bad in ("team", "", 5, ["hub"]):
        reply = alice.post("/Jobs", json={"backend": {"name": PAUSED}, "shareLevel": bad})
        error = expect_error(reply, 400, 3205)
        assert "shareLevel" in error["message"] or "share_level" in error["message"]
    created = alice.create_job(PAUSED, shareLevel="HUB")
    try:
        assert alice.job(created["id"])["shareLevel"] == "hub"
        bob = where(users["bob"], "hub-a/group-y/proj-3")
        assert bob.job(created["id"])["status"] == "CREATING"
        # Only the owner may send the data of a job.
        expect_error(bob.post(f"/Jobs/{created['id']}/jobDataUploaded"), 403, 3202)
    finally:
        alice.post(f"/Jobs/{created['id']}/cancel")


def test_a_shared_job_does_not_leak_into_unrelated_listings(
    users: dict[str, Any], expect_error: Any
) -> None:
    """Other hubs' shared jobs stay out; the owner's other projects see only global ones."""
    alice = where(users["alice"], "hub-a/group-x/proj-1")
    hub_job = alice.create_job(PAUSED, shareLevel="hub", name="hub-wide")
    try:
        operator = users["operator"]
        everything = listed_ids(operator, {})
        assert hub_job["id"] not in everything
        assert hub_job["id"] in listed_ids(where(users["bob"], "hub-a/group-y/proj-3"), {})
        assert hub_job["id"] not in listed_ids(users["alice"], {})
    finally:
        alice.post(f"/Jobs/{hub_job['id']}/cancel")


def test_the_status_websocket_follows_the_same_rule(users: dict[str, Any], build: Any) -> None:
    owner = where(users["alice"], "hub-a/group-x/proj-1")
    job_id = owner.submit(build.qobj([build.ghz(2)]), shareLevel="group")
    owner.wait(job_id)
    me = owner.get(f"{owner.auth_url}/users/me").json()
    for user, code in (("bob", WsCloseCode.JOB_DONE), ("operator", WsCloseCode.JOB_NOT_FOUND)):
        url = status_url(me["urls"]["ws"], job_id)
        with connect(url, proxy=None, open_timeout=10) as socket:
            socket.send(authentication_message(users[user].access_token))
            assert json.loads(socket.recv(timeout=30)) == {"type": "authenticated"}
            messages = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    messages.append(json.loads(socket.recv(timeout=30)))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == code
        assert [m["data"]["status"] for m in messages] == (
            ["COMPLETED"] if code == WsCloseCode.JOB_DONE else []
        )


async def test_an_older_database_learns_the_share_levels_of_its_jobs(tmp_path: Path) -> None:
    """Version 1 databases had no share_level column: opening one fills it from the documents."""
    path = tmp_path / "jobs.sqlite3"
    owner = JobOwner("alice", "hub-a", "group-x", "proj-1")
    record = completed_job(owner, SIMULATOR, datetime(2024, 1, 1, tzinfo=UTC))
    record.doc.share_level = "hub"
    store = await JobStore.open(path)
    await store.insert(record)
    await store.close()
    with sqlite3.connect(path) as db:
        db.executescript(
            "DROP INDEX jobs_shared; ALTER TABLE jobs DROP COLUMN share_level; "
            "PRAGMA user_version = 1;"
        )
    store = await JobStore.open(path)
    try:
        viewer = JobOwner("bob", "hub-a", "group-y", "proj-3")
        found = [doc async for batch in store.documents(viewer) for doc in batch]
        assert [json.loads(doc)["id"] for doc in found] == [record.id]
        stranger = JobOwner("bob", "hub-b", "group-y", "proj-3")
        assert [doc async for batch in store.documents(stranger) for doc in batch] == []
    finally:
        await store.close()


# -- access tokens -------------------------------------------------------------------------


def test_login_reports_the_configured_ttl_and_stores_only_a_hash(tenancy: LocalService) -> None:
    with httpx.Client(timeout=30) as http:
        reply = http.post(
            f"{tenancy.auth_url}/users/loginWithToken", json={"apiToken": "bob-token"}
        )
    assert reply.status_code == 200
    assert reply.json()["ttl"] == TTL and reply.json()["userId"] == "bob"
    token = reply.json()["id"]
    with sqlite3.connect(tenancy.data_dir / "jobs.sqlite3") as db:
        stored = {row[0] for row in db.execute("SELECT token_hash FROM access_tokens")}
    assert token not in stored
    assert hashlib.sha256(token.encode()).hexdigest() in stored


def test_an_expired_access_token_is_refused(tmp_path: Path, expect_error: Any) -> None:
    (tmp_path / "config.toml").write_text("access_token_ttl_seconds = 2\n")
    with httpx.Client(timeout=30) as http, LocalService(tmp_path) as service:
        reply = http.post(
            f"{service.auth_url}/users/loginWithToken", json={"apiToken": service.token}
        )
        assert reply.json()["ttl"] == 2
        headers = {"X-Access-Token": reply.json()["id"]}
        network = f"{service.auth_url}/Network"
        started = time.monotonic()
        first = http.get(network, headers=headers)
        if time.monotonic() - started < 1.5:  # a loaded machine may take longer than the TTL
            assert first.status_code == 200
        deadline = time.monotonic() + 20
        while (answer := http.get(network, headers=headers)).status_code == 200:
            assert time.monotonic() < deadline, "the access token never expired"
            time.sleep(0.1)
        assert "expired" in expect_error(answer, 401, 3200)["message"]
        assert time.monotonic() - started >= 1.0
        # Logging in again gives a working token.
        fresh = http.post(
            f"{service.auth_url}/users/loginWithToken", json={"apiToken": service.token}
        )
        assert http.get(network, headers={"X-Access-Token": fresh.json()["id"]}).status_code == 200


# -- configuration -------------------------------------------------------------------------


def test_config_toml_and_json_together_are_refused(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("max_workers = 1\n")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ConfigError, match=r"both config\.toml and config\.json"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("max_workers = \n", "config.toml"),
        ("[[users]]\nid = 'x'\n", "api_token"),
        ("surprise = 1\n", "surprise"),
        (
            "[[users]]\nid='x'\napi_token='t'\n[[users.projects]]\n"
            "backends=['a']\nbackend_limits={b=1}\n",
            "not in this project's backends",
        ),
        (
            "[[users]]\nid='x'\napi_token='t'\n[[users.projects]]\nbackend_limits={b=-2}\n",
            "backend_limits.b",
        ),
        (
            "[[users]]\nid='x'\napi_token='t'\nprojects=[{project='p'},{project='p'}]\n",
            "twice",
        ),
        ("access_token_ttl_seconds = 0\n", "access_token_ttl_seconds"),
    ],
)
def test_bad_toml_is_a_config_error(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=problem):
        load_settings(tmp_path)


def test_an_explicit_config_file_and_users_from_options(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text("access_token_ttl_seconds = 60\n[default_user]\nid = 'ops'\n")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "config.json").write_text('{"max_workers": 1}')  # ignored: --config wins
    dave = parse_user_option("dave:dave-token:h/g/p,h/g/q")
    settings = load_settings(data_dir, config_file=config, users=[dave])
    assert settings.access_token_ttl_seconds == 60 and settings.max_workers == 2
    assert [user.id for user in settings.users] == ["ops", "dave"]
    assert [(p.path, p.is_default) for p in settings.users[1].projects] == [
        ("h/g/p", True),
        ("h/g/q", False),
    ]
    assert parse_user_option("eve:t").projects[0].path == "ibm-q/open/main"
    for bad in ("nobody", "x:", ":t", "x:t:h/g", "x:t:h//p"):
        with pytest.raises(ConfigError, match="--user"):
            parse_user_option(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(data_dir, config_file=tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="unique"):
        load_settings(data_dir, config_file=config, users=[dave, dave])


def test_serve_with_config_and_user_options(tmp_path: Path) -> None:
    config = tmp_path / "tenants.toml"
    config.write_text(
        "[[users]]\nid = 'erin'\napi_token = 'erin-token'\n"
        "projects = [{hub = 'h', group = 'g', project = 'p', backends = ['ibmq_qasm_simulator']}]\n"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ibmq_local",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
            "--config",
            str(config),
            "--user",
            "frank:frank-token:h/g/q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("auth url: "), line + (
            process.stderr.read() if process.stderr else ""
        )
        url = line.split(": ", 1)[1].strip()
        with httpx.Client(timeout=30) as http:
            headers = {}
            for token, project in (("erin-token", "p"), ("frank-token", "q")):
                login = http.post(f"{url}/users/loginWithToken", json={"apiToken": token})
                headers[project] = {"X-Access-Token": login.json()["id"]}
                hubs = http.get(f"{url}/Network", headers=headers[project]).json()
                assert [(h["name"], list(h["groups"]["g"]["projects"])) for h in hubs] == [
                    ("h", [project])
                ]
            devices = http.get(
                f"{url}/Network/h/Groups/g/Projects/p/devices/v/1", headers=headers["p"]
            )
            assert [d["backend_name"] for d in devices.json()] == ["ibmq_qasm_simulator"]
            # Bookings of a device none of erin's projects may use are not found either.
            bookings = f"{url}/Network/devices/ibmq_manila/bookings/v2"
            assert http.get(bookings, headers=headers["p"]).status_code == 404
            assert http.get(bookings, headers=headers["q"]).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_a_bad_user_option_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ibmq_local", "serve", "--port", "0"),
            *("--data-dir", str(tmp_path), "--user", "nobody"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "ibmq-local: --user: expected ID:TOKEN[:HUB/GROUP/PROJECT[,HUB/GROUP/PROJECT...]]"
    ]
