"""Fault injection (``--fault-rate``): the seeded draws, and each fault kind over loopback.

The integration tests predict every request's fault with a replica of the service's
:class:`FaultPlan` (same rate, same seed: one draw per request, in arrival order), so they
can put a chosen fault on a chosen request by sending harmless requests first. Requests are
sent one at a time on fresh connections, so the service sees them in the order sent.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections import Counter, deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import connect

from ibmq_async._core.websocket import authentication_message, status_url
from ibmq_local import LocalService
from ibmq_local._faults import (
    DROP_FAULTS,
    FAULTS,
    Fault,
    FaultInjectionMiddleware,
    FaultPlan,
)
from ibmq_local.config import ConfigError, load_settings

SEED = 20240607
RATE = 0.5
PAUSED = "ibmq_lima"
SIMULATOR = "ibmq_qasm_simulator"
STATUS_FAULTS = [fault for fault in FAULTS if fault not in DROP_FAULTS]


# -- the draws --------------------------------------------------------------------------


def draws(plan: FaultPlan, n: int) -> list[tuple[Fault | None, float]]:
    return [plan.draw() for _ in range(n)]


def test_same_seed_same_faults_and_other_seeds_differ() -> None:
    first = draws(FaultPlan(0.3, seed=7), 2000)
    assert first == draws(FaultPlan(0.3, seed=7), 2000)
    assert [fault for fault, _ in first] != [fault for fault, _ in draws(FaultPlan(0.3, 8), 2000)]
    # The draws depend on the request count only: the kinds do not shift one another.
    assert [f for f, _ in draws(FaultPlan(0.3, 7), 2000)] == [f for f, _ in first]


def test_rate_and_kinds_are_distributed_as_documented() -> None:
    plan = FaultPlan(0.3, seed=11)
    n = 45_000
    faults = [fault for fault, _ in draws(plan, n)]
    counts = Counter(fault for fault in faults if fault is not None)
    injected = sum(counts.values())
    # Binomial standard deviation ~97: five of them either way.
    assert abs(injected - 0.3 * n) < 500, injected
    assert set(counts) == set(FAULTS)
    for fault in FAULTS:  # each kind one ninth of the faults, sd ~38
        assert abs(counts[fault] - injected / len(FAULTS)) < 200, (fault, counts)
    stats = plan.stats()
    assert stats.requests == n
    assert stats.injected == {fault: counts[fault] for fault in FAULTS}
    assert stats.seed == 11
    assert f"{injected} faults in {n} requests, seed 11" in stats.describe()


def test_retry_after_takes_both_values_and_rates_0_and_1() -> None:
    plan = FaultPlan(1.0, seed=3)
    details = [detail for fault, detail in draws(plan, 5000) if fault is Fault.RATE_LIMITED]
    assert any(detail < 0.5 for detail in details) and any(detail >= 0.5 for detail in details)
    assert all(fault is not None for fault, _ in draws(FaultPlan(1.0, 1), 500))
    assert all(fault is None for fault, _ in draws(FaultPlan(0.0, 1), 500))
    assert isinstance(FaultPlan(0.5).seed, int)  # random, but known
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="between 0 and 1"):
            FaultPlan(bad)


SPARED = ("/docs", "/openapi.json", "/redoc", "/", "/dashboard/dashboard.js")


def test_middleware_spares_documentation_dashboard_and_lifespan() -> None:
    plan = FaultPlan(1.0, seed=5)
    calls: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(scope.get("path", scope["type"]))

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = FaultInjectionMiddleware(app, plan)

    async def run() -> None:
        await middleware({"type": "lifespan"}, receive, send)
        for path in SPARED:
            await middleware({"type": "http", "path": path, "method": "GET"}, receive, send)
        await middleware({"type": "http", "path": "/api/version", "method": "GET"}, receive, send)

    asyncio.run(run())
    assert plan.stats().requests == 1
    expected = FaultPlan(1.0, seed=5).draw()[0]
    assert expected is not None
    if expected is Fault.DROP_AFTER:
        assert calls[-1] == "/api/version"  # handled, then dropped
    else:
        assert calls == ["lifespan", *SPARED]
    if expected.status is not None:
        assert sent[0]["status"] == expected.status


def test_settings_take_fault_options_from_file_and_arguments(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("fault_rate = 0.25\nfault_seed = 9\n")
    settings = load_settings(tmp_path)
    assert (settings.fault_rate, settings.fault_seed) == (0.25, 9)
    settings = load_settings(tmp_path, fault_rate=0.5, fault_seed=10)
    assert (settings.fault_rate, settings.fault_seed) == (0.5, 10)
    with pytest.raises(ConfigError):
        load_settings(tmp_path, fault_rate=2.0)
    (tmp_path / "config.toml").unlink()
    (tmp_path / "config.json").write_text(json.dumps({"fault_rate": 1.5}))
    with pytest.raises(ConfigError, match="fault_rate"):
        load_settings(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    assert load_settings(tmp_path).fault_rate == 0.0


# -- over loopback ------------------------------------------------------------------------

Outcome = httpx.Response | httpx.TransportError


class Wire:
    """A raw httpx client that knows which fault each of its requests will meet."""

    def __init__(self, service: LocalService, rate: float, seed: int) -> None:
        self.service = service
        self.replica = FaultPlan(rate, seed)
        self.ahead: deque[tuple[Fault | None, float]] = deque()
        # A connection per request: an idle connection the server closed must not cost
        # a request that never reached the application.
        self.http = httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0))
        self.access_token = ""
        self.http_url = ""
        self.ws_url = ""
        self.seen: Counter[Fault | None] = Counter()

    def peek(self) -> Fault | None:
        if not self.ahead:
            self.ahead.append(self.replica.draw())
        return self.ahead[0][0]

    def _take(self) -> tuple[Fault | None, float]:
        self.peek()
        drawn = self.ahead.popleft()
        self.seen[drawn[0]] += 1
        return drawn

    def request(self, method: str, url: str, **kwargs: Any) -> tuple[Fault | None, Outcome]:
        """Send one request; return the fault it was meant to meet and what it got."""
        fault, detail = self._take()
        try:
            outcome: Outcome = self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            outcome = exc
        check(fault, detail, outcome)
        return fault, outcome

    def advance_to(self, wanted: Fault | None) -> None:
        """Spend harmless requests until the next one meets ``wanted``."""
        while self.peek() is not wanted:
            self.request("GET", f"{self.service.auth_url}/version")

    def clean(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """A request that meets no fault."""
        self.advance_to(None)
        _, outcome = self.request(method, url, **kwargs)
        assert isinstance(outcome, httpx.Response)
        return outcome

    def with_fault(self, fault: Fault, method: str, url: str, **kwargs: Any) -> Outcome:
        self.advance_to(fault)
        return self.request(method, url, **kwargs)[1]

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Access-Token": self.access_token}

    def hgp(self, path: str) -> str:
        return f"{self.http_url}/Network/ibm-q/Groups/open/Projects/main{path}"

    def login(self) -> None:
        auth = self.service.auth_url
        reply = self.clean("POST", f"{auth}/users/loginWithToken", json={"apiToken": TOKEN})
        self.access_token = reply.json()["id"]
        me = self.clean("GET", f"{auth}/users/me", headers=self.headers).json()
        self.http_url = me["urls"]["http"]
        self.ws_url = me["urls"]["ws"]

    def create_job(self, tag: str, fault: Fault | None = None) -> Outcome:
        body = {"backend": {"name": SIMULATOR}, "allowObjectStorage": True, "tags": [tag]}
        url, headers = self.hgp("/Jobs"), self.headers
        if fault is None:
            return self.clean("POST", url, json=body, headers=headers)
        return self.with_fault(fault, "POST", url, json=body, headers=headers)

    def jobs_tagged(self, tag: str) -> list[dict[str, Any]]:
        where = json.dumps({"where": {"tags": {"inq": [tag]}}})
        reply = self.clean(
            "GET", self.hgp("/Jobs/status/v/1"), params={"filter": where}, headers=self.headers
        )
        assert reply.status_code == 200, reply.text
        return list(reply.json())

    def status(self, job_id: str) -> str:
        reply = self.clean("GET", self.hgp(f"/Jobs/{job_id}/status/v/1"), headers=self.headers)
        return str(reply.json()["status"])

    def ws_connect(self, job_id: str) -> Any:
        """Open the job's status websocket (one request for the plan)."""
        return connect(status_url(self.ws_url, job_id), open_timeout=30, close_timeout=5)


def check(fault: Fault | None, detail: float, outcome: Outcome) -> None:
    """Assert that ``outcome`` is what ``fault`` promises."""
    if fault is None:
        assert isinstance(outcome, httpx.Response), repr(outcome)
        assert outcome.status_code < 500 and outcome.status_code != 429, outcome.text
        return
    if fault in DROP_FAULTS:
        # Closed with no byte of a response: a transport error, never a status.
        if isinstance(outcome, httpx.RemoteProtocolError):
            assert "without sending a response" in str(outcome), repr(outcome)
        else:
            assert isinstance(outcome, httpx.ReadError), repr(outcome)  # reset
        return
    assert isinstance(outcome, httpx.Response), repr(outcome)
    assert outcome.status_code == fault.status
    error = outcome.json()["error"]
    assert error["statusCode"] == fault.status and "fault injected" in error["message"]
    if fault is Fault.RATE_LIMITED:
        assert outcome.headers["retry-after"] == ("0" if detail < 0.5 else "1")
    else:
        assert "retry-after" not in outcome.headers


TOKEN = "fault-token"


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    data_dir = tmp_path_factory.mktemp("faults")
    (data_dir / "config.json").write_text(
        json.dumps({"backends": {PAUSED: {"status": "internal"}}})
    )
    with LocalService(data_dir, token=TOKEN, fault_rate=RATE, fault_seed=SEED) as service:
        wire = Wire(service, RATE, SEED)
        wire.login()
        yield wire
        wire.http.close()
        stats = service.faults
        assert stats is not None and stats.seed == SEED
        # The service counted exactly the requests this module sent, and the same faults.
        assert stats.requests == sum(wire.seen.values())
        assert stats.injected == {fault: wire.seen[fault] for fault in FAULTS}


def test_faults_are_off_by_default(tmp_path: Path) -> None:
    with LocalService(tmp_path) as service:
        assert service.faults is None


@pytest.mark.integration
@pytest.mark.parametrize("fault", STATUS_FAULTS, ids=str)
def test_a_status_fault_leaves_the_request_unhandled(wire: Wire, fault: Fault) -> None:
    tag = f"status-{fault.value}"
    outcome = wire.create_job(tag, fault)
    assert isinstance(outcome, httpx.Response) and outcome.status_code == fault.status
    assert wire.jobs_tagged(tag) == []


@pytest.mark.integration
def test_a_connection_dropped_before_handling_creates_nothing(wire: Wire) -> None:
    outcome = wire.create_job("drop-before", Fault.DROP_BEFORE)
    assert isinstance(outcome, httpx.TransportError)
    assert wire.jobs_tagged("drop-before") == []


@pytest.mark.integration
def test_a_connection_dropped_after_handling_committed_the_request(wire: Wire) -> None:
    outcome = wire.create_job("drop-after", Fault.DROP_AFTER)
    assert isinstance(outcome, httpx.TransportError)
    [job] = wire.jobs_tagged("drop-after")  # the ambiguous case: it exists
    assert job["status"] == "CREATING"


def _upload_url(wire: Wire, tag: str) -> tuple[str, str]:
    created = wire.create_job(tag)
    assert isinstance(created, httpx.Response) and created.status_code == 200
    body = created.json()
    return body["id"], body["objectStorageInfo"]["uploadUrl"]


def _qobj(build: Any) -> bytes:
    return json.dumps(build.qobj([build.ghz(2)])).encode()


@pytest.mark.integration
def test_object_storage_fails_too(wire: Wire, build: Any) -> None:
    headers = {"Content-Type": "application/json"}
    # An upload dropped before handling stores nothing; the client may upload again.
    job_id, upload = _upload_url(wire, "storage")
    before = wire.with_fault(
        Fault.DROP_BEFORE, "PUT", upload, content=_qobj(build), headers=headers
    )
    assert isinstance(before, httpx.TransportError)
    early = wire.clean("POST", wire.hgp(f"/Jobs/{job_id}/jobDataUploaded"), headers=wire.headers)
    assert early.status_code == 400, "no Qobj was stored"
    failed = wire.with_fault(Fault.HTTP_503, "PUT", upload, content=_qobj(build), headers=headers)
    assert isinstance(failed, httpx.Response) and failed.status_code == 503
    # An upload dropped after handling stored the Qobj: the job can be sent on.
    after = wire.with_fault(Fault.DROP_AFTER, "PUT", upload, content=_qobj(build), headers=headers)
    assert isinstance(after, httpx.TransportError)
    done = wire.clean("POST", wire.hgp(f"/Jobs/{job_id}/jobDataUploaded"), headers=wire.headers)
    assert done.status_code == 200, done.text
    while wire.status(job_id) != "COMPLETED":
        pass  # each poll is a request; the job needs a fraction of a second
    url = wire.clean("GET", wire.hgp(f"/Jobs/{job_id}/resultDownloadUrl"), headers=wire.headers)
    result_url = url.json()["url"]
    for fault in (Fault.HTTP_502, Fault.RATE_LIMITED, Fault.DROP_BEFORE, Fault.DROP_AFTER):
        outcome = wire.with_fault(fault, "GET", result_url)
        assert not (isinstance(outcome, httpx.Response) and outcome.status_code == 200)
    assert wire.clean("GET", result_url).json()["job_id"] == job_id


@pytest.fixture(scope="module")
def queued_job(wire: Wire, build: Any) -> str:
    """A job that stays QUEUED (on a paused backend): its websocket never ends by itself."""
    body = {"backend": {"name": PAUSED}, "allowObjectStorage": True}
    created = wire.clean("POST", wire.hgp("/Jobs"), json=body, headers=wire.headers).json()
    qobj = build.qobj(
        [build.experiment([{"name": "x", "qubits": [0]}, *build.measure([0])], 5, 1)], PAUSED
    )
    upload = created["objectStorageInfo"]["uploadUrl"]
    assert wire.clean("PUT", upload, content=json.dumps(qobj).encode()).status_code == 200
    notified = wire.clean(
        "POST", wire.hgp(f"/Jobs/{created['id']}/jobDataUploaded"), headers=wire.headers
    )
    assert notified.status_code == 200
    while wire.status(created["id"]) != "QUEUED":
        pass
    return str(created["id"])


@pytest.mark.integration
@pytest.mark.parametrize(
    "fault", [None, Fault.HTTP_504, Fault.DROP_BEFORE, Fault.DROP_AFTER], ids=str
)
def test_the_status_websocket_fails_too(wire: Wire, queued_job: str, fault: Fault | None) -> None:
    wire.advance_to(fault)
    wire._take()  # the upgrade request is the next request the service sees
    if fault is not None and fault.status is not None:
        with pytest.raises(InvalidStatus) as refused:
            wire.ws_connect(queued_job)
        assert refused.value.response.status_code == fault.status
        return
    with wire.ws_connect(queued_job) as socket:
        if fault is Fault.DROP_BEFORE:
            with pytest.raises(ConnectionClosedError) as dropped:
                # The drop may come before the client's message is even sent.
                socket.send(authentication_message(wire.access_token))
                socket.recv(timeout=30)
            assert dropped.value.rcvd is None  # no close frame: the connection just ended
            return
        socket.send(authentication_message(wire.access_token))
        assert json.loads(socket.recv(timeout=30))["type"] == "authenticated"
        if fault is Fault.DROP_AFTER:
            with pytest.raises(ConnectionClosedError) as dropped:
                socket.recv(timeout=30)
            assert dropped.value.rcvd is None
            return
        assert json.loads(socket.recv(timeout=30))["data"]["status"] == "QUEUED"


@pytest.mark.integration
def test_serve_takes_fault_options_and_reports_the_faults(tmp_path: Path) -> None:
    token_file = tmp_path / "token-file"
    token_file.write_text("from-a-file\n")
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
            "--token-file",
            str(token_file),
            "--fault-rate",
            "1",
            "--fault-seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        url = lines[0].split(": ", 1)[1].strip()
        assert lines[1] == "token: from-a-file\n"
        assert lines[3] == "faults: rate 1.0, seed 3\n"
        replica = FaultPlan(1.0, 3)
        with httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            for _ in range(6):
                fault, detail = replica.draw()
                try:
                    outcome: Outcome = http.get(f"{url}/version")
                except httpx.TransportError as exc:
                    outcome = exc
                check(fault, detail, outcome)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"{replica.stats().describe()}" in stderr
