"""A batch whose submitter dies, is interrupted (Ctrl-C) or forks: nothing is lost, nothing is
created twice, and the set is finished later from its id.

Each case runs ``tests/batch_child.py`` in a real subprocess against a real local service.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ibmq_async import AsyncIBMQFactory, AsyncIBMQJobManager

pytestmark = pytest.mark.integration

CHILD = Path(__file__).with_name("batch_child.py")
_spec = importlib.util.spec_from_file_location("batch_child", CHILD)
assert _spec is not None and _spec.loader is not None
child = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(child)

LIMIT = 3
PAUSED = "ibmq_lima"
"""A backend of the service below that accepts jobs and never runs them."""


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from ibmq_local.service import LocalService

    data_dir = tmp_path_factory.mktemp("recovery")
    config = {
        "default_user": {"projects": [{"is_default": True, "max_jobs": LIMIT}]},
        "backends": {PAUSED: {"status": "internal"}},
    }
    (data_dir / "config.json").write_text(json.dumps(config))
    service = LocalService(data_dir)
    service.start()
    try:
        yield service
    finally:
        service.stop()


def spawn(mode: str, service: Any, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, service.auth_url, service.token, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(process: subprocess.Popen[str], done: Any) -> list[str]:
    """Lines of the child's stdout until ``done(lines)`` holds (or the child exits)."""
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.strip())
        if done(lines):
            return lines
    raise AssertionError(f"the child exited early: {lines} {process.stderr.read()}")  # type: ignore[union-attr]


async def set_jobs_on_server(provider: Any, job_set_id: str) -> list[Any]:
    return await provider.jobs(limit=None, job_tags=[f"ibmq_jobset_{job_set_id}_"])


def assert_no_duplicates(jobs: list[Any]) -> list[str]:
    """Every index of the set has at most one job that is not cancelled."""
    live = [job.name() for job in jobs if job.api_status().value != "CANCELLED"]
    assert len(live) == len(set(live)), sorted(live)
    return live


async def finish_and_check(provider: Any, job_set_id: str) -> None:
    """Retrieve the set, submit what is missing, and check every experiment's counts."""
    job_set = await AsyncIBMQJobManager().retrieve_job_set(job_set_id, provider)
    circuits = [child.pattern(i) for i in range(child.EXPERIMENTS)]
    await job_set.resume(circuits, shots=64, progress=False)
    assert all(job is not None for job in job_set.jobs())
    results = await job_set.results(timeout=300, progress=False)
    missing = [
        (m.index, m.job and m.job.api_status().value, m.job and m.job.document().error)
        for m, r in zip(job_set.managed_jobs(), results.results(), strict=True)
        if r is None or not r.success
    ]
    assert results.success, missing
    counts = [results.get_counts(i) for i in range(child.EXPERIMENTS)]
    assert counts == [{child.pattern_bits(i): 64} for i in range(child.EXPERIMENTS)]
    live = assert_no_duplicates(await set_jobs_on_server(provider, job_set_id))
    assert len(live) == child.PARTS


@pytest.fixture
async def provider(service: Any) -> Any:
    accounts = AsyncIBMQFactory()
    provider = await accounts.enable_account(service.token, url=service.auth_url)
    yield provider
    await accounts.aclose()


async def test_a_killed_submitter_leaves_a_set_that_is_finished_without_duplicates(
    service: Any, provider: Any
) -> None:
    process = spawn("crash", service)
    try:
        lines = read_until(process, lambda ls: sum(x.startswith("SUBMITTED") for x in ls) >= 4)
    finally:
        process.kill()
        process.wait(timeout=60)
    job_set_id = next(line.split()[1] for line in lines if line.startswith("SET"))

    before = await set_jobs_on_server(provider, job_set_id)
    assert 4 <= len(before) < child.PARTS  # killed half-way
    job_set = await AsyncIBMQJobManager().retrieve_job_set(job_set_id, provider)
    missing = [m for m in job_set.managed_jobs() if m.job is None]
    assert missing and all(m.submit_error for m in missing)
    await finish_and_check(provider, job_set_id)


async def test_ctrl_c_during_async_submission_leaves_no_phantom(
    service: Any, provider: Any
) -> None:
    process = spawn("crash", service)
    lines = read_until(process, lambda ls: sum(x.startswith("SUBMITTED") for x in ls) >= 2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "INTERRUPTED" in out, (out, err)
    job_set_id = next(line.split()[1] for line in lines if line.startswith("SET"))

    jobs = await set_jobs_on_server(provider, job_set_id)
    assert len(jobs) < child.PARTS  # the submission stopped
    # The submissions in flight completed (they are shielded): no half-created phantom.
    assert not [job for job in jobs if job.api_status().value == "CREATING"]
    assert_no_duplicates(jobs)
    await finish_and_check(provider, job_set_id)


async def test_ctrl_c_during_blocking_submission_leaves_no_phantom(
    service: Any, provider: Any
) -> None:
    process = spawn("interrupt-submission", service)
    read_until(process, lambda ls: sum(x.startswith("SUBMITTED") for x in ls) >= 2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, (out, err)
    job_set_id = next(line.split()[1] for line in out.splitlines() if "INTERRUPTED" in line)
    assert "Traceback" not in err, err

    jobs = await set_jobs_on_server(provider, job_set_id)
    assert len(jobs) < child.PARTS  # the submission stopped
    # Every job that reached the server got its Qobj: no half-created phantom.
    assert not [job for job in jobs if job.api_status().value == "CREATING"]
    assert_no_duplicates(jobs)
    await finish_and_check(provider, job_set_id)


async def test_ctrl_c_during_blocking_results_stops_the_wait_only(
    service: Any, provider: Any
) -> None:
    process = spawn("interrupt-results", service, PAUSED)
    lines = read_until(process, lambda ls: ls[-1].startswith("WAITING"))
    job_set_id = lines[-1].split()[1]
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and "INTERRUPTED" in out, (out, err)

    # The jobs stay on the server, queued, and the set is found again by its id.
    job_set = await AsyncIBMQJobManager().retrieve_job_set(job_set_id, provider)
    jobs = [job for job in job_set.jobs() if job is not None]
    assert len(jobs) == 3
    assert {job.api_status().value for job in jobs} == {"QUEUED"}
    await job_set.cancel()
    assert [str(s) for s in await job_set.statuses()] == ["JobStatus.CANCELLED"] * 3


def test_a_forked_child_uses_the_blocking_facade(service: Any) -> None:
    process = spawn("fork", service)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, (out, err)
    assert "CHILD 0" in out and "PARENT OK" in out, (out, err)
