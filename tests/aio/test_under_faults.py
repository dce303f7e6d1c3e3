"""Jobs through a service that fails 30% of its requests: every job exactly once, every result
right (the blocking twin of this file is generated and runs fewer jobs)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from qiskit import QuantumCircuit

from ibmq_async import AsyncIBMQFactory, AsyncIBMQJobManager, RetryPolicy
from ibmq_async._core.submission import never_got_its_qobj

pytestmark = pytest.mark.integration

FAULT_RATE = 0.3
RUNS = 300
# unasync: async-only
# unasync: end
# unasync: sync-only
# RUNS = 100
# unasync: end

PATIENT = RetryPolicy(attempts=10, backoff=0.02, max_backoff=0.5, max_retry_after=1.0)
"""Ten tries a request: at a 30% fault rate one still fails in about 170,000."""

logger = logging.getLogger(__name__)


@pytest.fixture(scope="module")
def faulty_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from ibmq_local.service import LocalService

    service = LocalService(
        tmp_path_factory.mktemp("faulty"), fault_rate=FAULT_RATE, fault_seed=20261122
    )
    service.start()
    try:
        yield service
    finally:
        service.stop()


def pattern(index: int, width: int = 3) -> QuantumCircuit:
    circuit = QuantumCircuit(width, width, name=f"c{index}")
    for bit in range(width):
        if index >> bit & 1:
            circuit.x(bit)
    circuit.measure(range(width), range(width))
    return circuit


def expected(index: int, width: int = 3) -> dict[str, int]:
    return {format(index % 2**width, f"0{width}b"): 16}


async def test_single_circuit_runs_under_faults_are_exactly_once(faulty_service: Any) -> None:
    accounts = AsyncIBMQFactory()
    try:
        provider = await accounts.enable_account(
            faulty_service.token, url=faulty_service.auth_url, retry=PATIENT
        )
        assert provider is not None
        backend = provider.get_backend("ibmq_qasm_simulator")
        circuits = [pattern(i) for i in range(RUNS)]
        job_set = await AsyncIBMQJobManager().run(
            circuits, backend, max_experiments_per_job=1, shots=16, progress=False
        )
        errors = [m.submit_error for m in job_set.managed_jobs() if m.submit_error]
        assert errors == []
        results = await job_set.results(timeout=900, progress=False)
        assert [results.get_counts(i) for i in range(RUNS)] == [expected(i) for i in range(RUNS)]

        on_server = await provider.jobs(limit=None, backend_name="ibmq_qasm_simulator")
        completed = [job for job in on_server if job.api_status().value == "COMPLETED"]
        others = [job for job in on_server if job.api_status().value != "COMPLETED"]
        # Exactly one job ran per run; the only others are half-created jobs the client
        # cancelled before their Qobj arrived (a creation whose reply was lost).
        assert len(completed) == RUNS
        assert len({job.name() for job in completed}) == RUNS
        for job in others:
            await job.refresh()
            assert job.api_status().value == "CANCELLED"
            assert never_got_its_qobj(job.document().time_per_step)
    finally:
        await accounts.aclose()
    faults = faulty_service.faults
    assert faults is not None and faults.total > RUNS  # the faults were really there
    logger.warning(
        "%d runs at fault rate %.1f: %s; %d half-created jobs cancelled, 0 duplicates",
        RUNS,
        FAULT_RATE,
        faults.describe(),
        len(others),
    )
