"""PulseQobj uploads: accepted and summarised, then failed as unsimulable, never run.

qiskit-aer has had no pulse simulator since 0.13, so the service cannot run a pulse job. It
takes the upload like a device would (the submission succeeds, the Qobj stays downloadable and
its summary is recorded), then fails the job in validation with code 1102 and a message that
says so; the job is never queued, so no worker sees it. The Qobjs here are hand-made, so these
tests run with any qiskit.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration

MANILA = "ibmq_manila"
"""Advertises open_pulse and serves pulse defaults."""


def pulse_qobj(shots: int = 256, experiments: int = 2) -> dict[str, Any]:
    """A PulseQobj as qiskit 1.x's assembler writes it (protocol 3.5, "PulseQobj")."""
    waveform = "w0"
    return {
        "qobj_id": str(uuid.uuid4()),
        "type": "PULSE",
        "schema_version": "1.2.0",
        "header": {"backend_name": MANILA, "backend_version": "1.2.6", "user": "x"},
        "config": {
            "shots": shots,
            "memory": False,
            "meas_level": 2,
            "meas_return": "avg",
            "memory_slots": 1,
            "memory_slot_size": 100,
            "n_qubits": 5,
            "qubit_lo_freq": [4.96, 4.84, 5.04, 4.95, 5.07],
            "meas_lo_freq": [7.16, 7.28, 7.22, 7.11, 7.35],
            "rep_time": 1000,
            "rep_delay": 250.0,
            "init_qubits": True,
            "parametric_pulses": ["gaussian", "drag", "constant"],
            "pulse_library": [{"name": waveform, "samples": [[0.1, 0.0], [0.0, 0.2]]}],
        },
        "experiments": [
            {
                "header": {"name": f"sched{i}", "memory_slots": 1, "metadata": {}},
                "instructions": [
                    {
                        "name": "parametric_pulse",
                        "t0": 0,
                        "ch": "d0",
                        "pulse_shape": "gaussian",
                        "parameters": {"duration": 160, "sigma": 40, "amp": [0.1, 0.0]},
                    },
                    {"name": waveform, "t0": 160, "ch": "d0"},
                    {"name": "fc", "t0": 162, "ch": "d0", "phase": 0.5},
                    {
                        "name": "acquire",
                        "t0": 162,
                        "duration": 100,
                        "qubits": [0],
                        "memory_slot": [0],
                    },
                ],
            }
            for i in range(experiments)
        ],
    }


def upload(api: Any, payload: bytes, backend: str = MANILA) -> tuple[str, dict[str, Any]]:
    """Create a job, upload ``payload`` and notify; the job id and the notify reply."""
    created = api.create_job(backend)
    stored = api.client.put(
        created["objectStorageInfo"]["uploadUrl"],
        content=payload,
        headers={"Content-Type": "application/json"},
    )
    assert stored.status_code == 200, stored.text
    notified = api.post(f"/Jobs/{created['id']}/jobDataUploaded")
    assert notified.status_code == 200, notified.text
    return str(created["id"]), dict(notified.json()["job"])


def test_a_pulse_job_is_accepted_summarised_and_failed_as_unsimulable(api: Any, http: Any) -> None:
    raw = json.dumps(pulse_qobj(shots=256)).encode()
    job_id, reply = upload(api, raw)
    # The submission succeeds: the legacy client raises on an ``error`` in this reply.
    assert "error" not in reply and reply["status"] == "CREATED"

    assert api.wait(job_id) == "ERROR_VALIDATING_JOB"
    job = api.job(job_id)
    assert job["error"]["code"] == 1102
    assert "cannot simulate pulse schedules" in job["error"]["message"]
    assert MANILA in job["error"]["message"]
    steps = list(job["timePerStep"])
    assert steps[-3:] == ["CREATED", "VALIDATING", "ERROR_VALIDATING_JOB"]
    assert "QUEUED" not in steps and "RUNNING" not in steps  # never reached a worker
    assert job["shots"] == 256
    summary = job["summaryData"]["summary"]
    assert summary["num_circuits"] == 2
    config = summary["qobj_config"]
    assert (config["type"], config["shots"], config["rep_time"]) == ("PULSE", 256, 1000)
    assert config["meas_level"] == 2 and config["memory_slot_size"] == 100
    assert "pulse_library" not in config  # only scalars are summarised

    # The Qobj stays downloadable (the client rebuilds the schedules from it); no result.
    url = api.get(f"/Jobs/{job_id}/jobDownloadUrl").json()["url"]
    assert http.get(url).content == raw
    assert api.get(f"/Jobs/{job_id}/resultDownloadUrl").status_code == 400

    where = {"summaryData.summary.qobj_config.type": "PULSE", "id": job_id}
    listed = api.get("/Jobs/status/v/1", params={"filter": json.dumps({"where": where})})
    assert listed.status_code == 200, listed.text
    assert [found["id"] for found in listed.json()] == [job_id]


def test_the_device_runs_circuits_right_after_a_pulse_job(api: Any, build: Any) -> None:
    pulse_id, _ = upload(api, json.dumps(pulse_qobj()).encode())
    experiment = build.experiment(
        [{"name": "x", "qubits": [0]}, *build.measure([0])], n_qubits=5, memory_slots=1
    )
    job = api.run(build.qobj([experiment], MANILA, shots=100, seed_simulator=1), MANILA)
    assert job["status"] == "COMPLETED", job.get("error")
    assert api.status(pulse_id)["status"] == "ERROR_VALIDATING_JOB"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"config": [1, 2]}, "'config' must be an object"),
        ({"experiments": {"a": 1}}, "'experiments' must be a list"),
        ({"header": "h"}, "'header' must be an object"),
    ],
    ids=["config", "experiments", "header"],
)
def test_a_malformed_pulse_qobj_is_refused_at_upload(
    api: Any, change: dict[str, Any], words: str
) -> None:
    job_id, reply = upload(api, json.dumps({**pulse_qobj(), **change}).encode())
    assert reply["status"] == "ERROR_VALIDATING_JOB"
    assert reply["error"]["code"] == 1101 and words in reply["error"]["message"]
    assert "summaryData" not in api.job(job_id)


def test_notifying_a_pulse_upload_again_changes_nothing(api: Any) -> None:
    job_id, _ = upload(api, json.dumps(pulse_qobj()).encode())
    assert api.wait(job_id) == "ERROR_VALIDATING_JOB"
    again = api.post(f"/Jobs/{job_id}/jobDataUploaded")
    assert again.status_code == 200, again.text
    assert again.json()["job"]["status"] == "ERROR_VALIDATING_JOB"
    assert list(api.job(job_id)["timePerStep"]).count("ERROR_VALIDATING_JOB") == 1
