"""Walking thousands of jobs with ``iter_jobs``: the client's memory stays flat.

The jobs are seeded straight into the job store of a service run as a separate process
(``ibmq-local serve``), so that ``tracemalloc``, which traces every thread of this process,
measures the client alone.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path

import pytest

from ibmq_async import AsyncIBMQBackend, AsyncIBMQFactory
from ibmq_async._core.job_filters import PAGE_SIZE
from ibmq_local._job_document import JobRecord
from ibmq_local._seeding import completed_job, default_owner, seed_data_dir

pytestmark = pytest.mark.integration

TAG = f"walk-{uuid.uuid4().hex[:8]}"
WALKS = {
    # jobs: (backend, first job id as a number, qubits of each job)
    2_000: ("ibmq_qasm_simulator", 0x100000, 2),
    10_000: ("ibmq_manila", 0x200000, 5),
}
N_QUBITS = "summaryData.summary.qobj_config.n_qubits"


def seeded_jobs(data_dir: Path) -> Iterator[JobRecord]:
    """Both walks' jobs, interleaved a millisecond apart, all finished, all tagged."""
    owner = default_owner(data_dir)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return chain.from_iterable(
        (
            completed_job(
                owner,
                backend,
                start + timedelta(milliseconds=2 * i + k),
                job_id=f"{first + i:024x}",
                tags=[TAG],
                n_qubits=n_qubits,
            )
            for i in range(count)
        )
        for k, (count, (backend, first, n_qubits)) in enumerate(WALKS.items())
    )


@pytest.fixture(scope="module")
def walk_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``(auth url, token)`` of ``ibmq-local serve`` on a data directory seeded with both
    walks' jobs."""
    data_dir = tmp_path_factory.mktemp("walk")
    assert seed_data_dir(data_dir, seeded_jobs(data_dir)) == sum(WALKS)
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe nobody drains
        command = [sys.executable, "-m", "ibmq_local", "serve", "--port", "0"]
        process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            assert process.stdout is not None
            url_line, token_line = process.stdout.readline(), process.stdout.readline()
            errors.seek(0)
            assert url_line.startswith("auth url: "), url_line + errors.read()
            yield url_line.split(": ", 1)[1].strip(), token_line.split(": ", 1)[1].strip()
        finally:
            process.terminate()
            process.wait(timeout=30)
            if process.stdout is not None:
                process.stdout.close()


async def walk(backend: AsyncIBMQBackend, count: int, first: int) -> int:
    """Walk the tagged jobs of ``backend``, newest first, checking each is seen once; return
    the peak of memory allocated meanwhile, in bytes."""
    seen = bytearray(count)  # allocated before tracing starts: not part of the walk's cost
    async for _ in backend.iter_jobs(limit=2):  # connection and lazy state, made once
        pass
    # Each page leaves a few reference cycles behind (HTTP internals holding the response's
    # chunks), freed whenever the collector next runs: how many pile up first depends on the
    # collector's schedule, not on the walk. Collecting at every page takes that noise out of
    # the peak; the long-lived heap (qiskit's, mostly) is frozen so that it costs little.
    gc.collect()
    gc.freeze()
    tracemalloc.start()
    try:
        walked = 0
        newest_first = True
        previous = None
        async for job in backend.iter_jobs(job_tags=[TAG]):
            index = int(job.job_id(), 16) - first
            assert 0 <= index < count and not seen[index], job.job_id()
            seen[index] = 1
            walked += 1
            if walked % PAGE_SIZE == 0:
                gc.collect()
            created = job.creation_date()
            newest_first = newest_first and (previous is None or created < previous)
            previous = created
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        gc.unfreeze()
    assert walked == count and all(seen) and newest_first
    return peak


async def test_walking_jobs_keeps_client_memory_flat(
    factory: AsyncIBMQFactory, walk_service: tuple[str, str]
) -> None:
    url, token = walk_service
    provider = await factory.enable_account(token, url=url)
    assert provider is not None
    peaks = {}
    for count, (backend_name, first, _) in WALKS.items():
        peaks[count] = await walk(provider.get_backend(backend_name), count, first)
    # Five times the jobs, about the same peak: pages are dropped as the walk moves on. The
    # little growth there is comes from the standard library's cache of the last 128 URLs
    # parsed (every page has a URL of its own), which stops growing there.
    assert peaks[10_000] <= 1.5 * peaks[2_000], peaks


async def test_listed_jobs_fetch_their_steps_and_filter_on_summary_data(
    factory: AsyncIBMQFactory, walk_service: tuple[str, str]
) -> None:
    url, token = walk_service
    provider = await factory.enable_account(token, url=url)
    assert provider is not None
    manila = provider.get_backend("ibmq_manila")
    [newest] = await manila.jobs(limit=1)
    assert newest.job_id() == f"{0x200000 + 9_999:024x}"
    # A listing leaves timePerStep out, as the live service did; asking for it fetches it.
    assert newest.document().time_per_step is None
    steps = await newest.time_per_step()
    assert steps is not None and list(steps)[-1] == "COMPLETED"
    five = await manila.jobs(limit=3, db_filter={N_QUBITS: {"gte": 4}})
    assert len(five) == 3
    simulator = provider.get_backend("ibmq_qasm_simulator")
    assert await simulator.jobs(limit=3, db_filter={N_QUBITS: {"gte": 4}}) == []
