"""Provider-level backend selection and jobs, against the real local service over loopback."""

from __future__ import annotations

import uuid

import pytest
from qiskit import QuantumCircuit

from ibmq_async import (
    AsyncAccountProvider,
    IBMQBackendNotFoundError,
    IBMQBackendValueError,
)
from ibmq_async.provider import least_busy

pytestmark = pytest.mark.integration


async def test_backends_by_configuration_and_by_status(provider: AsyncAccountProvider) -> None:
    devices = provider.backends(simulator=False)
    assert devices and all(not b.configuration().simulator for b in devices)
    operational = await provider.backends_by_status(simulator=False, operational=True)
    assert {b.name() for b in operational} <= {b.name() for b in devices}
    for backend in operational[:3]:
        assert (await backend.status()).operational
    none = await provider.backends_by_status(simulator=False, operational=False)
    assert {b.name() for b in none} | {b.name() for b in operational} == {b.name() for b in devices}
    jobs_allowed = provider.backends(input_allowed="job")
    assert jobs_allowed and all("job" in b.configuration().input_allowed for b in jobs_allowed)
    assert provider.backends(n_qubits=5, simulator=False, name="ibmq_manila")[0].name() == (
        "ibmq_manila"
    )
    assert provider.backends(filters=lambda b: b.configuration().n_qubits > 100)
    # unasync: async-only
    with pytest.raises(IBMQBackendValueError, match="status fields"):
        provider.backends(operational=True)
    # unasync: end
    # unasync: sync-only
    # assert {b.name() for b in provider.backends(simulator=False, operational=True)} == {
    #     b.name() for b in operational
    # }
    # unasync: end


async def test_bad_selections_are_typed_errors(provider: AsyncAccountProvider) -> None:
    for bad in (
        {"min_num_qubits": "x"},
        {"no_such_field": 1},
        {"input_allowed": 5},
        {"filters": "not callable"},
        {"name": 7},
    ):
        with pytest.raises(IBMQBackendValueError):
            await provider.backends_by_status(**bad)


async def test_get_backend_suggests_close_names(provider: AsyncAccountProvider) -> None:
    with pytest.raises(IBMQBackendNotFoundError) as missing:
        provider.get_backend("ibmq_manilla")
    message = str(missing.value)
    assert "ibmq_manila" in message and "ibm_brisbane" not in message
    assert len(message) < 300
    assert provider.backend.ibmq_manila is provider.get_backend("ibmq_manila")
    assert "ibmq_vigo" in dir(provider.backend)
    with pytest.raises(AttributeError):
        provider.backend.no_such_backend  # noqa: B018


async def test_least_busy(provider: AsyncAccountProvider) -> None:
    chosen = await least_busy(provider.backends(simulator=False, n_qubits=5))
    assert chosen.configuration().n_qubits == 5 and (await chosen.status()).operational
    with pytest.raises(IBMQBackendValueError):
        await least_busy([])


async def test_provider_jobs_and_retrieve_job_span_backends(
    provider: AsyncAccountProvider,
) -> None:
    tag = f"provider-{uuid.uuid4().hex[:8]}"
    circuit = QuantumCircuit(1, 1)
    circuit.x(0)
    circuit.measure(0, 0)
    simulator = provider.get_backend("ibmq_qasm_simulator")
    on_simulator = await simulator.run(circuit, shots=5, job_tags=[tag])
    await on_simulator.wait_for_final_state(timeout=120)
    listed = await provider.backend.jobs(limit=None, job_tags=[tag])
    assert [job.job_id() for job in listed] == [on_simulator.job_id()]
    assert listed[0].backend() is simulator
    assert await provider.jobs(limit=None, job_tags=[tag], backend_name="ibmq_manila") == []
    retrieved = await provider.backend.retrieve_job(on_simulator.job_id())
    assert retrieved.backend() is simulator and retrieved.tags() == [tag]
    walked = [job.job_id() async for job in provider.iter_jobs(job_tags=[tag])]
    assert walked == [on_simulator.job_id()]
    with pytest.raises(IBMQBackendValueError):
        await provider.retrieve_job("")
