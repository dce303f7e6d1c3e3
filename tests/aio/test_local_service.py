"""The async client against the real local service over loopback."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.random import random_circuit
from qiskit.providers import JobStatus

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQFactory,
    AsyncIBMQSimulator,
    IBMQAccountCredentialsInvalidToken,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountError,
    IBMQBackendNotFoundError,
    IBMQBackendValueError,
    IBMQJobApiError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
)
from ibmq_async.models import BackendProperties


async def test_login_discovers_projects_and_backends(
    factory: AsyncIBMQFactory, provider: AsyncAccountProvider
) -> None:
    assert (provider.hub, provider.group, provider.project) == ("ibm-q", "open", "main")
    assert factory.get_provider(hub="ibm-q") is provider
    names = {backend.name() for backend in provider.backends()}
    assert {"ibmq_qasm_simulator", "ibmq_manila", "ibmq_vigo", "ibm_brisbane"} <= names
    assert isinstance(provider.get_backend("ibmq_qasm_simulator"), AsyncIBMQSimulator)
    assert all(b.configuration().n_qubits >= 27 for b in provider.backends(min_num_qubits=27))
    assert [b.name() for b in provider.backends(simulator=True)] == ["ibmq_qasm_simulator"]
    with pytest.raises(IBMQBackendNotFoundError):
        provider.get_backend("no_such_backend")
    with pytest.raises(IBMQAccountError):
        await factory.enable_account("another-token", url="http://127.0.0.1:1/api")


async def test_bad_token_and_bad_url_are_refused(local_service: Any) -> None:
    accounts = AsyncIBMQFactory()
    with pytest.raises(IBMQAccountCredentialsInvalidToken) as refused:
        await accounts.enable_account("wrong-token", url=local_service.auth_url)
    assert "wrong-token" not in str(refused.value)
    with pytest.raises(IBMQAccountCredentialsInvalidUrl):
        await accounts.enable_account(local_service.token, url=local_service.auth_url + "/nope")
    with pytest.raises(IBMQAccountCredentialsInvalidToken):
        await accounts.enable_account("", url=local_service.auth_url)
    assert accounts.active_account() is None


async def test_backend_status_properties_defaults_and_limit(
    provider: AsyncAccountProvider,
) -> None:
    backend = provider.get_backend("ibmq_manila")
    status = await backend.status()
    assert status.operational and status.backend_name == "ibmq_manila"
    assert status.pending_jobs >= 0
    properties = await backend.properties()
    assert isinstance(properties, BackendProperties)
    assert len(properties.qubits) == 5 and properties.backend_name == "ibmq_manila"
    assert await backend.properties() is properties  # cached
    assert await backend.properties(datetime=datetime(2000, 1, 1, tzinfo=UTC)) is None
    defaults = await backend.defaults()  # manila advertises pulse and has its defaults
    assert backend.configuration().open_pulse and defaults is not None
    assert len(defaults.qubit_freq_est) == 5 and defaults.cmd_def
    brisbane = provider.get_backend("ibm_brisbane")  # no defaults are known for it
    assert not brisbane.configuration().open_pulse and await brisbane.defaults() is None
    limit = await backend.job_limit()
    assert limit.maximum_jobs is None or limit.maximum_jobs >= 1
    assert limit.active_jobs >= 0
    simulator = provider.get_backend("ibmq_qasm_simulator")
    assert await simulator.properties() is None


async def test_ghz_on_the_simulator_is_exact(
    provider: AsyncAccountProvider, ghz: QuantumCircuit
) -> None:
    backend = provider.get_backend("ibmq_qasm_simulator")
    job = await backend.run(transpile(ghz, backend), shots=1000, job_name="ghz", job_tags=["t"])
    assert len(job.job_id()) > 0 and job.name() == "ghz" and job.tags() == ["t"]
    seen: list[JobStatus] = []
    final = await job.wait_for_final_state(
        timeout=120, callback=lambda _id, status, _job, _queue: seen.append(status)
    )
    assert final is JobStatus.DONE and seen[-1] is JobStatus.DONE
    result = await job.result()
    counts = result.get_counts()
    assert set(counts) <= {"000", "111"} and sum(counts.values()) == 1000
    assert min(counts.values()) > 350
    assert await job.status() is JobStatus.DONE
    assert await job.done()
    assert job.document().time_per_step is not None


async def test_ghz_on_a_device_is_noisy(
    provider: AsyncAccountProvider, ghz: QuantumCircuit
) -> None:
    backend = provider.get_backend("ibmq_manila")
    job = await backend.run(transpile(ghz, backend, seed_transpiler=3), shots=4000)
    counts = (await job.result(timeout=120)).get_counts()
    assert sum(counts.values()) == 4000
    assert counts.get("000", 0) + counts.get("111", 0) > 0.7 * 4000
    assert len(counts) > 2


async def test_a_127_qubit_device_runs(provider: AsyncAccountProvider, ghz: QuantumCircuit) -> None:
    backend = provider.get_backend("ibm_brisbane")
    circuit = transpile(ghz, backend, seed_transpiler=5)
    assert circuit.num_qubits == 127
    counts = (await (await backend.run(circuit, shots=500)).result(timeout=180)).get_counts()
    assert counts.get("000", 0) + counts.get("111", 0) > 0.6 * 500


async def test_several_registers_and_parameters_round_trip(
    provider: AsyncAccountProvider,
) -> None:
    from qiskit import ClassicalRegister, QuantumRegister
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    qr, a, b = QuantumRegister(2, "q"), ClassicalRegister(1, "a"), ClassicalRegister(1, "b")
    circuit = QuantumCircuit(qr, a, b, name="regs")
    circuit.rx(theta, 0)
    circuit.x(1)
    circuit.measure(1, a[0])
    circuit.measure(0, b[0])
    backend = provider.get_backend("ibmq_qasm_simulator")
    job = await backend.run(
        circuit, shots=200, parameter_binds=[{theta: 0.0}, {theta: 3.141592653589793}]
    )
    result = await job.result(timeout=120)
    assert result.get_counts(0) == {"0 1": 200}
    assert result.get_counts(1) == {"1 1": 200}


async def test_bad_circuits_are_refused_before_sending(
    provider: AsyncAccountProvider, ghz: QuantumCircuit
) -> None:
    backend = provider.get_backend("ibmq_manila")
    before = (await backend.job_limit()).active_jobs
    with pytest.raises(IBMQBackendValueError, match="basis gates"):
        await backend.run(ghz)  # not transpiled: h is not a basis gate of manila
    with pytest.raises(IBMQBackendValueError, match="shots"):
        await backend.run(transpile(ghz, backend), shots=10**6)
    with pytest.raises(IBMQBackendValueError, match="job_tags"):
        await backend.run(transpile(ghz, backend), job_tags="tag")  # type: ignore[arg-type]
    with pytest.raises(IBMQBackendValueError, match="QuantumCircuit"):
        await backend.run(["not a circuit"])  # type: ignore[list-item]
    assert (await backend.job_limit()).active_jobs == before


@pytest.mark.parametrize(
    ("build", "shots", "why"),
    [
        ("h", 100, "basis"),
        ("coupling", 100, "coupling map"),
        ("wide", 100, "qubits"),
        ("shots", 10**6, "max_shots"),
    ],
)
async def test_the_service_fails_what_the_device_cannot_run(
    provider: AsyncAccountProvider, build: str, shots: int, why: str
) -> None:
    backend = provider.get_backend("ibmq_manila")
    width = 6 if build == "wide" else 3
    circuit = QuantumCircuit(width, width)
    if build == "h":
        circuit.h(0)
    elif build == "coupling":
        circuit.cx(0, 2)  # manila is a line: 0-1-2-3-4
    else:
        circuit.x(width - 1)
    circuit.measure(range(width), range(width))
    job = await backend.run(circuit, shots=shots, validate=False)
    assert await job.wait_for_final_state(timeout=120) is JobStatus.ERROR
    assert job.api_status().value == "ERROR_VALIDATING_JOB"
    with pytest.raises(IBMQJobFailureError, match=why) as failure:
        await job.result()
    assert job.job_id() in str(failure.value)
    message = await job.error_message()
    assert message is not None and why in message


async def test_cancel_a_queued_job(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend("ibm_brisbane")
    heavy = transpile(random_circuit(10, 30, measure=True, seed=11), backend, seed_transpiler=1)
    first = await backend.run(heavy, shots=50_000)
    second = await backend.run(heavy, shots=50_000)
    assert await second.cancel() is True
    assert await second.status() is JobStatus.CANCELLED
    with pytest.raises(IBMQJobInvalidStateError):
        await second.result()
    with contextlib.suppress(IBMQJobApiError):  # it may already have finished
        await first.cancel()
    await first.wait_for_final_state(timeout=120)
    with pytest.raises(IBMQJobApiError):
        await second.cancel()  # already final


# unasync: async-only
def test_the_async_backend_is_no_blocking_qiskit_backend(provider: AsyncAccountProvider) -> None:
    from qiskit.providers import BackendV2

    backend = provider.get_backend("ibmq_manila")
    assert not isinstance(backend, BackendV2)
    assert backend.name() == "ibmq_manila" and backend.max_circuits == 300


# unasync: end
# unasync: sync-only
# def test_the_blocking_backend_is_a_qiskit_backend_v2(provider: AccountProvider) -> None:
#     from qiskit.providers import BackendV2
#     from qiskit.transpiler import generate_preset_pass_manager
#
#     backend = provider.get_backend("ibmq_manila")
#     assert isinstance(backend, BackendV2)
#     assert backend.name == "ibmq_manila" and backend.name() == "ibmq_manila"
#     assert backend.max_circuits == 300 and backend.num_qubits == 5
#     assert backend.backend_version == backend.configuration().backend_version
#     circuit = QuantumCircuit(2, 2)
#     circuit.h(0)
#     circuit.cx(0, 1)
#     circuit.measure([0, 1], [0, 1])
#     compiled = generate_preset_pass_manager(1, backend=backend).run(circuit)
#     assert set(compiled.count_ops()) <= {*backend.operation_names, "barrier"}
#     assert backend.options.shots == 4000
# unasync: end


async def test_random_circuits_transpiled_for_the_simulator_run(
    provider: AsyncAccountProvider,
) -> None:
    # On main ten advertised basis gates (csdg, xx_plus_yy, ...) failed in Aer, and qiskit 2
    # refused the advertised initialize/unitary in transpile(basis_gates=...).
    backend = provider.get_backend("ibmq_qasm_simulator")
    basis = backend.configuration().basis_gates
    circuits = [random_circuit(5, 6, max_operands=3, measure=True, seed=s) for s in range(12)]
    compiled = [transpile(c, backend, seed_transpiler=1) for c in circuits[:6]]
    compiled += [transpile(c, basis_gates=basis, seed_transpiler=1) for c in circuits[6:]]
    job = await backend.run(compiled, shots=50)
    result = await job.result(timeout=180)
    assert all(sum(result.get_counts(i).values()) == 50 for i in range(12))
    from qiskit.circuit.library import UnitaryGate

    with_unitary = QuantumCircuit(1, 1)
    with_unitary.append(UnitaryGate([[0, 1], [1, 0]]), [0])
    with_unitary.measure(0, 0)
    counts = (await (await backend.run(with_unitary, shots=20)).result(timeout=120)).get_counts()
    assert counts == {"1": 20}


async def test_measurement_levels_the_service_cannot_serve_are_refused(
    provider: AsyncAccountProvider, ghz: QuantumCircuit
) -> None:
    # On main meas_level=1 ran and silently returned classified counts.
    backend = provider.get_backend("ibmq_qasm_simulator")
    assert backend.configuration().meas_levels == [2]
    with pytest.raises(IBMQBackendValueError, match="meas_level 1"):
        await backend.run(ghz, shots=10, meas_level=1, meas_return="single")
    job = await backend.run(ghz, shots=10, meas_level=1, meas_return="avg", validate=False)
    assert await job.wait_for_final_state(timeout=60) is JobStatus.ERROR
    assert "meas_level 1" in (await job.error_message() or "")
    memory = (await (await backend.run(ghz, shots=6, memory=True)).result()).get_memory()
    assert len(memory) == 6 and set(memory) <= {"000", "111"}
