"""Login flow, hub tree and backend endpoints, over real HTTP."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from ibmq_local import LocalService

pytestmark = pytest.mark.integration


def test_login_flow(service: LocalService, http: httpx.Client) -> None:
    base = service.auth_url
    assert base == f"http://127.0.0.1:{service.port}/api"
    version = http.get(f"{base}/version")
    assert version.status_code == 200 and "api-auth" in version.json()

    login = http.post(f"{base}/users/loginWithToken", json={"apiToken": service.token})
    assert login.status_code == 200
    access_token = login.json()["id"]
    assert access_token and access_token != service.token

    me = http.get(f"{base}/users/me", headers={"X-Access-Token": access_token}).json()
    assert me["urls"] == {
        "http": f"http://127.0.0.1:{service.port}/api",
        "ws": f"ws://127.0.0.1:{service.port}/ws",
        "services": {},
    }


def test_bad_credentials(service: LocalService, http: httpx.Client, expect_error: Any) -> None:
    base = service.auth_url
    error = expect_error(
        http.post(f"{base}/users/loginWithToken", json={"apiToken": "wrong"}), 401, 3201
    )
    assert error["name"] != "ACCEPT_LICENSE_REQUIRED"
    expect_error(http.post(f"{base}/users/loginWithToken", json={}), 400, 3205)
    expect_error(http.get(f"{base}/users/me"), 401, 3200)
    expect_error(http.get(f"{base}/users/me", headers={"X-Access-Token": "nope"}), 401, 3200)
    expect_error(http.get(f"{base}/Network", headers={"X-Access-Token": "nope"}), 401, 3200)


def test_network_tree(api: Any, bob: Any) -> None:
    hubs = api.get(f"{api.http_url}/Network").json()
    assert hubs == [
        {
            "name": "ibm-q",
            "groups": {
                "open": {
                    "name": "open",
                    "projects": {
                        "main": {"name": "main", "isDefault": True},
                        "listing": {"name": "listing", "isDefault": False},
                    },
                }
            },
        }
    ]
    bob_hubs = bob.get(f"{bob.http_url}/Network").json()
    defaults = [
        (hub["name"], group, project)
        for hub in bob_hubs
        for group, g in hub["groups"].items()
        for project, p in g["projects"].items()
        if p["isDefault"]
    ]
    assert defaults == [("bob-hub", "g", "p")]


def test_project_membership_is_enforced(api: Any, expect_error: Any) -> None:
    expect_error(api.in_project("p", "bob-hub", "g").get("/devices/v/1"), 403, 3202)
    expect_error(api.in_project("nope").get("/devices/v/1"), 404, 3203)


def test_device_list(api: Any) -> None:
    started = time.monotonic()
    response = api.get("/devices/v/1")
    assert response.status_code == 200
    devices = {config["backend_name"]: config for config in response.json()}
    for name in ("ibmq_qasm_simulator", "ibmq_vigo", "ibmq_manila", "ibm_brisbane", "ibm_torino"):
        assert name in devices
        assert "online_date" in devices[name]
    assert "fake_fractional" in devices
    assert all("online_date" in config for config in devices.values())

    simulator = devices["ibmq_qasm_simulator"]
    assert simulator["simulator"] is True and simulator["coupling_map"] is None
    assert simulator["n_qubits"] == 32 and simulator["local"] is False
    assert (simulator["max_shots"], simulator["max_experiments"]) == (100000, 300)
    assert {"h", "cx", "u", "rz", "ecr", "ccx"} <= set(simulator["basis_gates"])
    for key in ("conditional", "memory", "open_pulse", "backend_version"):
        assert key in simulator
    assert all({"name", "parameters", "qasm_def"} <= set(g) for g in simulator["gates"])
    assert devices["ibm_brisbane"]["n_qubits"] == 127

    again = time.monotonic()
    assert api.get("/devices/v/1").status_code == 200
    assert time.monotonic() - again < max(1.0, time.monotonic() - started)


def test_queue_status_and_jobs_limit(api: Any) -> None:
    status = api.get("/devices/ibmq_vigo/queue/status").json()
    assert status["state"] is True and status["status"] == "active"
    assert status["lengthQueue"] == 0 and status["backend_version"] == "1.3.6"
    paused = api.get("/devices/ibmq_lima/queue/status").json()
    assert paused["status"] == "internal" and paused["state"] is True

    limit = api.get("/devices/ibmq_vigo/jobsLimit").json()
    assert limit == {"maximumJobs": 10, "runningJobs": 0}
    unlimited = api.in_project("listing").get("/devices/ibmq_vigo/jobsLimit").json()
    assert unlimited["maximumJobs"] == -1


def test_properties_with_and_without_datetime_filter(api: Any, expect_error: Any) -> None:
    props = api.get("/devices/ibmq_vigo/properties", params={"version": 1}).json()
    assert props["backend_name"] == "ibmq_vigo"
    assert {"last_update_date", "qubits", "gates", "general", "backend_version"} <= set(props)

    def before(moment: str) -> Any:
        where = json.dumps({"where": {"last_update_date": {"lt": moment}}})
        return api.get("/devices/ibmq_vigo/properties", params={"version": 1, "filter": where})

    assert before("2030-01-01T00:00:00+00:00").json() == props
    assert before("2000-01-01T00:00:00+00:00").json() == {}
    bad_filter = api.get("/devices/ibmq_vigo/properties", params={"filter": "{not json"})
    expect_error(bad_filter, 400, 3206)
    simulator = api.get("/devices/ibmq_qasm_simulator/properties", params={"version": 1})
    assert simulator.json() == {}


def test_defaults_and_unknown_device(api: Any, expect_error: Any) -> None:
    assert api.get("/devices/ibmq_vigo/defaults").json() == {}
    assert api.get("/devices/ibm_brisbane/defaults").json() == {}
    for path in ("/queue/status", "/properties", "/defaults", "/jobsLimit"):
        expect_error(api.get(f"/devices/no_such_device{path}"), 404, 3204)


def test_reservations_are_empty(api: Any) -> None:
    assert api.get(f"{api.http_url}/Network/devices/ibmq_vigo/bookings/v2").json() == []
    assert api.get(f"{api.http_url}/Network/bookings/v2").json() == []


def test_unknown_route_and_method(api: Any, expect_error: Any) -> None:
    expect_error(api.get(f"{api.http_url}/nothing/here"), 404, 3207)
    expect_error(api.client.delete(f"{api.http_url}/version"), 405, 3208)


def test_websocket_upgrade_is_refused_quickly(service: LocalService) -> None:
    """A job no user has: the handshake must fail at once (404) so the client polls."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", service.port), timeout=5) as sock:
        sock.sendall(
            b"GET /ws/jobs/0123456789abcdef01234567/status/v/1 HTTP/1.1\r\n"
            b"Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        status_line = sock.recv(1024).split(b"\r\n", 1)[0]
    assert not status_line.startswith(b"HTTP/1.1 101")
    assert status_line.startswith(b"HTTP/1.1 4")
    assert time.monotonic() - started < 2
