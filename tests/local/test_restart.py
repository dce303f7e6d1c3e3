"""Persistence: jobs, payloads and access tokens survive a restart; pending jobs resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from ibmq_local import LocalService

pytestmark = pytest.mark.integration

PAUSED = "ibmq_lima"


def test_jobs_survive_a_restart(tmp_path: Path, build: Any, login: Any) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"backends": {PAUSED: {"status": "internal"}}}))
    lima_qobj = build.qobj(
        [build.experiment([{"name": "x", "qubits": [0]}, *build.measure([0])], 5, 1)], PAUSED
    )

    with httpx.Client(timeout=60) as http:
        with LocalService(tmp_path) as first:
            first.start()  # idempotent
            api = login(http, first.auth_url, first.token)
            done = api.run(build.qobj([build.ghz(3)]), name="done")
            assert done["status"] == "COMPLETED"
            done_result = api.result(done["id"])
            waiting = api.submit(lima_qobj, PAUSED, name="waiting")
            api.wait(waiting, frozenset({"QUEUED"}))
            creating = api.create_job(name="creating")
            token, access_token = first.token, api.access_token
        assert not first.running

        config.write_text("{}")  # the backend is back in service
        with LocalService(tmp_path) as second:
            assert second.token == token
            assert (tmp_path / "token").read_text().strip() == token
            me = http.get(f"{second.auth_url}/users/me", headers={"X-Access-Token": access_token})
            assert me.status_code == 200, "access tokens outlive the process"
            again = api.__class__(http, second.auth_url, me.json()["urls"]["http"], access_token)

            assert again.job(done["id"]) == done
            assert again.result(done["id"]) == done_result

            assert again.wait(waiting) == "COMPLETED"
            assert again.result(waiting)["results"][0]["data"]["counts"]

            assert again.status(creating["id"]) == {"status": "CREATING"}
            old_url = urlsplit(creating["objectStorageInfo"]["uploadUrl"])
            new_url = old_url._replace(netloc=f"127.0.0.1:{second.port}").geturl()
            upload = http.put(new_url, content=json.dumps(build.qobj([build.ghz(2)])).encode())
            assert upload.status_code == 200
            assert again.post(f"/Jobs/{creating['id']}/jobDataUploaded").status_code == 200
            assert again.wait(creating["id"]) == "COMPLETED"

            names = [job["name"] for job in again.get("/Jobs/status/v/1").json()]
            assert names == ["creating", "waiting", "done"]
