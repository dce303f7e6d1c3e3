"""Batches on the real local service: the job-limit gate, the job manager and job sets.

The blocking twin of this file is generated, so the blocking manager passes the same tests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from known_circuits import pattern, pattern_bits
from qiskit import QuantumCircuit

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQFactory,
    AsyncIBMQJob,
    AsyncIBMQJobManager,
    IBMQBackendJobLimitError,
    IBMQBackendValueError,
    IBMQJobManagerInvalidStateError,
    IBMQJobManagerUnknownJobSet,
    ProgressEvent,
)
from ibmq_async._acompat import TaskGroup, sleep

pytestmark = pytest.mark.integration

LIMIT = 3
"""The job limit of the service these tests share."""
PAUSED = "ibmq_lima"
"""A backend of that service that accepts jobs and never runs them."""


@pytest.fixture(scope="module")
def limited_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local service whose default user may have only three unfinished jobs per backend."""
    from ibmq_local.service import LocalService

    data_dir = tmp_path_factory.mktemp("limited")
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


@pytest.fixture
async def limited(factory: AsyncIBMQFactory, limited_service: Any) -> AsyncAccountProvider:
    provider = await factory.enable_account(limited_service.token, url=limited_service.auth_url)
    assert provider is not None
    return provider


def top(counts: dict[str, int]) -> str:
    return max(counts, key=counts.__getitem__)


def most_active_at_once(jobs: list[AsyncIBMQJob]) -> int:
    """The largest number of these jobs unfinished at the same moment, by the service's own
    record of when each job was created and when it reached its final state."""
    edges: list[tuple[datetime, int]] = []
    for job in jobs:
        steps = job.document().time_per_step or {}
        final = [when for step, when in steps.items() if step in FINAL_STEPS]
        assert "CREATING" in steps and final, steps
        edges.append((steps["CREATING"], 1))
        edges.append((max(final), -1))
    active = peak = 0
    for _, change in sorted(edges):
        active += change
        peak = max(peak, active)
    return peak


FINAL_STEPS = {"COMPLETED", "CANCELLED", "ERROR_VALIDATING_JOB", "ERROR_RUNNING_JOB"}


async def test_500_experiments_become_7_jobs_within_the_job_limit(
    limited: AsyncAccountProvider, caplog: pytest.LogCaptureFixture
) -> None:
    backend = limited.get_backend("ibmq_vigo")
    caplog.set_level(logging.DEBUG, logger=type(backend).__module__)
    assert backend.configuration().max_experiments == 75
    circuits = [pattern(i) for i in range(500)]
    events: list[ProgressEvent] = []
    manager = AsyncIBMQJobManager()
    job_set = await manager.run(
        circuits, backend, name="vigo-batch", shots=200, progress=False, callback=events.append
    )
    managed = job_set.managed_jobs()
    assert [len(m.experiments) for m in managed] == [75] * 6 + [50]
    assert all(m.submit_error is None and m.job is not None for m in managed)
    assert [e.stage for e in events] == ["submitted"] * 7 and events[-1].submitted == 7

    results = await job_set.results(timeout=300, progress=False)
    assert results.success
    assert [top(results.get_counts(i)) for i in range(500)] == [pattern_bits(i) for i in range(500)]
    assert top(results.get_counts("c9")) == pattern_bits(9)
    assert top(results.get_counts(circuits[77])) == pattern_bits(77)
    combined = results.combine_results()
    assert len(combined.results) == 500

    # The service's own record: one job per part, never more than LIMIT unfinished at once,
    # and the server never had to refuse a creation.
    on_server = await limited.jobs(limit=None, job_tags=[f"ibmq_jobset_{job_set.job_set_id()}_"])
    assert sorted(job.name() or "" for job in on_server) == sorted(
        f"vigo-batch_{i}_" for i in range(7)
    )
    for job in on_server:
        await job.refresh()
    assert most_active_at_once(on_server) <= LIMIT
    assert not [r for r in caplog.records if "job limit reached" in r.getMessage()]
    assert "limit" not in (await job_set.report()).lower()


async def test_a_full_backend_makes_run_wait_for_a_slot(limited: AsyncAccountProvider) -> None:
    backend = limited.get_backend(PAUSED)
    held = [await backend.run(pattern(i), shots=8) for i in range(LIMIT)]
    with pytest.raises(IBMQBackendJobLimitError):
        await backend.run(pattern(9), shots=8, wait_for_slot=False)
    created: list[AsyncIBMQJob] = []

    async def submit() -> None:
        created.append(await backend.run(pattern(9), shots=8))

    async with TaskGroup() as group:
        group.start_soon(submit)
        await sleep(0.5)
        assert not created  # waiting for a slot, not failing
        await held[0].cancel()  # a final job frees its slot at once
    assert len(created) == 1
    for job in [*held[1:], *created]:
        assert await job.cancel()
    assert (await backend.job_limit()).active_jobs == 0


async def test_a_set_is_found_again_by_its_id(limited: AsyncAccountProvider) -> None:
    backend = limited.get_backend("ibmq_qasm_simulator")
    circuits = [pattern(i) for i in range(10)]
    manager = AsyncIBMQJobManager()
    job_set = await manager.run(
        circuits, backend, max_experiments_per_job=4, job_tags=["mine"], shots=20, progress=False
    )
    assert len(job_set.jobs()) == 3

    again = await AsyncIBMQJobManager().retrieve_job_set(job_set.job_set_id(), limited)
    assert again.name() == job_set.name() and again.tags() == ["mine"]
    assert [j.job_id() for j in again.jobs() if j] == [j.job_id() for j in job_set.jobs() if j]
    results = await again.results(timeout=120, progress=False)
    assert [top(results.get_counts(i)) for i in range(10)] == [pattern_bits(i) for i in range(10)]
    job, inner = await again.job(5)
    assert job.job_id() == job_set.jobs()[1].job_id() and inner == 1  # type: ignore[union-attr]

    assert await again.update_tags(additional_tags=["more"]) == ["mine", "more"]
    found = await limited.jobs(limit=None, job_tags=["more"])
    assert len(found) == 3
    assert await again.update_name("renamed") == "renamed"
    assert sorted(j.name() or "" for j in await limited.jobs(limit=None, job_tags=["more"])) == [
        "renamed_0_",
        "renamed_1_",
        "renamed_2_",
    ]
    assert await again.error_messages() is None
    statuses = await again.statuses()
    assert all(status is not None and status.name == "DONE" for status in statuses)

    with pytest.raises(IBMQJobManagerUnknownJobSet):
        await AsyncIBMQJobManager().retrieve_job_set("0123abc-456", limited)


async def test_bad_batches_send_nothing(limited: AsyncAccountProvider) -> None:
    backend = limited.get_backend("ibmq_vigo")
    before = len(await limited.jobs(limit=None))
    manager = AsyncIBMQJobManager()
    wide = QuantumCircuit(7, 7)
    wide.measure_all()
    with pytest.raises(IBMQBackendValueError):
        # The last experiment cannot run on the device: no job of the set is sent.
        await manager.run([pattern(0), pattern(1), wide], backend, max_experiments_per_job=1)
    with pytest.raises(IBMQJobManagerInvalidStateError):
        await manager.run([], backend)
    with pytest.raises(IBMQJobManagerInvalidStateError):
        await manager.run([pattern(0)], backend, max_experiments_per_job=0)
    with pytest.raises(IBMQJobManagerInvalidStateError):
        await manager.run(["not a circuit"], backend)  # type: ignore[list-item]
    with pytest.raises(IBMQJobManagerInvalidStateError):
        await manager.run([pattern(0)], "ibmq_vigo")  # type: ignore[arg-type]
    with pytest.raises(IBMQJobManagerInvalidStateError):
        await manager.run([pattern(0)], backend, job_name="x")
    with pytest.raises(IBMQBackendValueError):
        await manager.run([pattern(0)], backend, job_tags="x")  # type: ignore[arg-type]
    assert len(await limited.jobs(limit=None)) == before
    assert manager.job_sets() == []  # a refused run() leaves no empty set behind


async def test_a_single_circuit_is_one_experiment(limited: AsyncAccountProvider) -> None:
    # The original manager turned a lone circuit into a list of its instructions.
    backend = limited.get_backend("ibmq_qasm_simulator")
    job_set = await AsyncIBMQJobManager().run(pattern(5), backend, shots=10, progress=False)
    results = await job_set.results(timeout=60, progress=False)
    assert len(job_set.jobs()) == 1 and top(results.get_counts(0)) == pattern_bits(5)


async def test_500_single_experiment_jobs_with_the_default_limit(
    provider: AsyncAccountProvider, caplog: pytest.LogCaptureFixture
) -> None:
    backend = provider.get_backend("ibmq_qasm_simulator")
    caplog.set_level(logging.DEBUG, logger=type(backend).__module__)
    circuits = [pattern(i) for i in range(500)]
    job_set = await AsyncIBMQJobManager().run(
        circuits, backend, max_experiments_per_job=1, shots=16, progress=False
    )
    assert len({job.job_id() for job in job_set.jobs() if job}) == 500
    results = await job_set.results(timeout=600, progress=False)
    assert [top(results.get_counts(i)) for i in range(500)] == [pattern_bits(i) for i in range(500)]
    assert not [r for r in caplog.records if "job limit reached" in r.getMessage()]


# unasync: async-only
async def test_gather_over_500_runs_never_trips_the_job_limit(
    provider: AsyncAccountProvider, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    backend = provider.get_backend("ibmq_qasm_simulator")
    caplog.set_level(logging.DEBUG, logger=type(backend).__module__)
    circuits = [pattern(i) for i in range(500)]
    jobs = await asyncio.gather(*(backend.run(c, shots=16) for c in circuits))
    assert len({job.job_id() for job in jobs}) == 500
    results = await asyncio.gather(*(job.result(timeout=600) for job in jobs))
    assert [top(r.get_counts()) for r in results] == [pattern_bits(i) for i in range(500)]
    assert not [r for r in caplog.records if "job limit reached" in r.getMessage()]


# unasync: end
