"""Upload URLs expire, and a job whose data never arrived stops counting against limits."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibmq_local import LocalService

pytestmark = pytest.mark.integration


def test_never_uploaded_jobs_expire(tmp_path: Path, login: Any, expect_error: Any) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "url_ttl_seconds": 1,
                "default_user": {"projects": [{"is_default": True, "max_jobs": 1}]},
            }
        )
    )
    with httpx.Client(timeout=30) as http, LocalService(tmp_path) as service:
        api = login(http, service.auth_url, service.token)
        created = api.create_job("ibmq_vigo")
        expect_error(api.post("/Jobs", json={"backend": {"name": "ibmq_vigo"}}), 400, 3458)

        deadline = time.monotonic() + 15
        while api.get("/devices/ibmq_vigo/jobsLimit").json()["runningJobs"]:
            assert time.monotonic() < deadline, "the job never expired"
            time.sleep(0.1)
        job = api.job(created["id"])
        assert job["status"] == "ERROR_CREATING_JOB"
        assert job["error"]["code"] == 1100
        upload = http.put(created["objectStorageInfo"]["uploadUrl"], content=b"{}")
        expect_error(upload, 403, 3256)
        api.create_job("ibmq_vigo")  # the limit has room again


def test_an_upload_never_declared_is_removed_when_its_job_expires(
    tmp_path: Path, login: Any, build: Any
) -> None:
    # Uploaded, but jobDataUploaded never came: the job expires, and its Qobj must not stay
    # on disk for good.
    (tmp_path / "config.json").write_text(json.dumps({"url_ttl_seconds": 1}))
    qobj = build.qobj([build.experiment([{"name": "x", "qubits": [0]}], 1, 1)])
    with httpx.Client(timeout=30) as http, LocalService(tmp_path) as service:
        api = login(http, service.auth_url, service.token)
        created = api.create_job()
        upload = http.put(created["objectStorageInfo"]["uploadUrl"], content=json.dumps(qobj))
        assert upload.status_code == 200, upload.text
        stored = tmp_path / "uploads" / f"{created['id']}.qobj"
        assert stored.exists()

        deadline = time.monotonic() + 15
        while api.job(created["id"])["status"] == "CREATING":
            assert time.monotonic() < deadline, "the job never expired"
            time.sleep(0.2)
            api.get("/devices/ibmq_qasm_simulator/jobsLimit")  # expiry runs on demand too
        assert api.job(created["id"])["status"] == "ERROR_CREATING_JOB"
        assert not stored.exists()
