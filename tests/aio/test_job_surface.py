"""Listing, retrieving and updating jobs, against the real local service over loopback."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from known_circuits import bell
from qiskit.providers import JobStatus

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQBackend,
    AsyncIBMQJob,
    IBMQBackendApiError,
    IBMQBackendError,
    IBMQBackendValueError,
    IBMQJobInvalidStateError,
)
from ibmq_async._acompat import monotonic, sleep
from ibmq_async._core.statuses import FINAL_API_STATUSES
from ibmq_async.models import BackendProperties

pytestmark = pytest.mark.integration

SIMULATOR = "ibmq_qasm_simulator"


async def submit(
    backend: AsyncIBMQBackend, count: int, tag: str, **kwargs: object
) -> list[AsyncIBMQJob]:
    jobs = [
        await backend.run(bell(), shots=10, job_tags=[tag, f"n{i}"], **kwargs) for i in range(count)
    ]
    for job in jobs:
        await job.wait_for_final_state(timeout=120)
    return jobs


async def test_jobs_filters_and_pages(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend(SIMULATOR)
    tag = f"list-{uuid.uuid4().hex[:8]}"
    before = datetime.now(UTC) - timedelta(seconds=1)
    submitted = await submit(backend, 5, tag, job_name=f"{tag}-job", experiment_id=tag)
    ids = [job.job_id() for job in submitted]

    newest_first = await backend.jobs(limit=None, job_tags=[tag])
    assert [job.job_id() for job in newest_first] == ids[::-1]
    oldest_first = await backend.jobs(limit=3, job_tags=[tag], descending=False)
    assert [job.job_id() for job in oldest_first] == ids[:3]
    assert [j.job_id() for j in await backend.jobs(limit=2, skip=1, job_tags=[tag])] == [
        ids[3],
        ids[2],
    ]
    both = await backend.jobs(limit=None, job_tags=[tag, "n1"], job_tags_operator="and")
    assert [job.job_id() for job in both] == [ids[1]]
    assert len(await backend.jobs(limit=None, job_name=f"^{tag}-job$")) == 5
    assert len(await backend.jobs(limit=None, experiment_id=tag, status="done")) == 5
    assert await backend.jobs(limit=None, experiment_id=tag, status=JobStatus.ERROR) == []
    window = await backend.jobs(
        limit=None,
        job_tags=[tag],
        start_datetime=before,
        end_datetime=datetime.now(UTC) + timedelta(seconds=1),
    )
    assert len(window) == 5
    assert await backend.jobs(limit=None, job_tags=[tag], end_datetime=before) == []
    raw = await backend.jobs(limit=None, db_filter={"experimentTag": tag, "tags": "n4"})
    assert [job.job_id() for job in raw] == [ids[4]]
    summary = "summaryData.summary.qobj_config.n_qubits"
    assert len(await backend.jobs(limit=None, job_tags=[tag], db_filter={summary: 2})) == 5
    assert await backend.jobs(limit=None, job_tags=[tag], db_filter={summary: 3}) == []
    other = provider.get_backend("ibmq_manila")
    assert await other.jobs(limit=None, job_tags=[tag]) == []


async def test_iter_jobs_walks_every_page_once(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend(SIMULATOR)
    tag = f"iter-{uuid.uuid4().hex[:8]}"
    ids = [job.job_id() for job in await submit(backend, 7, tag)]
    walked = []
    async for job in backend.iter_jobs(job_tags=[tag], descending=False):
        walked.append(job.job_id())
        assert job.last_status() is JobStatus.DONE  # the listing's, no request
    assert walked == ids
    # Pages smaller than the listing: the keyset cursor moves on, never repeats a job.
    paged = [job.job_id() async for job in backend.iter_jobs(job_tags=[tag], page_size=3)]
    assert paged == ids[::-1]
    assert [j.job_id() async for j in backend.iter_jobs(job_tags=[tag], limit=4, page_size=3)] == (
        ids[::-1][:4]
    )


async def test_active_jobs_and_retrieve_job(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend(SIMULATOR)
    tag = f"active-{uuid.uuid4().hex[:8]}"
    (job,) = await submit(backend, 1, tag)
    active = await backend.active_jobs(limit=None)
    assert job.job_id() not in {j.job_id() for j in active}
    assert all(j.api_status() not in FINAL_API_STATUSES for j in active)
    retrieved = await backend.retrieve_job(job.job_id())
    assert retrieved.job_id() == job.job_id() and retrieved.tags() == job.tags()
    assert (await retrieved.result()).get_counts() == (await job.result()).get_counts()
    with pytest.raises(IBMQBackendError, match="belongs to another backend"):
        await provider.get_backend("ibmq_manila").retrieve_job(job.job_id())
    with pytest.raises(IBMQBackendApiError):
        await backend.retrieve_job("0" * 24)


async def test_update_name_and_tags(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend(SIMULATOR)
    tag = f"update-{uuid.uuid4().hex[:8]}"
    (job,) = await submit(backend, 1, tag)
    assert await job.update_name("renamed") == "renamed" and job.name() == "renamed"
    tags = await job.update_tags(additional_tags=["extra"], removal_tags=["n0"])
    assert sorted(tags) == sorted([tag, "extra"])
    assert sorted(await job.update_tags(replacement_tags=["only"])) == ["only"]
    again = await backend.retrieve_job(job.job_id())
    assert again.name() == "renamed" and again.tags() == ["only"]
    with pytest.raises(IBMQJobInvalidStateError):
        await job.update_name(5)
    with pytest.raises(IBMQJobInvalidStateError):
        await job.update_tags()
    with pytest.raises(IBMQJobInvalidStateError):
        await job.update_tags(additional_tags="x")


async def test_job_details(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend("ibmq_manila")
    from qiskit import transpile

    circuit = transpile(bell(), backend, seed_transpiler=1)
    job = await backend.run(circuit, shots=64, header={"note": "mine"}, experiment_id="exp-details")
    await job.wait_for_final_state(timeout=120)
    steps = await job.time_per_step()
    assert steps is not None and {"CREATING", "COMPLETED"} <= set(steps)
    assert all(moment.tzinfo is not None for moment in steps.values())
    assert await job.scheduling_mode() == "fairshare"
    assert job.client_version.get("ibmq-async") is not None
    assert job.experiment_id == "exp-details" and job.share_level() == "none"
    properties = await job.properties()
    assert isinstance(properties, BackendProperties) and len(properties.qubits) == 5
    retrieved = await backend.retrieve_job(job.job_id())
    assert (await retrieved.header())["note"] == "mine"
    options = await retrieved.backend_options()
    assert options["shots"] == 64 and options["init_qubits"] is True
    assert await job.backend_options() == options
    (rebuilt,) = await retrieved.circuits()
    assert rebuilt.count_ops() == circuit.count_ops() and rebuilt.num_qubits == 5
    with pytest.raises(NotImplementedError):
        job.submit()
    assert job.job_id() in repr(job) and "COMPLETED" in repr(job)


async def test_queue_position_and_state_predicates(provider: AsyncAccountProvider) -> None:
    from qiskit import transpile
    from qiskit.circuit.random import random_circuit

    backend = provider.get_backend("ibm_brisbane")
    heavy = transpile(random_circuit(10, 30, measure=True, seed=5), backend, seed_transpiler=1)
    first = await backend.run(heavy, shots=50_000)
    second = await backend.run(heavy, shots=50_000)
    assert second.backend() is backend
    assert abs(second.creation_date() - datetime.now(UTC)) < timedelta(minutes=5)
    # The device runs one job at a time: once validated, the second waits behind the first.
    deadline = monotonic() + 60
    while await second.status() in (JobStatus.INITIALIZING, JobStatus.VALIDATING):
        assert monotonic() < deadline
        await sleep(0.05)
    assert await second.status() is JobStatus.QUEUED and not await second.running()
    info = await second.queue_info()
    assert info is not None and info.position == 1
    assert info.estimated_start_time is not None
    assert await second.queue_position() == 1
    assert await second.cancel() is True
    assert await second.cancelled() and await second.in_final_state()
    assert not await second.done() and await second.error_message() is None
    assert await second.queue_position(refresh=True) is None
    await first.wait_for_final_state(timeout=180)
    assert await first.done() and not await first.running() and not await first.cancelled()


async def test_a_qobj_still_runs_with_a_warning(provider: AsyncAccountProvider) -> None:
    from ibmq_async._core.assemble import circuits_to_qobj

    backend = provider.get_backend(SIMULATOR)
    qobj = circuits_to_qobj(
        bell(), backend_name=SIMULATOR, backend_version="0.1.547", shots=123
    ).to_wire()
    with pytest.warns(DeprecationWarning, match="Qobj"):
        job = await backend.run(qobj, job_name="from-qobj")
    counts = (await job.result(timeout=120)).get_counts()
    assert sum(counts.values()) == 123 and set(counts) <= {"00", "11"}
    assert (await job.backend_options())["shots"] == 123 and job.name() == "from-qobj"
    with pytest.warns(DeprecationWarning), pytest.raises(IBMQBackendValueError, match="shots"):
        await backend.run(qobj, shots=5)


async def test_waiting_follows_the_status_websocket(
    provider: AsyncAccountProvider, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    import httpx

    backend = provider.get_backend(SIMULATOR)
    job = await backend.run(bell(), shots=100)
    polls: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/status/v/1"):
            polls.append(request.url.path)

    client = job._api._session.client
    client.event_hooks["request"].append(count)
    caplog.set_level(logging.DEBUG, logger="ibmq_async")
    try:
        seen: list[JobStatus] = []
        final = await job.wait_for_final_state(
            timeout=120, callback=lambda _id, status, _job, _queue: seen.append(status)
        )
    finally:
        client.event_hooks["request"].remove(count)
    assert final is JobStatus.DONE and seen[-1] is JobStatus.DONE
    assert polls == []  # every status came over the websocket
    assert "status websocket ended" not in caplog.text


async def test_reservations(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend("ibmq_vigo")
    (booking,) = await backend.reservations()
    assert booking.initial_date == datetime(2031, 3, 1, 9, tzinfo=UTC)
    assert booking.end_date == datetime(2031, 3, 1, 10, 30, tzinfo=UTC)
    assert booking.mode == "dedicated" and booking.duration_minutes == 90
    around = await backend.reservations(
        start_datetime=datetime(2031, 3, 1, 10, tzinfo=UTC),
        end_datetime=datetime(2031, 3, 2, tzinfo=UTC),
    )
    assert [r.id for r in around] == [booking.id]
    assert await backend.reservations(end_datetime=datetime(2031, 2, 1, tzinfo=UTC)) == []
    assert await provider.get_backend("ibmq_manila").reservations() == []
    with pytest.raises(IBMQBackendValueError):
        await backend.reservations(start_datetime="2031-03-01")
    with pytest.raises(IBMQBackendValueError):
        await backend.reservations(
            start_datetime=datetime(2031, 3, 2, tzinfo=UTC),
            end_datetime=datetime(2031, 3, 1, tzinfo=UTC),
        )
