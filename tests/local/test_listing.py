"""Job listings with LoopBack filters and keyset pagination (protocol section 5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

pytestmark = pytest.mark.integration

PAUSED = "ibmq_lima"
SIM = "ibmq_qasm_simulator"


@pytest.fixture(scope="module")
def listing(api: Any) -> tuple[Any, list[dict[str, Any]]]:
    """Six jobs (never uploaded) in a project of their own, oldest first."""
    project = api.in_project("listing")
    specs = [
        (SIM, "alpha_0_", ["set1", "red"]),
        (PAUSED, "alpha_1_", ["set1", "blue"]),
        (SIM, "beta", ["red", "blue"]),
        (PAUSED, "gamma", []),
        (SIM, "alphabet", ["set2"]),
        (PAUSED, "delta", ["red"]),
    ]
    created = [
        project.create_job(backend, name=name, tags=tags, experimentTag=f"e{i % 2}")
        for i, (backend, name, tags) in enumerate(specs)
    ]
    project.post(f"/Jobs/{created[3]['id']}/cancel")
    return project, created


def ids(project: Any, flt: dict[str, Any], path: str = "/Jobs/status/v/1") -> list[str]:
    response = project.get(path, params={"filter": json.dumps(flt)})
    assert response.status_code == 200, response.text
    return [job["id"] for job in response.json()]


def test_default_order_is_newest_first(listing: tuple[Any, list[dict[str, Any]]]) -> None:
    project, created = listing
    everything = project.get("/Jobs/status/v/1").json()
    assert [job["id"] for job in everything] == [job["id"] for job in reversed(created)]
    first = everything[-1]
    assert {"id", "creationDate", "status", "kind", "backend"} <= set(first)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"backend.name": SIM}, [4, 2, 0]),
        ({"tags": "red"}, [5, 2, 0]),
        ({"tags": {"inq": ["set1", "set2"]}}, [4, 1, 0]),
        ({"and": [{"tags": "red"}, {"tags": "blue"}]}, [2]),
        ({"name": {"regexp": "alpha"}}, [4, 1, 0]),
        ({"name": {"regexp": "^alpha_[0-9]+_$"}}, [1, 0]),
        ({"status": "CANCELLED"}, [3]),
        ({"status": {"inq": ["CREATING", "CREATED"]}, "backend.name": PAUSED}, [5, 1]),
        ({"or": [{"status": {"regexp": "^CANCEL"}}, {"name": "beta"}]}, [3, 2]),
        ({"experimentTag": "e1"}, [5, 3, 1]),
        ({"hubInfo.project.name": "listing"}, [5, 4, 3, 2, 1, 0]),
        ({"hubInfo.project.name": "main"}, []),
        (
            {"status": {"nin": ["COMPLETED", "CANCELLED", "ERROR_RUNNING_JOB"]}, "tags": "red"},
            [5, 2, 0],
        ),
    ],
)
def test_where_clauses(
    listing: tuple[Any, list[dict[str, Any]]], where: dict[str, Any], expected: list[int]
) -> None:
    project, created = listing
    assert ids(project, {"order": "creationDate DESC", "where": where}) == [
        created[i]["id"] for i in expected
    ]


def test_creation_date_bounds_compare_as_instants(
    listing: tuple[Any, list[dict[str, Any]]],
) -> None:
    project, created = listing
    # Client-made bounds use "+00:00"; the server writes "Z".
    third = datetime.fromisoformat(created[2]["creationDate"].replace("Z", "+00:00"))
    fifth = datetime.fromisoformat(created[4]["creationDate"].replace("Z", "+00:00"))
    in_paris = third.astimezone(timezone(timedelta(hours=1))).isoformat()
    since = {"order": "creationDate ASC", "where": {"creationDate": {"gte": in_paris}}}
    assert ids(project, since) == [job["id"] for job in created[2:]]
    window = [third.isoformat(), fifth.isoformat()]
    between = {"order": "creationDate ASC", "where": {"creationDate": {"between": window}}}
    assert ids(project, between) == [job["id"] for job in created[2:5]]
    assert ids(project, {"where": {"creationDate": {"lte": third.isoformat()}}}) == [
        job["id"] for job in reversed(created[:3])
    ]


def test_limit_skip_and_fields(listing: tuple[Any, list[dict[str, Any]]]) -> None:
    project, created = listing
    assert ids(project, {"order": "creationDate ASC", "limit": 2, "skip": 1}) == [
        created[1]["id"],
        created[2]["id"],
    ]
    flt = {
        "order": "creationDate DESC",
        "limit": 2,
        "skip": 0,
        "fields": {"id": True, "liveDataEnabled": True, "creationDate": True},
    }
    rows = project.get("/Jobs/v/1", params={"filter": json.dumps(flt)}).json()
    assert [set(row) for row in rows] == [{"id", "liveDataEnabled", "creationDate"}] * 2
    assert [row["id"] for row in rows] == [created[5]["id"], created[4]["id"]]


@pytest.mark.parametrize("descending", [True, False])
def test_keyset_pagination_like_the_legacy_client(
    listing: tuple[Any, list[dict[str, Any]]], descending: bool
) -> None:
    """Pages of 2 with the creationDate/id bounds the client rebuilds (protocol 5.4)."""
    project, created = listing
    order = "creationDate DESC" if descending else "creationDate ASC"
    where: dict[str, Any] = {}
    seen: list[str] = []
    requests = 0
    while True:
        flt: dict[str, Any] = {"order": order, "limit": 2, "skip": 0}
        if where:
            flt["where"] = where
        page = project.get("/Jobs/status/v/1", params={"filter": json.dumps(flt)}).json()
        requests += 1
        assert requests < 10
        if not page:
            break
        seen += [job["id"] for job in page]
        last = page[-1]
        bound = "lte" if descending else "gte"
        where = {"creationDate": {bound: last["creationDate"]}, "id": {"nin": [last["id"]]}}
    expected = [job["id"] for job in created]
    assert seen == (expected[::-1] if descending else expected)


def test_end_date_only_quirk_is_tolerated(listing: tuple[Any, list[dict[str, Any]]]) -> None:
    """Page 2 of ``jobs(end_datetime=...)`` carries a bare ``{"lte": ...}`` clause."""
    project, created = listing
    end = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    where = {
        "and": [{"creationDate": {"lte": created[3]["creationDate"]}}, {"lte": end}],
        "id": {"nin": [created[3]["id"]]},
    }
    assert ids(project, {"order": "creationDate DESC", "limit": 10, "where": where}) == [
        job["id"] for job in reversed(created[:3])
    ]


def test_bad_filters_are_400(listing: tuple[Any, list[dict[str, Any]]], expect_error: Any) -> None:
    project, _ = listing
    for raw in ["{", '{"where": {"name": {"regexp": "("}}}', '{"limit": -3}', "[]"]:
        expect_error(project.get("/Jobs/status/v/1", params={"filter": raw}), 400, 3206)
