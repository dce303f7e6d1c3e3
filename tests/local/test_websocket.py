"""The job-status websocket (protocol 6.1), spoken with the ``websockets`` library."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from ibmq_async._core.statuses import ApiJobStatus
from ibmq_async._core.websocket import WsCloseCode, authentication_message, status_url
from ibmq_local import LocalService

pytestmark = pytest.mark.integration

PAUSED = "ibmq_lima"
ORDER = [status.value for status in ApiJobStatus]
"""The API statuses in the order a job goes through them (finals last)."""


def ws_base(api: Any) -> str:
    """``urls.ws`` of ``/users/me``, as a client learns it."""
    me = api.client.get(f"{api.auth_url}/users/me", headers={"X-Access-Token": api.access_token})
    return str(me.json()["urls"]["ws"])


@contextmanager
def job_socket(api: Any, job_id: str) -> Iterator[ClientConnection]:
    with connect(status_url(ws_base(api), job_id), proxy=None, open_timeout=10) as socket:
        yield socket


def receive(socket: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    return dict(json.loads(socket.recv(timeout=timeout)))


def authenticate(socket: ClientConnection, access_token: str) -> None:
    socket.send(authentication_message(access_token))
    assert receive(socket) == {"type": "authenticated"}


def statuses_until_closed(socket: ClientConnection, deadline: float) -> tuple[list[Any], int]:
    """Every status message until the server closes; and the close code."""
    messages: list[Any] = []
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no close after {messages}"
        try:
            message = receive(socket, remaining)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "the server did not send a close frame"
            return messages, closed.rcvd.code
        assert message["type"] == "job-status" and isinstance(message["data"], dict)
        messages.append(message["data"])


def test_statuses_stream_to_the_final_one_then_4002(api: Any, build: Any) -> None:
    created = api.create_job()
    job_id = created["id"]
    with job_socket(api, job_id) as socket:
        authenticate(socket, api.access_token)
        assert receive(socket)["data"] == {"status": "CREATING"}

        upload = api.client.put(
            created["objectStorageInfo"]["uploadUrl"],
            content=json.dumps(build.qobj([build.ghz(3)])).encode(),
        )
        assert upload.status_code == 200
        assert api.post(f"/Jobs/{job_id}/jobDataUploaded").status_code == 200
        messages, code = statuses_until_closed(socket, time.monotonic() + 90)

    seen = [data["status"] for data in messages]
    assert seen[-1] == "COMPLETED"
    assert seen == sorted(seen, key=ORDER.index), "statuses arrive in the job's order"
    assert len(seen) == len(set(seen)), "each change is sent once"
    assert code == WsCloseCode.JOB_DONE
    assert api.status(job_id)["status"] == "COMPLETED"


def test_queue_position_is_pushed_and_cancel_ends_the_stream(api: Any, build: Any) -> None:
    qobj = build.qobj(
        [build.experiment([{"name": "x", "qubits": [0]}, *build.measure([0])], 5, 1)], PAUSED
    )
    job_id = api.submit(qobj, PAUSED)
    api.wait(job_id, frozenset({"QUEUED"}))
    with job_socket(api, job_id) as socket:
        authenticate(socket, api.access_token)
        queued = receive(socket)["data"]
        assert queued["status"] == "QUEUED"
        assert queued["infoQueue"]["position"] >= 1
        assert queued["infoQueue"]["status"] == "PENDING_IN_QUEUE"

        assert api.post(f"/Jobs/{job_id}/cancel").json() == {"cancelled": True}
        messages, code = statuses_until_closed(socket, time.monotonic() + 30)
    assert messages == [{"status": "CANCELLED"}]
    assert code == WsCloseCode.JOB_DONE


def test_a_final_job_gets_its_status_and_4002_at_once(api: Any, build: Any) -> None:
    job = api.run(build.qobj([build.ghz(2)]))
    with job_socket(api, job["id"]) as socket:
        authenticate(socket, api.access_token)
        messages, code = statuses_until_closed(socket, time.monotonic() + 10)
    assert messages == [{"status": job["status"]}]
    assert code == WsCloseCode.JOB_DONE


@pytest.mark.parametrize(
    "first_message",
    [
        authentication_message("not-an-access-token"),
        json.dumps({"type": "authentication"}),
        "not json",
    ],
)
def test_a_bad_authentication_closes_with_1008(api: Any, first_message: str) -> None:
    job_id = api.create_job()["id"]
    with job_socket(api, job_id) as socket:
        socket.send(first_message)
        with pytest.raises(ConnectionClosed) as closed:
            receive(socket, 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == WsCloseCode.AUTHENTICATION_FAILED
    assert int(WsCloseCode.AUTHENTICATION_FAILED) == 1008
    api.post(f"/Jobs/{job_id}/cancel")


def test_someone_elses_job_closes_with_4003_after_authentication(api: Any, bob: Any) -> None:
    job_id = api.create_job()["id"]
    with job_socket(bob, job_id) as socket:
        authenticate(socket, bob.access_token)
        messages, code = statuses_until_closed(socket, time.monotonic() + 10)
    assert messages == []
    assert code == WsCloseCode.JOB_NOT_FOUND
    api.post(f"/Jobs/{job_id}/cancel")


def test_an_unknown_job_is_refused_before_the_upgrade(api: Any) -> None:
    url = status_url(ws_base(api), "0123456789abcdef01234567")
    with pytest.raises(InvalidStatus) as refused, connect(url, proxy=None):
        pass
    response = refused.value.response
    assert response.status_code == 404
    assert json.loads(response.body or b"{}")["error"]["code"] == 3250


def test_many_watchers_and_a_client_that_leaves(api: Any, build: Any) -> None:
    """Watchers that disconnect early are dropped; the others still get the final status."""
    created = api.create_job()
    job_id = created["id"]
    with job_socket(api, job_id) as leaving:
        authenticate(leaving, api.access_token)
        assert receive(leaving)["data"]["status"] == "CREATING"
    with job_socket(api, job_id) as first, job_socket(api, job_id) as second:
        for socket in (first, second):
            authenticate(socket, api.access_token)
            assert receive(socket)["data"]["status"] == "CREATING"
        api.client.put(
            created["objectStorageInfo"]["uploadUrl"],
            content=json.dumps(build.qobj([build.ghz(2)])).encode(),
        )
        api.post(f"/Jobs/{job_id}/jobDataUploaded")
        for socket in (first, second):
            messages, code = statuses_until_closed(socket, time.monotonic() + 90)
            assert messages[-1]["status"] == "COMPLETED" and code == WsCloseCode.JOB_DONE


def test_users_me_points_at_this_server(service: LocalService, http: httpx.Client) -> None:
    login = http.post(f"{service.auth_url}/users/loginWithToken", json={"apiToken": service.token})
    me = http.get(f"{service.auth_url}/users/me", headers={"X-Access-Token": login.json()["id"]})
    assert me.json()["urls"]["ws"] == f"ws://127.0.0.1:{service.port}/ws"
