"""What a listing serves of each job (protocol 4.1, 5.1), on jobs seeded into the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from ibmq_local import LocalService
from ibmq_local._job_document import JobRecord
from ibmq_local._seeding import completed_job, default_owner, seed_data_dir

pytestmark = pytest.mark.integration

QUBITS = [1, 3, 5, 5, 2]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, list[JobRecord]]]:
    """A service of its own, started on a store already holding five finished jobs."""
    data_dir = tmp_path_factory.mktemp("seeded")
    owner = default_owner(data_dir)
    start = datetime(2024, 5, 1, tzinfo=UTC)
    records = [
        completed_job(owner, "ibmq_qasm_simulator", start + timedelta(seconds=i), n_qubits=q)
        for i, q in enumerate(QUBITS)
    ]
    seed_data_dir(data_dir, records)
    with LocalService(data_dir) as service:
        yield service, records


@pytest.fixture(scope="module")
def caller(seeded: tuple[Any, list[JobRecord]], login: Any) -> Iterator[Any]:
    service, _ = seeded
    with httpx.Client(timeout=60) as client:
        yield login(client, service.auth_url, service.token)


def listed(caller: Any, where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    flt = {"order": "creationDate ASC", "limit": 50, "skip": 0, "where": where or {}}
    response = caller.get("/Jobs/status/v/1", params={"filter": json.dumps(flt)})
    assert response.status_code == 200, response.text
    return list(response.json())


def test_a_listing_leaves_out_time_per_step(
    caller: Any, seeded: tuple[Any, list[JobRecord]]
) -> None:
    _, records = seeded
    jobs = listed(caller)
    assert [job["id"] for job in jobs] == [record.id for record in records]
    assert all("timePerStep" not in job for job in jobs)
    alone = caller.job(records[0].id)
    assert list(alone["timePerStep"]) == [
        "CREATING",
        "CREATED",
        "VALIDATING",
        "VALIDATED",
        "QUEUED",
        "RUNNING",
        "COMPLETED",
    ]
    assert {key: value for key, value in alone.items() if key != "timePerStep"} == jobs[0]


def test_summary_data_is_served_and_filtered_on(caller: Any) -> None:
    jobs = listed(caller)
    summary = jobs[2]["summaryData"]["summary"]
    assert summary["qobj_config"]["n_qubits"] == 5 and summary["num_circuits"] == 1
    assert summary["qobj_config"]["shots"] == jobs[2]["shots"] == 1024
    path = "summaryData.summary.qobj_config.n_qubits"
    assert [job["id"] for job in listed(caller, {path: 5})] == [job["id"] for job in jobs[2:4]]
    at_least_3 = [job["id"] for job, q in zip(jobs, QUBITS, strict=True) if q >= 3]
    assert [job["id"] for job in listed(caller, {path: {"gte": 3}})] == at_least_3


def test_a_queued_job_is_listed_with_its_queue_info(api: Any, build: Any) -> None:
    # The shared status poll of waiting jobs reads queue positions from the listing.
    from .conftest import PAUSED_BACKEND

    qobj = build.qobj([build.experiment([{"name": "x", "qubits": [0]}], 1, 1)], PAUSED_BACKEND)
    first = api.submit(qobj, PAUSED_BACKEND)
    second = api.submit(qobj, PAUSED_BACKEND)
    try:
        api.wait(second, until=frozenset({"QUEUED"}))
        own = api.job(second)["infoQueue"]
        where = {"id": {"inq": [first, second]}}
        for fields in (None, {"id": True, "status": True, "infoQueue": True}):
            flt: dict[str, Any] = {"where": where, **({"fields": fields} if fields else {})}
            listed = {
                doc["id"]: doc
                for doc in api.get("/Jobs/status/v/1", params={"filter": json.dumps(flt)}).json()
            }
            assert listed[second]["infoQueue"]["position"] == own["position"]
            assert listed[first]["infoQueue"]["position"] < own["position"]
        flt = {"where": where, "fields": {"id": True, "status": True}}
        listed_docs = api.get("/Jobs/status/v/1", params={"filter": json.dumps(flt)}).json()
        assert all("infoQueue" not in doc for doc in listed_docs)  # left out when not asked
    finally:
        for job_id in (first, second):
            api.post(f"/Jobs/{job_id}/cancel")
