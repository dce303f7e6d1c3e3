"""Fixtures for the local-service tests: a real service on loopback, spoken to with httpx."""

from __future__ import annotations

import itertools
import json
import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibmq_local import LocalService

FINAL = frozenset(
    {"COMPLETED", "CANCELLED", "ERROR_CREATING_JOB", "ERROR_VALIDATING_JOB", "ERROR_RUNNING_JOB"}
)
PAUSED_BACKEND = "ibmq_lima"
"""Configured with status "internal": its queue accepts jobs but never runs them."""
SIMULATOR = "ibmq_qasm_simulator"
BOB_TOKEN = "bob-api-token"
CLIENT_APP = "qiskit-ibmq-provider,qiskit-terra/0.20.2,0.23.3"

SERVICE_CONFIG: dict[str, Any] = {
    "default_user": {
        "projects": [
            {"hub": "ibm-q", "group": "open", "project": "main", "is_default": True},
            {"hub": "ibm-q", "group": "open", "project": "listing", "max_jobs": -1},
        ]
    },
    "users": [
        {
            "id": "bob",
            "api_token": BOB_TOKEN,
            "projects": [
                {"hub": "ibm-q", "group": "open", "project": "main", "max_jobs": 2},
                {"hub": "bob-hub", "group": "g", "project": "p", "is_default": True},
            ],
        }
    ],
    "backends": {PAUSED_BACKEND: {"status": "internal"}},
}


@dataclass
class Api:
    """A logged-in caller of the local service, with the job flow as helpers."""

    client: httpx.Client
    auth_url: str
    http_url: str
    access_token: str
    hub: str = "ibm-q"
    group: str = "open"
    project: str = "main"

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Access-Token": self.access_token, "X-Qx-Client-Application": CLIENT_APP}

    @property
    def hgp(self) -> str:
        return f"{self.http_url}/Network/{self.hub}/Groups/{self.group}/Projects/{self.project}"

    def in_project(self, project: str, hub: str = "ibm-q", group: str = "open") -> Api:
        return Api(
            self.client, self.auth_url, self.http_url, self.access_token, hub, group, project
        )

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(self._url(path), headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.post(self._url(path), headers=self.headers, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.put(self._url(path), headers=self.headers, **kwargs)

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.hgp + path

    def create_job(self, backend: str = SIMULATOR, **body: Any) -> dict[str, Any]:
        payload = {
            "backend": {"name": backend},
            "allowObjectStorage": True,
            "liveDataEnabled": None,
        }
        payload.update(body)
        response = self.post("/Jobs", json=payload)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def submit(self, qobj: dict[str, Any] | bytes, backend: str = SIMULATOR, **body: Any) -> str:
        """Create, upload (no token, like the legacy client's bare request) and notify."""
        created = self.create_job(backend, **body)
        content = qobj if isinstance(qobj, bytes) else json.dumps(qobj).encode()
        upload = self.client.put(
            created["objectStorageInfo"]["uploadUrl"],
            content=content,
            headers={"Content-Type": "application/json"},
        )
        assert upload.status_code == 200, upload.text
        notified = self.post(f"/Jobs/{created['id']}/jobDataUploaded")
        assert notified.status_code == 200, notified.text
        return str(created["id"])

    def status(self, job_id: str) -> dict[str, Any]:
        response = self.get(f"/Jobs/{job_id}/status/v/1")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait(self, job_id: str, until: frozenset[str] = FINAL, timeout: float = 90) -> str:
        """Poll the status until it is one of ``until``; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            status = str(self.status(job_id)["status"])
            if status in until:
                return status
            if time.monotonic() > deadline:
                pytest.fail(f"job {job_id} still {status} after {timeout} s")
            time.sleep(0.05)

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.get(f"/Jobs/{job_id}/v/1")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def result(self, job_id: str) -> dict[str, Any]:
        url = self.get(f"/Jobs/{job_id}/resultDownloadUrl").json()["url"]
        response = self.client.get(url)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def run(self, qobj: dict[str, Any], backend: str = SIMULATOR, **body: Any) -> dict[str, Any]:
        """Submit, wait for a final state, return the job document."""
        job_id = self.submit(qobj, backend, **body)
        self.wait(job_id)
        return self.job(job_id)


def login(client: httpx.Client, auth_url: str, api_token: str) -> Api:
    """The legacy login flow: version, loginWithToken, users/me."""
    assert "api-auth" in client.get(f"{auth_url}/version").json()
    response = client.post(f"{auth_url}/users/loginWithToken", json={"apiToken": api_token})
    assert response.status_code == 200, response.text
    access_token = response.json()["id"]
    me = client.get(f"{auth_url}/users/me", headers={"X-Access-Token": access_token}).json()
    return Api(client, auth_url, me["urls"]["http"], access_token)


# -- Qobj building ------------------------------------------------------------------------


class Build:
    """Hand-made Qobj JSON, shaped like qiskit-terra's ``assemble`` output (protocol 3.5)."""

    @staticmethod
    def experiment(
        instructions: list[dict[str, Any]], n_qubits: int, memory_slots: int, name: str = "circ"
    ) -> dict[str, Any]:
        """One experiment."""
        return {
            "header": {
                "name": name,
                "global_phase": 0.0,
                "metadata": {},
                "n_qubits": n_qubits,
                "memory_slots": memory_slots,
                "qubit_labels": [["q", i] for i in range(n_qubits)],
                "clbit_labels": [["c", i] for i in range(memory_slots)],
                "qreg_sizes": [["q", n_qubits]],
                "creg_sizes": [["c", memory_slots]],
            },
            "config": {"n_qubits": n_qubits, "memory_slots": memory_slots},
            "instructions": instructions,
        }

    @staticmethod
    def qobj(
        experiments: list[dict[str, Any]],
        backend: str = SIMULATOR,
        shots: int = 1024,
        **config: Any,
    ) -> dict[str, Any]:
        """A QASM Qobj around ``experiments``."""
        return {
            "qobj_id": str(uuid.uuid4()),
            "type": "QASM",
            "schema_version": "1.3.0",
            "header": {"backend_name": backend, "backend_version": "1.0.0"},
            "config": {
                "shots": shots,
                "memory": False,
                "parameter_binds": [],
                "meas_level": 2,
                "init_qubits": True,
                "n_qubits": max(e["config"]["n_qubits"] for e in experiments),
                "memory_slots": max(e["config"]["memory_slots"] for e in experiments),
                **config,
            },
            "experiments": experiments,
        }

    @staticmethod
    def measure(qubits: list[int]) -> list[dict[str, Any]]:
        """Measure ``qubits[i]`` into memory slot ``i``."""
        return [{"name": "measure", "qubits": [q], "memory": [i]} for i, q in enumerate(qubits)]

    @staticmethod
    def ghz(n: int = 3, name: str = "ghz") -> dict[str, Any]:
        """GHZ with h and cx (the simulator's basis)."""
        gates = [{"name": "h", "qubits": [0]}]
        gates += [{"name": "cx", "qubits": [i, i + 1]} for i in range(n - 1)]
        return Build.experiment(gates + Build.measure(list(range(n))), n, n, name)

    @staticmethod
    def ghz_device(chain: list[int], n_qubits: int, name: str = "ghz") -> dict[str, Any]:
        """GHZ along ``chain`` with rz/sx/cx only (H = RZ(pi/2) SX RZ(pi/2))."""
        first = chain[0]
        gates: list[dict[str, Any]] = [
            {"name": "rz", "qubits": [first], "params": [math.pi / 2]},
            {"name": "sx", "qubits": [first]},
            {"name": "rz", "qubits": [first], "params": [math.pi / 2]},
        ]
        gates += [{"name": "cx", "qubits": [a, b]} for a, b in itertools.pairwise(chain)]
        return Build.experiment(gates + Build.measure(chain), n_qubits, len(chain), name)


def expect_error(response: httpx.Response, status: int, code: int | None = None) -> dict[str, Any]:
    """Assert ``response`` is an error with the protocol's body shape; return ``error``."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "name", "statusCode"}
    assert error["statusCode"] == status
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    """One service for the session, with a second user and a paused backend."""
    data_dir: Path = tmp_path_factory.mktemp("ibmq-local")
    (data_dir / "config.json").write_text(json.dumps(SERVICE_CONFIG))
    with LocalService(data_dir) as running:
        yield running


@pytest.fixture(scope="session")
def build() -> type[Build]:
    """Qobj builders (see :class:`Build`)."""
    return Build


@pytest.fixture(scope="session", name="expect_error")
def expect_error_fixture() -> Any:
    """:func:`expect_error`."""
    return expect_error


@pytest.fixture(scope="session", name="login")
def login_fixture() -> Any:
    """:func:`login`."""
    return login


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
def api(service: LocalService, http: httpx.Client) -> Api:
    """The default user, in ibm-q/open/main."""
    return login(http, service.auth_url, service.token)


@pytest.fixture(scope="session")
def bob(service: LocalService, http: httpx.Client) -> Api:
    """A second user (job limit 2 in ibm-q/open/main)."""
    return login(http, service.auth_url, BOB_TOKEN)
