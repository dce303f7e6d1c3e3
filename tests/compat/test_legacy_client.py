"""qiskit-ibmq-provider 0.20.2, unchanged, against the local service."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from compat_helpers import MAX_JOBS, endless, ghz, wait_for_status
from qiskit import IBMQ, QuantumCircuit, transpile
from qiskit.providers.ibmq import IBMQBackendValueError
from qiskit.providers.ibmq.job.exceptions import IBMQJobInvalidStateError
from qiskit.providers.jobstatus import JobStatus


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
    assert backend.job_limit().maximum_jobs == MAX_JOBS
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


# -- the job-status websocket, reservations, calibration history, cancelling a running job --


def test_result_waits_on_the_websocket_without_polling(provider, provider_log) -> None:
    backend = provider.get_backend("ibmq_qasm_simulator")
    job = backend.run(transpile(ghz(), backend), shots=256)
    provider_log.clear()
    counts = job.result(timeout=120).get_counts()
    assert sum(counts.values()) == 256

    messages = [record.getMessage() for record in provider_log.records]
    assert any(f"Websocket connection established for job {job.job_id()}" in m for m in messages)
    received = [m for m in messages if m.startswith("Received message from websocket")]
    assert received and "COMPLETED" in received[-1], messages
    assert not [m for m in messages if "retrying using HTTP" in m], "fell back to polling"
    assert not [m for m in messages if f"/Jobs/{job.job_id()}/status/v/1" in m], "polled"


def test_backend_reservations(provider, service_config) -> None:
    booked = service_config["backends"]["ibmq_manila"]["reservations"]
    backend = provider.get_backend("ibmq_manila")
    reservations = backend.reservations()
    assert [r.start_datetime for r in reservations] == [
        datetime.fromisoformat(b["start"].replace("Z", "+00:00")) for b in booked
    ]
    mine, others = reservations
    assert mine.backend_name == "ibmq_manila"
    assert mine.reservation_id == "compat-booking" and mine.mode == "dedicated"
    assert mine.duration == 150
    assert (mine.hub, mine.group, mine.project) == ("ibm-q", "open", "main")
    assert others.reservation_id is None and others.mode is None and others.hub is None

    window = backend.reservations(
        datetime(2030, 1, 1, 11, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC)
    )
    assert window == [mine]
    assert backend.reservations(datetime(2030, 3, 1, tzinfo=UTC)) == []
    assert provider.get_backend("ibmq_vigo").reservations() == []
    assert provider.backend.my_reservations() == [mine]


def test_properties_at_a_datetime(provider, service_config) -> None:
    recalibrated = service_config["backends"]["ibmq_manila"]["recalibrations"][0]["date"]
    assert recalibrated == "2025-01-01T00:00:00Z"
    backend = provider.get_backend("ibmq_manila")
    current = backend.properties(refresh=True)
    assert current.last_update_date == datetime(2025, 1, 1, tzinfo=UTC)

    after = backend.properties(datetime=datetime(2025, 3, 1, tzinfo=UTC))
    assert after.last_update_date == current.last_update_date
    before = backend.properties(datetime=datetime(2024, 12, 31, tzinfo=UTC))
    assert before.last_update_date < datetime(2025, 1, 1, tzinfo=UTC)
    assert before.last_update_date.date().isoformat() == "2024-05-27"
    assert before.t1(0) == current.t1(0), "measured again: the same figures"
    assert backend.properties(datetime=datetime(2000, 1, 1, tzinfo=UTC)) is None


def test_cancelling_a_running_job_frees_the_device(provider) -> None:
    backend = provider.get_backend("ibmq_qasm_simulator")
    running = backend.run(transpile(endless(), backend), shots=100_000)
    wait_for_status(running, JobStatus.RUNNING)
    behind = backend.run(transpile(ghz(), backend), shots=100)
    wait_for_status(behind, JobStatus.QUEUED)
    info = behind.queue_info()
    assert info is not None and info.position == 1
    assert info.estimated_start_time <= info.estimated_complete_time

    assert running.cancel() is True
    assert running.status() is JobStatus.CANCELLED
    counts = behind.result(timeout=120).get_counts()
    assert sum(counts.values()) == 100
    with pytest.raises(IBMQJobInvalidStateError):
        running.result(timeout=10)
