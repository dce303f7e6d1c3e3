"""qiskit-ibmq-provider 0.20.2, unchanged, against the local service."""

from __future__ import annotations

import pytest
from qiskit import IBMQ, QuantumCircuit, transpile
from qiskit.providers.ibmq import IBMQBackendValueError
from qiskit.providers.jobstatus import JobStatus


def ghz() -> QuantumCircuit:
    circuit = QuantumCircuit(3, 3, name="ghz")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


@pytest.fixture(scope="module")
def provider(local_service):
    url, token = local_service
    provider = IBMQ.enable_account(token, url=url)
    yield provider
    IBMQ.disable_account()


def test_login_discovers_backends(provider) -> None:
    names = {backend.name() for backend in provider.backends()}
    assert {"ibmq_qasm_simulator", "ibmq_manila", "ibm_brisbane"} <= names
    assert IBMQ.active_account()["url"].endswith("/api")


def test_ghz_on_the_simulator_is_exact(provider) -> None:
    backend = provider.get_backend("ibmq_qasm_simulator")
    job = backend.run(transpile(ghz(), backend), shots=1024)
    counts = job.result(timeout=120).get_counts()
    assert set(counts) <= {"000", "111"}
    assert sum(counts.values()) == 1024
    assert job.status() is JobStatus.DONE


def test_ghz_on_a_device_is_noisy_but_mostly_right(provider) -> None:
    backend = provider.get_backend("ibmq_manila")
    job = backend.run(transpile(ghz(), backend, seed_transpiler=7), shots=4000, job_tags=["c"])
    counts = job.result(timeout=120).get_counts()
    assert sum(counts.values()) == 4000
    assert counts.get("000", 0) + counts.get("111", 0) > 0.7 * 4000
    assert len(counts) > 2, "a device with calibrated noise should show some errors"
    assert job.tags() == ["c"]


def test_backend_queries(provider) -> None:
    backend = provider.get_backend("ibmq_manila")
    status = backend.status()
    assert status.operational and status.backend_name == "ibmq_manila"
    properties = backend.properties()
    assert properties is not None and len(properties.qubits) == 5
    limit = backend.job_limit()
    assert limit.maximum_jobs is None or limit.maximum_jobs >= 1
    assert backend.configuration().n_qubits == 5


def test_invalid_tags_are_refused_client_side(provider) -> None:
    backend = provider.get_backend("ibmq_qasm_simulator")
    with pytest.raises(IBMQBackendValueError):
        backend.run(ghz(), job_tags="not-a-list")


def test_untranspiled_circuit_fails_validation_on_the_device(provider) -> None:
    backend = provider.get_backend("ibmq_manila")
    circuit = QuantumCircuit(2, 2)
    circuit.h(0)  # not in manila's basis gates
    circuit.measure([0, 1], [0, 1])
    job = backend.run(circuit, shots=100)
    assert job.wait_for_final_state(timeout=120) is None
    assert job.status() is JobStatus.ERROR
    assert "basis" in job.error_message()
