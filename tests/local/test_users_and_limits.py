"""Job limits (error code 3458) and isolation between users."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PAUSED = "ibmq_lima"


def test_job_limit_is_enforced_with_code_3458(bob: Any, expect_error: Any) -> None:
    limit = bob.get(f"/devices/{PAUSED}/jobsLimit").json()
    assert limit == {"maximumJobs": 2, "runningJobs": 0}
    first = bob.create_job(PAUSED)
    second = bob.create_job(PAUSED)
    assert bob.get(f"/devices/{PAUSED}/jobsLimit").json()["runningJobs"] == 2

    refused = bob.post("/Jobs", json={"backend": {"name": PAUSED}, "allowObjectStorage": True})
    error = expect_error(refused, 400, 3458)
    assert "limit" in error["message"]
    # The limit is per backend: another backend still accepts jobs.
    other = bob.create_job("ibmq_vigo")

    bob.post(f"/Jobs/{first['id']}/cancel")
    third = bob.create_job(PAUSED)
    for job in (second, third, other):
        assert bob.post(f"/Jobs/{job['id']}/cancel").json() == {"cancelled": True}
    assert bob.get(f"/devices/{PAUSED}/jobsLimit").json()["runningJobs"] == 0


def test_users_cannot_see_each_others_jobs(
    api: Any, bob: Any, build: Any, http: Any, expect_error: Any
) -> None:
    qobj = build.qobj([build.ghz(2)])
    mine = api.submit(qobj, name="private-job", tags=["secret"])
    api.wait(mine)
    bobs = bob.create_job("ibmq_vigo", name="bobs-job")

    for method, path in [
        ("get", "/v/1"),
        ("get", "/status/v/1"),
        ("get", "/resultDownloadUrl"),
        ("get", "/jobDownloadUrl"),
        ("post", "/cancel"),
        ("post", "/resultDownloaded"),
        ("get", "/properties"),
    ]:
        expect_error(getattr(bob, method)(f"/Jobs/{mine}{path}"), 404, 3250)
    expect_error(bob.put(f"/Jobs/{mine}", json={"name": "stolen"}), 404, 3250)
    expect_error(api.get(f"/Jobs/{bobs['id']}/v/1"), 404, 3250)

    everything = json.dumps({"limit": 1000})
    bob_ids = [
        job["id"] for job in bob.get("/Jobs/status/v/1", params={"filter": everything}).json()
    ]
    assert mine not in bob_ids and bobs["id"] in bob_ids
    my_ids = [
        job["id"] for job in api.get("/Jobs/status/v/1", params={"filter": everything}).json()
    ]
    assert mine in my_ids and bobs["id"] not in my_ids
    tagged = bob.get(
        "/Jobs/status/v/1", params={"filter": json.dumps({"where": {"tags": "secret"}})}
    )
    assert tagged.json() == []

    # The same job id under another project of the owner is not found either.
    expect_error(api.in_project("listing").get(f"/Jobs/{mine}/v/1"), 404, 3250)
    # Bob's own project is closed to the default user.
    expect_error(api.in_project("p", "bob-hub", "g").get("/Jobs/status/v/1"), 403, 3202)
    bob.post(f"/Jobs/{bobs['id']}/cancel")


def test_job_limit_holds_under_concurrent_creation(bob: Any) -> None:
    backend = "ibmq_quito"

    def create(_: int) -> Any:
        return bob.post("/Jobs", json={"backend": {"name": backend}, "allowObjectStorage": True})

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(create, range(6)))
    accepted = [r.json()["id"] for r in responses if r.status_code == 200]
    refused = [r.json()["error"]["code"] for r in responses if r.status_code != 200]
    assert len(accepted) == 2 and refused == [3458] * 4
    for job_id in accepted:
        bob.post(f"/Jobs/{job_id}/cancel")
