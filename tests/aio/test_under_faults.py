"""Jobs through a service that fails 30% of its requests: every job exactly once, every result
right (the blocking twin of this file is generated and runs fewer jobs).

The service honours ``Idempotency-Key`` and says so at login: a creation whose reply was lost
is sent again under the same key, so the service ends with exactly one job per run. With the
capability off, the client falls back to looking the job up by its run token and cancelling
the half-created one: extra jobs exist then, but only cancelled, never run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from known_circuits import pattern, pattern_bits

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
FALLBACK_RUNS = 60
"""Runs against the service with idempotency keys off (the fallback path)."""

PATIENT = RetryPolicy(attempts=10, backoff=0.02, max_backoff=0.5, max_retry_after=1.0)
"""Ten tries a request: at a 30% fault rate one still fails in about 170,000."""

logger = logging.getLogger(__name__)


def start_faulty(tmp_path_factory: pytest.TempPathFactory, idempotency_keys: bool) -> Any:
    from ibmq_local.service import LocalService

    service = LocalService(
        tmp_path_factory.mktemp("faulty"),
        fault_rate=FAULT_RATE,
        fault_seed=20261122,
        idempotency_keys=idempotency_keys,
    )
    service.start()
    return service


@pytest.fixture(scope="module")
def faulty_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A faulty service that honours ``Idempotency-Key`` (the default)."""
    service = start_faulty(tmp_path_factory, idempotency_keys=True)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def faulty_service_without_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A faulty service with ``idempotency_keys = false``: it ignores the header."""
    service = start_faulty(tmp_path_factory, idempotency_keys=False)
    try:
        yield service
    finally:
        service.stop()


async def run_under_faults(service: Any, runs: int) -> tuple[list[Any], bool]:
    """``runs`` single-circuit jobs through ``service``, every result checked; the jobs on the
    service afterwards, and whether the client learnt at login that keys are honoured."""
    accounts = AsyncIBMQFactory()
    try:
        provider = await accounts.enable_account(service.token, url=service.auth_url, retry=PATIENT)
        assert provider is not None
        backend = provider.get_backend("ibmq_qasm_simulator")
        circuits = [pattern(i) for i in range(runs)]
        job_set = await AsyncIBMQJobManager().run(
            circuits, backend, max_experiments_per_job=1, shots=16, progress=False
        )
        errors = [m.submit_error for m in job_set.managed_jobs() if m.submit_error]
        assert errors == []
        results = await job_set.results(timeout=900, progress=False)
        assert [results.get_counts(i) for i in range(runs)] == [
            {pattern_bits(i): 16} for i in range(runs)
        ]

        on_server = await provider.jobs(limit=None, backend_name="ibmq_qasm_simulator")
        for job in on_server:
            if job.api_status().value != "COMPLETED":
                await job.refresh()
        return on_server, provider._idempotency_keys
    finally:
        await accounts.aclose()


async def test_single_circuit_runs_under_faults_are_exactly_once(faulty_service: Any) -> None:
    on_server, keys_honoured = await run_under_faults(faulty_service, RUNS)

    assert keys_honoured
    # Exactly one job per run, each run once: no half-created job was made, none cancelled.
    assert len(on_server) == RUNS
    assert [job.api_status().value for job in on_server] == ["COMPLETED"] * RUNS
    assert len({job.name() for job in on_server}) == RUNS
    faults = faulty_service.faults
    assert faults is not None and faults.total > RUNS  # the faults were really there
    logger.warning(
        "%d runs at fault rate %.1f: %s; %d jobs on the service, 0 cancelled, 0 duplicates",
        RUNS,
        FAULT_RATE,
        faults.describe(),
        len(on_server),
    )


async def test_without_idempotency_keys_extra_jobs_are_only_cancelled(
    faulty_service_without_keys: Any,
) -> None:
    on_server, keys_honoured = await run_under_faults(faulty_service_without_keys, FALLBACK_RUNS)

    assert not keys_honoured
    completed = [job for job in on_server if job.api_status().value == "COMPLETED"]
    others = [job for job in on_server if job.api_status().value != "COMPLETED"]
    # Exactly one job ran per run; the only others are half-created jobs the client
    # cancelled before their Qobj arrived (a creation whose reply was lost).
    assert len(completed) == FALLBACK_RUNS
    assert len({job.name() for job in completed}) == FALLBACK_RUNS
    for job in others:
        assert job.api_status().value == "CANCELLED"
        assert never_got_its_qobj(job.document().time_per_step)
    faults = faulty_service_without_keys.faults
    assert faults is not None and faults.total > FALLBACK_RUNS
    logger.warning(
        "%d runs at fault rate %.1f without idempotency keys: %s; %d half-created jobs "
        "cancelled, 0 duplicates",
        FALLBACK_RUNS,
        FAULT_RATE,
        faults.describe(),
        len(others),
    )
