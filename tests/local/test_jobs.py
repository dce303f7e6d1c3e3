"""The job flow of protocol sections 3 and 4, over real HTTP."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest

from ibmq_local import LocalService
from ibmq_local._signing import UrlSigner

pytestmark = pytest.mark.integration

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
JOB_ID = re.compile(r"^[0-9a-f]{24}$")
PAUSED = "ibmq_lima"


def conditional_experiment(build: Any) -> dict[str, Any]:
    """x q0; measure; if c0 == 1: x q1; measure -> always 0x3."""
    return build.experiment(
        [
            {"name": "x", "qubits": [0]},
            {"name": "measure", "qubits": [0], "memory": [0], "register": [0]},
            {"name": "bfunc", "mask": "0x1", "relation": "==", "val": "0x1", "register": 2},
            {"name": "x", "qubits": [1], "conditional": 2},
            {"name": "measure", "qubits": [1], "memory": [1], "register": [1]},
        ],
        2,
        2,
        "conditional",
    )


def test_full_job_lifecycle_on_the_simulator(
    api: Any, build: Any, http: httpx.Client, expect_error: Any
) -> None:
    qobj = build.qobj(
        [build.ghz(3), conditional_experiment(build)],
        shots=2000,
        memory=True,
        seed_simulator=42,
        header_extra="x",
    )
    qobj["header"]["user"] = "value"

    created = api.create_job(name="lifecycle", tags=["t1", "t2"], experimentTag="exp-1")
    job_id = created["id"]
    assert JOB_ID.match(job_id)
    assert created["status"] == "CREATING"
    upload_url = created["objectStorageInfo"]["uploadUrl"]
    assert upload_url.startswith(f"http://127.0.0.1:{urlsplit(api.http_url).port}/")

    expect_error(api.get(f"/Jobs/{job_id}/resultDownloadUrl"), 400, 3252)
    expect_error(api.get(f"/Jobs/{job_id}/jobDownloadUrl"), 400, 3253)
    expect_error(api.post(f"/Jobs/{job_id}/jobDataUploaded"), 400, 3253)
    assert api.status(job_id) == {"status": "CREATING"}

    # The legacy client sends its session headers to object storage too: tolerated.
    upload = http.put(
        upload_url,
        content=json.dumps(qobj).encode(),
        headers={
            "Content-Type": "application/json",
            "X-Access-Token": "whatever",
            "X-Qx-Client-Application": "qiskit/0.0",
        },
    )
    assert upload.status_code == 200

    notified = api.post(f"/Jobs/{job_id}/jobDataUploaded")
    assert notified.status_code == 200
    document = notified.json()["job"]
    assert document["id"] == job_id and document["status"] == "CREATED"
    assert document["kind"] == "q-object-external-storage"
    assert "qObject" not in document and "error" not in document
    assert ISO_Z.match(document["creationDate"])

    assert api.wait(job_id) == "COMPLETED"
    job = api.job(job_id)
    assert job["status"] == "COMPLETED"
    assert job["backend"] == {"name": "ibmq_qasm_simulator"}
    assert (job["name"], job["tags"], job["experimentTag"]) == ("lifecycle", ["t1", "t2"], "exp-1")
    assert job["runMode"] == "fairshare" and job["liveDataEnabled"] is False
    assert job["clientInfo"] == {
        "name": "qiskit-ibmq-provider,qiskit-terra",
        "version": "0.20.2,0.23.3",
    }
    assert job["hubInfo"] == {
        "hub": {"name": "ibm-q"},
        "group": {"name": "open"},
        "project": {"name": "main"},
    }
    assert job["shots"] == 2000
    assert "error" not in job and "qObject" not in job and "infoQueue" not in job
    steps = job["timePerStep"]
    assert list(steps) == [
        "CREATING",
        "CREATED",
        "VALIDATING",
        "VALIDATED",
        "QUEUED",
        "RUNNING",
        "COMPLETED",
    ]
    assert all(ISO_Z.match(moment) for moment in steps.values())
    assert steps["COMPLETED"] >= steps["RUNNING"] >= steps["CREATING"]

    result = api.result(job_id)
    assert result["backend_name"] == "ibmq_qasm_simulator"
    assert (result["job_id"], result["qobj_id"]) == (job_id, qobj["qobj_id"])
    assert result["success"] is True and result["status"] == "COMPLETED"
    assert result["header"] == qobj["header"]
    assert ISO_Z.match(result["date"]) and "backend_version" in result and "time_taken" in result
    ghz, conditional = result["results"]
    assert ghz["header"] == qobj["experiments"][0]["header"]
    assert (ghz["shots"], ghz["success"], ghz["status"], ghz["meas_level"]) == (
        2000,
        True,
        "DONE",
        2,
    )
    assert ghz["seed_simulator"] == 42
    counts = ghz["data"]["counts"]
    assert set(counts) == {"0x0", "0x7"} and sum(counts.values()) == 2000
    assert min(counts.values()) > 800
    memory = ghz["data"]["memory"]
    assert len(memory) == 2000 and set(memory) == {"0x0", "0x7"}
    assert memory.count("0x7") == counts["0x7"]
    assert conditional["data"]["counts"] == {"0x3": 2000}

    assert api.post(f"/Jobs/{job_id}/resultDownloaded").json() == {}
    assert api.result(job_id) == result  # still there after the acknowledgement

    qobj_url = api.get(f"/Jobs/{job_id}/jobDownloadUrl").json()["url"]
    assert http.get(qobj_url).json() == qobj

    assert api.put(f"/Jobs/{job_id}", json={"name": "renamed"}).json() == {"name": "renamed"}
    assert api.put(f"/Jobs/{job_id}", json={"tags": ["b", "a"]}).json() == {"tags": ["b", "a"]}
    job = api.job(job_id)
    assert (job["name"], job["tags"]) == ("renamed", ["b", "a"])
    expect_error(api.put(f"/Jobs/{job_id}", json={"status": "RUNNING"}), 400, 3205)
    expect_error(api.put(f"/Jobs/{job_id}", json={"tags": "a"}), 400, 3205)
    expect_error(api.put(f"/Jobs/{job_id}", content=b"nope"), 400, 3205)

    assert api.get(f"/Jobs/{job_id}/properties").json() == {}
    expect_error(api.post(f"/Jobs/{job_id}/cancel"), 400, 3251)


def test_seeded_runs_repeat(api: Any, build: Any) -> None:
    qobj = build.qobj([build.experiment([{"name": "h", "qubits": [0]}, *build.measure([0])], 1, 1)])
    qobj["config"]["seed_simulator"] = 7
    first = api.result(api.run(qobj)["id"])["results"][0]["data"]["counts"]
    qobj["qobj_id"] = "again"
    second = api.result(api.run(qobj)["id"])["results"][0]["data"]["counts"]
    assert first == second


def test_cancel_queued_and_creating_jobs(
    api: Any, build: Any, http: httpx.Client, expect_error: Any
) -> None:
    qobj = build.qobj(
        [build.experiment([{"name": "x", "qubits": [0]}, *build.measure([0])], 5, 1)], PAUSED
    )
    job_id = api.submit(qobj, PAUSED)
    api.wait(job_id, frozenset({"QUEUED"}))
    status = api.status(job_id)
    info = status["infoQueue"]
    assert info["status"] == "PENDING_IN_QUEUE" and info["position"] >= 1
    assert "jobId" not in info
    assert api.job(job_id)["infoQueue"]["position"] == info["position"]
    queued = api.get(f"/devices/{PAUSED}/queue/status").json()["lengthQueue"]
    assert queued >= 1

    assert api.post(f"/Jobs/{job_id}/cancel").json() == {"cancelled": True}
    assert api.status(job_id) == {"status": "CANCELLED"}
    job = api.job(job_id)
    assert "CANCELLED" in job["timePerStep"] and "RUNNING" not in job["timePerStep"]
    assert api.get(f"/devices/{PAUSED}/queue/status").json()["lengthQueue"] == queued - 1
    expect_error(api.post(f"/Jobs/{job_id}/cancel"), 400, 3251)
    expect_error(api.get(f"/Jobs/{job_id}/resultDownloadUrl"), 400, 3252)

    created = api.create_job(PAUSED)
    assert api.post(f"/Jobs/{created['id']}/cancel").json() == {"cancelled": True}
    late = http.put(created["objectStorageInfo"]["uploadUrl"], content=json.dumps(qobj).encode())
    expect_error(late, 409, 3254)


def test_unknown_jobs_and_bad_creation(api: Any, expect_error: Any) -> None:
    missing = "0123456789abcdef01234567"
    for method, path in [
        ("get", "/v/1"),
        ("get", "/status/v/1"),
        ("post", "/jobDataUploaded"),
        ("get", "/resultDownloadUrl"),
        ("post", "/resultDownloaded"),
        ("get", "/jobDownloadUrl"),
        ("post", "/cancel"),
        ("get", "/properties"),
    ]:
        expect_error(getattr(api, method)(f"/Jobs/{missing}{path}"), 404, 3250)
    expect_error(api.put(f"/Jobs/{missing}", json={"name": "x"}), 404, 3250)

    expect_error(api.post("/Jobs", json={"backend": {"name": "ibmq_nowhere"}}), 400, 3204)
    expect_error(api.post("/Jobs", json={"allowObjectStorage": True}), 400, 3205)
    expect_error(api.post("/Jobs", json={"backend": {"name": "ibmq_vigo"}, "tags": "a"}), 400, 3205)
    expect_error(api.post("/Jobs", content=b"{broken"), 400, 3205)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_presigned_urls_reject_tampering_and_expiry(
    api: Any, build: Any, http: httpx.Client, service: LocalService, expect_error: Any
) -> None:
    created = api.create_job()
    url = created["objectStorageInfo"]["uploadUrl"]
    body = json.dumps(build.qobj([build.ghz(2)])).encode()
    signature = parse_qs(urlsplit(url).query)["signature"][0]

    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    expect_error(http.put(_with_query(url, signature=flipped), content=body), 403, 3255)
    later = str(int(time.time()) + 10_000)
    expect_error(http.put(_with_query(url, expires=later), content=body), 403, 3255)
    expect_error(http.put(url.split("?")[0], content=body), 403, 3255)
    other = api.create_job()["id"]
    expect_error(http.put(url.replace(created["id"], other), content=body), 403, 3255)
    expect_error(http.get(url), 403, 3255)  # signed for PUT only

    key = f"jobs/{created['id']}/qobj"
    signer = UrlSigner(service.settings.signing_secret, 60)
    expired = url.split("?")[0] + "?" + signer.query("PUT", key, expires=int(time.time()) - 5)
    expect_error(http.put(expired, content=body), 403, 3256)
    fresh = url.split("?")[0] + "?" + signer.query("PUT", key)
    assert http.put(fresh, content=body).status_code == 200
    for job_id in (created["id"], other):
        api.post(f"/Jobs/{job_id}/cancel")


def test_simulation_failure_ends_as_error_running_job(api: Any, build: Any) -> None:
    # The stabilizer method cannot simulate a T gate: Aer fails at run time.
    experiment = build.experiment([{"name": "t", "qubits": [0]}, *build.measure([0])], 1, 1, "t")
    job = api.run(build.qobj([experiment], method="stabilizer"))
    assert job["status"] == "ERROR_RUNNING_JOB"
    assert job["error"]["code"] == 1201 and job["error"]["message"]
    result = api.result(job["id"])
    assert result["success"] is False
    assert result["results"][0]["success"] is False
    assert result["results"][0]["status"].startswith("ERROR")
