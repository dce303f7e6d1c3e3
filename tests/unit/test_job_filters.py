"""``jobs()`` arguments to LoopBack filters and keyset pages (protocol.md 5.2 and 5.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from qiskit.providers import JobStatus

from ibmq_async import IBMQBackendValueError
from ibmq_async._core.job_filters import ACTIVE_STATUSES, JobsCursor, jobs_where


def test_the_verified_example_of_the_protocol() -> None:
    where = jobs_where(
        status=["RUNNING", "ERROR"],
        job_name="n",
        start_datetime=datetime(2023, 1, 1, tzinfo=UTC),
        end_datetime=datetime(2023, 3, 1, tzinfo=UTC),
        job_tags=["a", "b"],
        job_tags_operator="AND",
        experiment_id="exp1",
        db_filter={"or": [{"x": 1}], "hubInfo.hub.name": "ibm-q"},
    )
    cursor = JobsCursor(where, limit=3)
    sent = json.dumps(cursor.next_filter())
    assert json.loads(sent) == {
        "order": "creationDate DESC",
        "limit": 3,
        "skip": 0,
        "where": {
            "or": [{"status": "RUNNING"}, {"status": {"regexp": "^ERROR"}}, {"x": 1}],
            "hubInfo.hub.name": "ibm-q",
            "name": {"regexp": "n"},
            "creationDate": {"between": ["2023-01-01T00:00:00+00:00", "2023-03-01T00:00:00+00:00"]},
            "and": [{"tags": "a"}, {"tags": "b"}],
            "experimentTag": "exp1",
        },
    }
    assert list(json.loads(sent)["where"])[:2] == ["or", "hubInfo.hub.name"]


@pytest.mark.parametrize(
    ("status", "clause"),
    [
        (JobStatus.INITIALIZING, {"status": {"inq": ["CREATING", "CREATED"]}}),
        ("validating", {"status": {"inq": ["VALIDATING", "VALIDATED"]}}),
        ("QUEUED", {"status": "QUEUED"}),
        (JobStatus.RUNNING, {"status": "RUNNING"}),
        ("cancelled", {"status": "CANCELLED"}),
        ("done", {"status": "COMPLETED"}),
        (JobStatus.ERROR, {"status": {"regexp": "^ERROR"}}),
    ],
)
def test_each_status_clause(status: Any, clause: dict[str, Any]) -> None:
    sent = JobsCursor(jobs_where(status=status)).next_filter()
    assert sent is not None and sent["where"] == clause


def test_active_jobs_and_single_values() -> None:
    where = jobs_where(backend_name="b", status=list(ACTIVE_STATUSES))
    assert where["backend.name"] == "b" and len(where["or"]) == 4
    assert jobs_where(job_tags=["x"]) == {"tags": {"inq": ["x"]}}
    assert jobs_where(start_datetime=datetime(2024, 5, 1, tzinfo=UTC)) == {
        "creationDate": {"gte": "2024-05-01T00:00:00+00:00"}
    }
    assert jobs_where(end_datetime=datetime(2024, 5, 1, tzinfo=UTC)) == {
        "creationDate": {"lte": "2024-05-01T00:00:00+00:00"}
    }


def test_naive_datetimes_are_local_time() -> None:
    naive = datetime(2024, 5, 1, 12, 0)
    expected = naive.astimezone().astimezone(UTC).isoformat()
    assert jobs_where(start_datetime=naive) == {"creationDate": {"gte": expected}}


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "SLEEPING"},
        {"status": ["done", 5]},
        {"job_tags": "a"},
        {"job_tags": [1]},
        {"job_tags": ["a"], "job_tags_operator": "XOR"},
        {"start_datetime": "2024-01-01"},
        {"job_name": 5},
        {"experiment_id": 7},
        {"db_filter": [1]},
        {"db_filter": {"or": {"x": 1}}},
        {"db_filter": {"x": object()}},
    ],
)
def test_bad_arguments_raise_a_typed_error(bad: dict[str, Any]) -> None:
    with pytest.raises(IBMQBackendValueError):
        jobs_where(**bad)


@pytest.mark.parametrize("bad", [{"limit": -1}, {"limit": "5"}, {"skip": -2}, {"descending": 1}])
def test_bad_paging_raises_a_typed_error(bad: dict[str, Any]) -> None:
    with pytest.raises(IBMQBackendValueError):
        JobsCursor({}, **bad)


def test_keyset_pages_never_skip_past_the_first() -> None:
    cursor = JobsCursor({"backend.name": "b"}, limit=None, skip=5)
    first = cursor.next_filter()
    assert first == {
        "order": "creationDate DESC",
        "limit": 100,
        "skip": 5,
        "where": {"backend.name": "b"},
    }
    cursor.advance([("j9", "2023-02-01T10:00:09.000Z"), ("j8", "2023-02-01T10:00:08.000Z")])
    second = cursor.next_filter()
    assert second == {
        "order": "creationDate DESC",
        "limit": 100,
        "skip": 0,
        "where": {
            "backend.name": "b",
            "creationDate": {"lte": "2023-02-01T10:00:08.000Z"},
            "id": {"nin": ["j8"]},
        },
    }
    cursor.advance([])
    assert cursor.next_filter() is None


def test_ascending_with_an_end_and_jobs_sharing_a_date() -> None:
    end = datetime(2024, 1, 1, tzinfo=UTC)
    cursor = JobsCursor(jobs_where(end_datetime=end), limit=5, descending=False)
    cursor.advance([("a", "2023-01-01T00:00:00.000Z"), ("b", "2023-01-01T00:00:00.000Z")])
    page = cursor.next_filter()
    assert page is not None and page["limit"] == 3
    assert page["where"]["creationDate"] == {
        "between": ["2023-01-01T00:00:00.000Z", "2024-01-01T00:00:00+00:00"]
    }
    assert page["where"]["id"] == {"nin": ["a", "b"]}
    cursor.advance([("c", "2023-01-01T00:00:00.000Z")])
    page = cursor.next_filter()
    assert page is not None and page["where"]["id"] == {"nin": ["a", "b", "c"]}
    cursor.advance([("d", "2023-02-01T00:00:00.000Z"), ("e", "2023-03-01T00:00:00.000Z")])
    assert cursor.next_filter() is None  # limit reached


def test_a_callers_id_clause_is_kept_beside_the_cursor() -> None:
    cursor = JobsCursor({"id": {"inq": ["a", "b", "c"]}}, limit=None)
    cursor.advance([("a", "2023-01-01T00:00:00.000Z")])
    page = cursor.next_filter()
    assert page is not None
    assert page["where"]["and"] == [{"id": {"nin": ["a"]}}, {"id": {"inq": ["a", "b", "c"]}}]
