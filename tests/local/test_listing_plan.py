"""The listing answers in SQL what it can and gives exactly the answer Python gave on every
document (protocol 5): pushed and residual clauses, ordering, paging, projection."""

from __future__ import annotations

import functools
import json
import random
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ibmq_async._core.job_filters import JobsCursor, jobs_where
from ibmq_async._core.statuses import ApiJobStatus
from ibmq_local._job_document import JobOwner, JobRecord, apply_status, document_json
from ibmq_local._listing import select_jobs
from ibmq_local._loopback import LoopbackFilter, apply_filter, parse_filter, project
from ibmq_local._pushdown import plan_listing
from ibmq_local._seeding import completed_job
from ibmq_local._store import JobStore

OWNER = JobOwner("alice", "ibm-q", "open", "main")
OTHER = JobOwner("bob", "ibm-q", "open", "main")
BACKENDS = ["ibmq_qasm_simulator", "ibmq_manila", "ibmq_lima"]
STATUSES = [
    ApiJobStatus.COMPLETED,
    ApiJobStatus.ERROR_RUNNING_JOB,
    ApiJobStatus.ERROR_VALIDATING_JOB,
    ApiJobStatus.CANCELLED,
    ApiJobStatus.QUEUED,
    ApiJobStatus.RUNNING,
]
INSTANT_TAG = "2024-03-01T00:00:00Z"
"""A tag that reads as a timestamp: Python equates it with "2024-03-01T00:00:00+00:00"."""
TAGS = ["red", "blue", "green", "ERRORS", INSTANT_TAG]
START = datetime(2024, 3, 1, tzinfo=UTC)


@functools.cache
def corpus() -> list[JobRecord]:
    """Varied jobs of two users; several share a creation millisecond (ties)."""
    rng = random.Random(7)
    records = []
    for i in range(60):
        owner = OTHER if i % 10 == 9 else OWNER
        created = START + timedelta(milliseconds=(i // 3) * 250)  # three jobs per instant
        record = completed_job(
            owner,
            BACKENDS[i % 3],
            created,
            job_id=f"{(i * 7919) % 1000:024x}",
            tags=rng.sample(TAGS, rng.randint(0, 3)),
            name=rng.choice([None, "alpha", "alphabet", "beta_1"]),
            n_qubits=rng.choice([1, 3, 5]),
        )
        status = STATUSES[i % len(STATUSES)]
        if status is not ApiJobStatus.COMPLETED:
            apply_status(record, status, created + timedelta(seconds=1))
        records.append(record)
    return records


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[JobStore]:
    opened = await JobStore.open(tmp_path / "jobs.db")
    try:
        await opened.insert_many(corpus())
        yield opened
    finally:
        await opened.close()


def expected_page(flt: LoopbackFilter) -> list[dict[str, Any]]:
    """What the listing served before: every document of the owner, oldest first (ties by
    id), through the Python evaluator; now without ``timePerStep``."""
    mine = sorted(
        (r for r in corpus() if r.user_id == OWNER.user_id), key=lambda r: (r.created_at, r.id)
    )
    documents = [json.loads(document_json(r.doc)) for r in mine]
    page = apply_filter(documents, LoopbackFilter(flt.where, flt.order, flt.limit, flt.skip))
    for doc in page:
        doc.pop("timePerStep")
    return [doc if flt.fields is None else project(doc, flt.fields) for doc in page]


def moment(rng: random.Random) -> str:
    """A bound near the corpus's dates, in the forms clients send (Z, +00:00, other offsets,
    microseconds)."""
    at = START + timedelta(microseconds=rng.choice([0, 250_000, 500_500, 999_999]))
    at += timedelta(milliseconds=250 * rng.randint(-1, 21))
    form = rng.randint(0, 3)
    if form == 0:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    if form == 1:
        return at.isoformat()
    if form == 2:
        return at.astimezone(timezone(timedelta(hours=-5))).isoformat()
    return at.replace(tzinfo=None).isoformat()


def clause(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    ids = [r.id for r in corpus()]
    pick = rng.randrange(22 if depth < 2 else 19)
    options: list[Callable[[], dict[str, Any]]] = [
        lambda: {"backend.name": rng.choice(BACKENDS)},
        lambda: {"backend.name": {"inq": rng.sample(BACKENDS, 2)}},
        lambda: {"backend.name": {"nin": [rng.choice(BACKENDS), None, 3]}},
        lambda: {"status": {"neq": rng.choice(STATUSES).value}},
        lambda: {"status": rng.choice([{"regexp": "^ERROR"}, {"regexp": "ERROR"}, "COMPLETED"])},
        lambda: {"status": {"inq": ["CANCELLED", "QUEUED", 5, None]}},
        lambda: {"tags": rng.choice(TAGS)},
        lambda: {"tags": {"inq": rng.sample(TAGS, 2)}},
        lambda: {"tags": {"nin": rng.sample([*TAGS, "2024-03-01T00:00:00+00:00"], 2)}},
        lambda: {"tags": rng.choice([{"neq": "red"}, {"regexp": "^re"}, {"inq": []}, {"nin": []}])},
        lambda: {"creationDate": {rng.choice(["gt", "gte", "lt", "lte"]): moment(rng)}},
        lambda: {"creationDate": {"between": sorted([moment(rng), moment(rng)])}},
        lambda: {rng.choice(["lte", "gte"]): moment(rng)},
        lambda: {
            "creationDate": rng.choice([moment(rng), "2024-03-01T00:00:00.250Z", "not a date"])
        },
        lambda: {"id": {"nin": rng.sample(ids, 3)}},
        lambda: {"id": rng.choice([rng.choice(ids), {"inq": rng.sample(ids, 4)}])},
        lambda: {"name": {"regexp": rng.choice(["alpha", "^beta", "/ALPHA/i"])}},
        lambda: {"summaryData.summary.qobj_config.n_qubits": {"gte": rng.choice([2, 4])}},
        lambda: {
            rng.choice(["hubInfo.project.name", "userId"]): rng.choice(["main", "alice", "bob"])
        },
        lambda: {"or": [clause(rng, depth + 1), clause(rng, depth + 1)]},
        lambda: {"and": [clause(rng, depth + 1), clause(rng, depth + 1)]},
        lambda: {"nor": [clause(rng, depth + 1)]},
    ]
    return options[pick]()


def random_filter(rng: random.Random) -> dict[str, Any]:
    where: dict[str, Any] = {}
    for _ in range(rng.randint(0, 3)):
        where.update(clause(rng))
    flt: dict[str, Any] = {
        "where": where,
        "order": rng.choice(
            [
                "creationDate DESC",
                "creationDate ASC",
                "id ASC",
                ["creationDate DESC", "id DESC"],
                "name DESC",
                ["status ASC", "creationDate DESC"],
                [],
            ]
        ),
        "limit": rng.choice([None, 1, 3, 10]),
        "skip": rng.choice([0, 0, 1, 4]),
    }
    if rng.random() < 0.2:
        flt["fields"] = {"id": True, "creationDate": True, "timePerStep": True}
    return flt


async def test_random_filters_give_what_python_gave(store: JobStore) -> None:
    rng = random.Random(2024)
    pushed_whole = 0
    for case in range(600):
        raw = random_filter(rng)
        flt = parse_filter(raw)
        got = (await select_jobs(store, OWNER, flt)).documents
        assert got == expected_page(flt), (case, raw)
        pushed_whole += not plan_listing(flt).residual
    assert pushed_whole > 150  # the cases exercise the SQL path, not only the fallback


@pytest.mark.parametrize(
    "raw",
    [
        {"where": {"tags": INSTANT_TAG.replace("Z", "+00:00")}},
        {
            "where": {
                "creationDate": {
                    "between": ["2024-03-01T00:00:00.2501Z", "2024-03-01T00:00:01.0009Z"]
                }
            }
        },
        {
            "where": {
                "and": [{"creationDate": {"lte": "2024-03-01T00:00:02Z"}}, {"lte": "2099-01-01"}]
            }
        },
        {"where": {"creationDate": {"gte": "0999-01-01T00:00:00Z"}}, "limit": 2},
        {"where": {"status": {"regexp": "^ERROR", "options": "i"}}},
        {"where": {"or": []}, "order": "creationDate ASC", "skip": 58},
        {"where": {"or": [{"tags": "red"}, {"name": {"regexp": "bet"}}]}, "limit": 2, "skip": 1},
        {"where": {"hubInfo.project.name": "other"}},
    ],
)
async def test_edge_filters(store: JobStore, raw: dict[str, Any]) -> None:
    flt = parse_filter({"order": "creationDate DESC", **raw})
    assert (await select_jobs(store, OWNER, flt)).documents == expected_page(flt)


async def test_what_sqlite_would_refuse_is_left_to_python(store: JobStore) -> None:
    """More values than SQLite takes parameters, deeper than it nests expressions."""
    many = {"id": {"nin": [f"{i:024x}" for i in range(40_000)]}}
    nested: dict[str, Any] = {"tags": "red"}
    for _ in range(300):
        nested = {"or": [nested, {"tags": "nope"}]}
    for where in (many, nested):
        flt = parse_filter({"order": "creationDate DESC", "where": where})
        assert plan_listing(flt).residual
        assert (await select_jobs(store, OWNER, flt)).documents == expected_page(flt)


def cursor_pages(**arguments: Any) -> list[dict[str, Any]]:
    """The first and a later page filter the client's cursor sends for ``jobs(...)``."""
    cursor = JobsCursor(jobs_where(backend_name="ibmq_manila", **arguments), skip=1)
    first = cursor.next_filter()
    cursor.advance([("a" * 24, "2024-03-01T00:00:02.000Z")])
    later = cursor.next_filter()
    assert first is not None and later is not None
    return [first, later]


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"status": "DONE"},
        {"status": ["INITIALIZING", "VALIDATING", "QUEUED", "RUNNING", "ERROR"]},
        {"start_datetime": START, "end_datetime": START + timedelta(days=1)},
        {"end_datetime": START + timedelta(days=1)},
        {"start_datetime": START},
        {"job_tags": ["red", "blue"]},
        {"job_tags": ["red", "blue"], "job_tags_operator": "AND"},
        {"db_filter": {"id": {"nin": ["x"]}, "status": "COMPLETED"}},
    ],
)
def test_what_the_client_sends_is_answered_in_sql(arguments: dict[str, Any]) -> None:
    for page in cursor_pages(**arguments):
        plan = plan_listing(parse_filter(json.dumps(page)))
        assert plan.residual == {}, page
        assert plan.order_by == "created_at DESC, id ASC"


def test_what_sql_does_not_answer_stays_for_python() -> None:
    flt = parse_filter(
        json.dumps(
            cursor_pages(
                job_name="ghz",
                experiment_id="exp",
                db_filter={"summaryData.summary.qobj_config.n_qubits": {"gte": 3}},
            )[1]
        )
    )
    plan = plan_listing(flt)
    assert set(plan.residual) == {
        "name",
        "experimentTag",
        "summaryData.summary.qobj_config.n_qubits",
    }
    assert "backend = ?" in plan.condition.text and "created_at <= ?" in plan.condition.text
    assert plan_listing(parse_filter({"order": "name ASC"})).order_by is None


async def test_tags_follow_updates(store: JobStore) -> None:
    record = completed_job(OWNER, "ibmq_lima", START + timedelta(days=1), tags=["before"])
    await store.insert(record)
    record.doc.tags = ["after"]
    await store.save(record)
    for tag, found in [("before", []), ("after", [record.id])]:
        flt = parse_filter({"where": {"tags": tag}})
        assert [d["id"] for d in (await select_jobs(store, OWNER, flt)).documents] == found


async def test_a_database_from_before_job_tags_is_migrated(tmp_path: Path) -> None:
    record = completed_job(OWNER, "ibmq_lima", START, tags=["kept", "too"])
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the schema as it was, without job_tags
        old.execute(
            "CREATE TABLE jobs (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, hub TEXT NOT NULL, "
            "grp TEXT NOT NULL, project TEXT NOT NULL, backend TEXT NOT NULL, "
            "status TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL, "
            "meta TEXT NOT NULL DEFAULT '{}')"
        )
        old.execute(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
            (
                record.id,
                *OWNER,
                record.backend,
                "COMPLETED",
                record.created_at,
                document_json(record.doc),
            ),
        )
    old.close()
    store = await JobStore.open(path)
    try:
        flt = parse_filter({"where": {"and": [{"tags": "kept"}, {"tags": "too"}]}})
        assert [d["id"] for d in (await select_jobs(store, OWNER, flt)).documents] == [record.id]
    finally:
        await store.close()
    reopened = await JobStore.open(path)  # migrating again would duplicate nothing
    await reopened.close()
