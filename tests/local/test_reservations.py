"""Reservations (bookings) defined in the configuration (protocol 2.6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibmq_async._core.models.reservation import BackendReservation
from ibmq_local import LocalService
from ibmq_local.config import ConfigError, load_settings

pytestmark = pytest.mark.integration

MANILA = "ibmq_manila"
BOB_TOKEN = "bob-token"
MAIN = {"hub": "ibm-q", "group": "open", "project": "main"}
BOBS = {"hub": "bob-hub", "group": "g", "project": "p"}

CONFIG: dict[str, Any] = {
    "users": [
        {
            "id": "bob",
            "api_token": BOB_TOKEN,
            "projects": [{**BOBS, "is_default": True}],
        }
    ],
    "backends": {
        MANILA: {
            "reservations": [
                # Listed out of order: the service sorts them.
                {"start": "2030-01-02T00:00:00Z", "end": "2030-01-03T01:00:00Z"},
                {
                    "start": "2030-01-01T09:00:00Z",
                    "end": "2030-01-01T11:00:00Z",
                    "mode": "priority",
                    "id": "main-booking",
                    "created": "2029-12-01T08:00:00Z",
                    **MAIN,
                },
                {"start": "2030-01-01T12:00:00", "end": "2030-01-01T13:30:00", **BOBS},
                {"start": "2020-01-01T00:00:00Z", "end": "2020-01-01T01:00:00Z", **MAIN},
            ]
        },
        "ibmq_lima": {
            "reservations": [
                {"start": "2031-05-01T00:00:00Z", "end": "2031-05-01T00:30:00Z", **MAIN}
            ]
        },
    },
}


@pytest.fixture(scope="module")
def booked(tmp_path_factory: pytest.TempPathFactory, login: Any) -> Iterator[tuple[Any, Any]]:
    """(default user, bob) of a service with bookings."""
    data_dir: Path = tmp_path_factory.mktemp("bookings")
    (data_dir / "config.json").write_text(json.dumps(CONFIG))
    with httpx.Client(timeout=60) as http, LocalService(data_dir) as service:
        yield login(http, service.auth_url, service.token), login(http, service.auth_url, BOB_TOKEN)


def bookings(api: Any, backend: str = MANILA, **params: str) -> list[dict[str, Any]]:
    response = api.get(f"{api.http_url}/Network/devices/{backend}/bookings/v2", params=params)
    assert response.status_code == 200, response.text
    found = response.json()
    assert isinstance(found, list)
    for item in found:
        BackendReservation.model_validate(item)  # the client's wire model reads every reply
    return found


def test_everyone_sees_every_slot_and_only_owners_see_the_details(booked: Any) -> None:
    me, bob = booked
    mine = bookings(me)
    assert [r["initialDate"] for r in mine] == [
        "2020-01-01T00:00:00.000Z",
        "2030-01-01T09:00:00.000Z",
        "2030-01-01T12:00:00.000Z",
        "2030-01-02T00:00:00.000Z",
    ]
    own = mine[1]
    assert own == {
        "initialDate": "2030-01-01T09:00:00.000Z",
        "endDate": "2030-01-01T11:00:00.000Z",
        "mode": "priority",
        "id": "main-booking",
        "creationDate": "2029-12-01T08:00:00.000Z",
        "hubInfo": {
            "hub": {"name": "ibm-q"},
            "group": {"name": "open"},
            "project": {"name": "main"},
        },
    }
    assert set(mine[2]) == {"initialDate", "endDate"}, "bob's booking: only the slot"
    assert set(mine[3]) == {"initialDate", "endDate"}, "nobody's booking: only the slot"

    bobs = bookings(bob)
    assert [r["initialDate"] for r in bobs] == [r["initialDate"] for r in mine]
    assert set(bobs[1]) == {"initialDate", "endDate"}
    assert bobs[2]["hubInfo"]["hub"]["name"] == "bob-hub" and bobs[2]["mode"] == "dedicated"
    assert isinstance(bobs[2]["id"], str) and bobs[2]["id"] == bookings(bob)[2]["id"]
    assert "creationDate" not in bobs[2]


def test_window_filters_keep_overlapping_slots(booked: Any) -> None:
    me, _ = booked

    def starts(**window: str) -> list[str]:
        return [r["initialDate"][:16] for r in bookings(me, **window)]

    # The parameters the legacy client sends: UTC isoformat() with an explicit offset.
    window = {"initialDate": "2030-01-01T10:00:00+00:00", "endDate": "2030-01-01T12:30:00+00:00"}
    assert starts(**window) == ["2030-01-01T09:00", "2030-01-01T12:00"]
    assert (
        starts(initialDate="2030-01-01T11:00:00+00:00", endDate="2030-01-01T12:00:00+00:00") == []
    )
    assert starts(initialDate="2030-01-02T12:00:00Z") == ["2030-01-02T00:00"]
    assert starts(endDate="2025-01-01T00:00:00Z") == ["2020-01-01T00:00"]
    # Another offset is the same instant.
    assert starts(initialDate="2030-01-01T12:00:00+02:00", endDate="2030-01-01T11:00:00Z") == [
        "2030-01-01T09:00"
    ]


def test_an_unescaped_plus_in_the_query_still_parses(booked: Any) -> None:
    me, _ = booked
    url = f"{me.http_url}/Network/devices/{MANILA}/bookings/v2"
    raw = me.get(url + "?initialDate=2030-01-01T12:00:00+00:00&endDate=2030-01-01T12:01:00+00:00")
    assert [r["initialDate"] for r in raw.json()] == ["2030-01-01T12:00:00.000Z"]


def test_my_reservations_are_my_projects_upcoming_ones(booked: Any) -> None:
    me, bob = booked
    response = me.get(f"{me.http_url}/Network/bookings/v2")
    mine = response.json()
    assert [(r["backendName"], r["id"]) for r in mine] == [
        (MANILA, "main-booking"),
        ("ibmq_lima", mine[1]["id"]),
    ], "the 2020 booking is over; bob's and nobody's are not mine"
    assert all(r["hubInfo"]["project"]["name"] == "main" for r in mine)
    bobs = bob.get(f"{bob.http_url}/Network/bookings/v2").json()
    assert [(r["backendName"], r["initialDate"]) for r in bobs] == [
        (MANILA, "2030-01-01T12:00:00.000Z")
    ]


def test_other_backends_have_none_and_bad_requests_are_refused(
    booked: Any, expect_error: Any
) -> None:
    me, _ = booked
    assert bookings(me, "ibmq_vigo") == []
    url = f"{me.http_url}/Network/devices"
    expect_error(me.get(f"{url}/no_such_device/bookings/v2"), 404, 3204)
    expect_error(me.get(f"{url}/{MANILA}/bookings/v2", params={"initialDate": "soon"}), 400, 3205)
    no_token = me.client.get(f"{url}/{MANILA}/bookings/v2")
    expect_error(no_token, 401, 3200)


@pytest.mark.parametrize(
    "booking",
    [
        {"start": "2030-01-01T10:00:00Z", "end": "2030-01-01T09:00:00Z"},
        {"start": "2030-01-01T09:00:00Z", "end": "2030-01-01T10:00:00Z", "hub": "ibm-q"},
        {"start": "tomorrow", "end": "2030-01-01T10:00:00Z"},
    ],
)
def test_inconsistent_bookings_are_configuration_errors(
    tmp_path: Path, booking: dict[str, Any]
) -> None:
    config = {"backends": {MANILA: {"reservations": [booking]}}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError):
        load_settings(tmp_path)
