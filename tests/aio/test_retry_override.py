"""A per-call retry policy: ``retry_policy(...)`` overrides the account's for one block.

Against the real local service with its fault injection turned to "every request fails"
after the job has run; the service counts the requests that reached it, so each try shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from qiskit import QuantumCircuit

from ibmq_async import (
    AsyncIBMQFactory,
    IBMQAccountValueError,
    IBMQJobApiError,
    RetryPolicy,
    retry_policy,
)

pytestmark = pytest.mark.integration

ACCOUNT = RetryPolicy(attempts=4, backoff=0.01, max_backoff=0.02, max_retry_after=0.05)


def quick(attempts: int) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, backoff=0.01, max_backoff=0.01, max_retry_after=0.01)


@pytest.fixture
def service(tmp_path: Any) -> Iterator[Any]:
    from ibmq_local.service import LocalService

    # A fault plan that (with this seed) never fires until the test raises its rate.
    local = LocalService(tmp_path / "svc", fault_rate=1e-12, fault_seed=7)
    local.start()
    try:
        yield local
    finally:
        local.stop()


def set_fault_rate(service: Any, rate: float) -> None:
    plan = service._fault_plan
    assert plan is not None
    plan.rate = rate


def requests_seen(service: Any) -> int:
    faults = service.faults
    assert faults is not None
    return int(faults.requests)


async def test_retry_policy_overrides_the_accounts_for_a_block(
    service: Any, ghz: QuantumCircuit
) -> None:
    factory = AsyncIBMQFactory()
    try:
        provider = await factory.enable_account(service.token, url=service.auth_url, retry=ACCOUNT)
        assert provider is not None
        job = await provider.get_backend("ibmq_qasm_simulator").run(ghz, shots=10)
        await job.result(timeout=120)
        set_fault_rate(service, 1.0)

        sent: dict[str, int] = {}
        for label, policy in (("account", None), ("two", quick(2)), ("one", quick(1))):
            before = requests_seen(service)
            with pytest.raises(IBMQJobApiError):
                if policy is None:
                    await job.refresh()
                else:
                    with retry_policy(policy) as chosen:
                        assert chosen is policy
                        await job.refresh()
            sent[label] = requests_seen(service) - before
        assert sent == {"account": ACCOUNT.attempts, "two": 2, "one": 1}

        # Blocks nest, the innermost wins, and leaving a block restores the outer policy.
        before = requests_seen(service)
        with retry_policy(quick(3)):
            with retry_policy(quick(1)), pytest.raises(IBMQJobApiError):
                await job.refresh()
            assert requests_seen(service) - before == 1
            with pytest.raises(IBMQJobApiError):
                await job.refresh()
        assert requests_seen(service) - before == 1 + 3
    finally:
        set_fault_rate(service, 0.0)
        await factory.aclose()


def test_retry_policy_refuses_what_is_not_a_policy() -> None:
    for bad in (None, 3, {"attempts": 1}, "fast"):
        with (
            pytest.raises(IBMQAccountValueError, match="takes a RetryPolicy"),
            retry_policy(bad),  # type: ignore[arg-type]
        ):
            pass
