"""Jobs on device snapshots: validation like a real device, and noisy execution."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.integration

VIGO = "ibmq_vigo"  # 5 qubits, basis id/rz/sx/x/cx, coupling 0-1, 1-2, 1-3, 3-4


def x_measure(build: Any, qubit: int = 0, n_qubits: int = 5) -> dict[str, Any]:
    return build.experiment(
        [{"name": "x", "qubits": [qubit]}, *build.measure([qubit])], n_qubits, 1
    )


@pytest.mark.parametrize(
    ("case", "code", "words"),
    [
        ("basis", 1106, "'h'"),
        ("coupling", 1107, "coupling map"),
        ("qubits", 1105, "5 qubits"),
        ("shots", 1104, "max_shots"),
        ("experiments", 1103, "at most 75"),
        ("malformed", 1101, "JSON"),
        ("pulse", 1102, "Pulse"),
    ],
)
def test_validation_failures(api: Any, build: Any, case: str, code: int, words: str) -> None:
    experiments = [x_measure(build)]
    shots = 1024
    if case == "basis":
        experiments = [build.experiment([{"name": "h", "qubits": [0]}, *build.measure([0])], 5, 1)]
    elif case == "coupling":
        experiments = [build.experiment([{"name": "cx", "qubits": [0, 2]}], 5, 1)]
    elif case == "qubits":
        experiments = [x_measure(build, qubit=6, n_qubits=7)]
    elif case == "shots":
        shots = 8193
    elif case == "experiments":
        experiments = experiments * 76
    payload: Any = build.qobj(experiments, VIGO, shots=shots)
    if case == "malformed":
        payload = b"{this is not json"
    elif case == "pulse":
        payload = {"qobj_id": "p", "type": "PULSE", "config": {}, "experiments": []}

    job_id = api.submit(payload, VIGO)
    assert api.wait(job_id) == "ERROR_VALIDATING_JOB"
    job = api.job(job_id)
    assert job["error"]["code"] == code
    assert words in job["error"]["message"]
    assert list(job["timePerStep"])[-1] == "ERROR_VALIDATING_JOB"
    assert "RUNNING" not in job["timePerStep"]
    assert api.get(f"/Jobs/{job_id}/resultDownloadUrl").status_code == 400


def test_noisy_ghz_on_a_device(api: Any, build: Any) -> None:
    qobj = build.qobj([build.ghz_device([0, 1, 2], 5)], VIGO, shots=4000, seed_simulator=11)
    job = api.run(qobj, VIGO)
    assert job["status"] == "COMPLETED", job.get("error")
    result = api.result(job["id"])
    counts = result["results"][0]["data"]["counts"]
    assert sum(counts.values()) == 4000
    ideal = counts.get("0x0", 0) + counts.get("0x7", 0)
    assert ideal > 0.8 * 4000  # mostly GHZ ...
    assert ideal < 4000  # ... but the calibration's noise shows
    assert min(counts.get("0x0", 0), counts.get("0x7", 0)) > 1000
    assert api.get(f"/Jobs/{job['id']}/properties").json()["backend_name"] == VIGO


def test_ibm_brisbane_runs_a_127_qubit_layout(api: Any, build: Any) -> None:
    backend = "ibm_brisbane"
    experiment = build.experiment(
        [
            {"name": "x", "qubits": [1]},
            {"name": "ecr", "qubits": [14, 0]},
            {"name": "rz", "qubits": [126], "params": [0.3]},
            {"name": "sx", "qubits": [126]},
            *build.measure([1, 0]),
        ],
        127,
        2,
        "brisbane",
    )
    job = api.run(build.qobj([experiment], backend, shots=500, seed_simulator=3), backend)
    assert job["status"] == "COMPLETED", job.get("error")
    result = api.result(job["id"])
    assert result["backend_name"] == backend
    counts = result["results"][0]["data"]["counts"]
    assert sum(counts.values()) == 500
    assert all(key.startswith("0x") for key in counts)
    slot0_set = sum(n for key, n in counts.items() if int(key, 16) & 1)
    assert slot0_set > 0.8 * 500


def test_uploaded_qobj_round_trips_exactly(api: Any, build: Any, http: Any) -> None:
    raw = json.dumps(build.qobj([x_measure(build)], VIGO), indent=1).encode()
    job_id = api.submit(raw, VIGO)
    url = api.get(f"/Jobs/{job_id}/jobDownloadUrl").json()["url"]
    assert http.get(url).content == raw
    api.wait(job_id)
