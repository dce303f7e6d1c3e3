"""Unit tests of the LoopBack filter evaluator (protocol section 5)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ibmq_local._loopback import FilterError, apply_filter, matches, parse_filter

DOCS: list[dict[str, Any]] = [
    {
        "id": "a1",
        "creationDate": "2023-02-01T10:00:00.000Z",
        "status": "COMPLETED",
        "name": "bell_0_",
        "tags": ["x", "ibmq_jobset_1_"],
        "backend": {"name": "ibmq_vigo"},
        "hubInfo": {"hub": {"name": "ibm-q"}},
        "shots": 100,
    },
    {
        "id": "b2",
        "creationDate": "2023-02-01T10:00:01.000Z",
        "status": "ERROR_RUNNING_JOB",
        "name": "ghz",
        "tags": ["y"],
        "backend": {"name": "ibmq_qasm_simulator"},
        "hubInfo": {"hub": {"name": "ibm-q"}},
        "shots": 4000,
    },
    {
        "id": "c3",
        "creationDate": "2023-02-01T10:00:02.000Z",
        "status": "QUEUED",
        "tags": ["x", "y"],
        "backend": {"name": "ibmq_vigo"},
        "hubInfo": {"hub": {"name": "other"}},
    },
]


def ids(where: dict[str, Any]) -> list[str]:
    return [doc["id"] for doc in DOCS if matches(doc, where)]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({}, ["a1", "b2", "c3"]),
        ({"status": "QUEUED"}, ["c3"]),
        ({"backend.name": "ibmq_vigo"}, ["a1", "c3"]),
        ({"hubInfo.hub.name": "ibm-q"}, ["a1", "b2"]),
        ({"tags": "x"}, ["a1", "c3"]),
        ({"tags": {"inq": ["y", "nope"]}}, ["b2", "c3"]),
        ({"and": [{"tags": "x"}, {"tags": "y"}]}, ["c3"]),
        ({"status": {"inq": ["COMPLETED", "QUEUED"]}}, ["a1", "c3"]),
        ({"status": {"nin": ["COMPLETED", "QUEUED"]}}, ["b2"]),
        ({"id": {"nin": ["a1"]}}, ["b2", "c3"]),
        ({"status": {"regexp": "^ERROR"}}, ["b2"]),
        ({"name": {"regexp": "/BELL/i"}}, ["a1"]),
        ({"name": {"regexp": "l"}}, ["a1"]),
        ({"name": {"like": "gh%"}}, ["b2"]),
        ({"name": {"exists": False}}, ["c3"]),
        ({"name": None}, ["c3"]),
        ({"status": {"neq": "QUEUED"}}, ["a1", "b2"]),
        ({"shots": {"gt": 100}}, ["b2"]),
        ({"shots": {"gte": 100, "lt": 4000}}, ["a1"]),
        ({"shots": {"between": [50, 4000]}}, ["a1", "b2"]),
        ({"or": [{"status": "QUEUED"}, {"status": {"regexp": "^ERROR"}}]}, ["b2", "c3"]),
        (
            {"or": [{"status": "QUEUED"}, {"x": 1}], "backend.name": "ibmq_vigo"},
            ["c3"],
        ),
        ({"unknownField": 1}, []),
    ],
)
def test_where_operators(where: dict[str, Any], expected: list[str]) -> None:
    assert ids(where) == expected


def test_dates_compare_as_instants_across_formats() -> None:
    assert ids({"creationDate": {"gte": "2023-02-01T10:00:01+00:00"}}) == ["b2", "c3"]
    assert ids({"creationDate": {"lte": "2023-02-01T11:00:01+01:00"}}) == ["a1", "b2"]
    assert ids({"creationDate": {"lt": "2023-02-01T10:00:01.000Z"}}) == ["a1"]
    assert ids({"creationDate": "2023-02-01T10:00:02+00:00"}) == ["c3"]
    between = ["2023-02-01T10:00:00.500000+00:00", "2023-02-01T05:00:02-05:00"]
    assert ids({"creationDate": {"between": between}}) == ["b2", "c3"]


def test_bare_comparison_clause_constrains_creation_date() -> None:
    # The legacy client's page-2 filter with only an end date (protocol 5.4).
    where = {
        "and": [
            {"creationDate": {"lte": "2023-02-01T10:00:02.000Z"}},
            {"lte": "2023-02-01T10:00:01+00:00"},
        ],
        "id": {"nin": ["b2"]},
    }
    assert ids(where) == ["a1"]
    assert ids({"gte": "2023-02-01T10:00:01+00:00"}) == ["b2", "c3"]


def test_order_limit_skip_and_fields() -> None:
    flt = parse_filter(
        json.dumps(
            {
                "order": "creationDate DESC",
                "limit": 2,
                "skip": 0,
                "fields": {"id": True, "creationDate": True},
            }
        )
    )
    assert apply_filter(DOCS, flt) == [
        {"id": "c3", "creationDate": "2023-02-01T10:00:02.000Z"},
        {"id": "b2", "creationDate": "2023-02-01T10:00:01.000Z"},
    ]
    ascending = parse_filter({"order": "creationDate ASC", "skip": 1})
    assert [d["id"] for d in apply_filter(DOCS, ascending)] == ["b2", "c3"]
    by_shots = parse_filter({"order": ["shots DESC", "id ASC"]})
    assert [d["id"] for d in apply_filter(DOCS, by_shots)] == ["c3", "b2", "a1"]
    excluded = parse_filter({"fields": {"tags": False, "hubInfo": False}, "limit": 1})
    assert "tags" not in apply_filter(DOCS, excluded)[0]


def test_keyset_pagination_like_the_legacy_client() -> None:
    """Descending pages of 1 with the rebuilt creationDate/id bounds (protocol 5.4)."""
    seen: list[str] = []
    where: dict[str, Any] = {"backend.name": "ibmq_vigo"}
    while True:
        page = apply_filter(
            DOCS, parse_filter({"order": "creationDate DESC", "limit": 1, "where": where})
        )
        if not page:
            break
        seen.append(page[0]["id"])
        where = {
            "backend.name": "ibmq_vigo",
            "creationDate": {"lte": page[0]["creationDate"]},
            "id": {"nin": [page[0]["id"]]},
        }
    assert seen == ["c3", "a1"]


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '{"where": []}',
        '{"limit": -1}',
        '{"limit": "x"}',
        '{"order": "creationDate SIDEWAYS"}',
        '{"where": {"name": {"regexp": "("}}}',
        '{"where": {"status": {"inq": "COMPLETED"}}}',
        '{"where": {"creationDate": {"between": ["2023"]}}}',
        '{"where": {"or": {"status": "QUEUED"}}}',
        '{"fields": 3}',
    ],
)
def test_malformed_filters_are_rejected(raw: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(raw)


def test_empty_filter_selects_everything() -> None:
    flt = parse_filter(None)
    assert flt.limit is None and flt.skip == 0 and flt.where == {}
    assert len(apply_filter(DOCS, flt)) == 3


def test_deeply_nested_filter_is_rejected() -> None:
    deep = '{"where": ' + '{"and": [' * 5000 + "{}" + "]}" * 5000 + "}"
    with pytest.raises(FilterError):
        parse_filter(deep)
