"""Service settings, circuits and waits shared by the compat tests (imported from their
directory, which pytest puts on ``sys.path``)."""

from __future__ import annotations

import time

from qiskit import QuantumCircuit
from qiskit.providers.jobstatus import JOB_FINAL_STATES, JobStatus

MAX_JOBS = 40
"""Unfinished jobs the default project may have per backend: room for a listing of 23."""
LIMITED_PROJECT = "limited"
"""A second project of the default user, allowed one unfinished job per backend."""
PAUSED_BACKEND = "ibmq_lima"
"""Accepts jobs but never runs them: they wait in QUEUED until cancelled."""


def ghz() -> QuantumCircuit:
    circuit = QuantumCircuit(3, 3, name="ghz")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


def flip(flipped: bool, name: str = "flip") -> QuantumCircuit:
    """One qubit, measured after an X (``flipped``) or not: exactly one outcome."""
    circuit = QuantumCircuit(1, 1, name=name)
    if flipped:
        circuit.x(0)
    circuit.measure(0, 0)
    return circuit


def endless(qubits: int = 18, layers: int = 20) -> QuantumCircuit:
    """Hours of simulation at 100000 shots: the mid-circuit measurement makes Aer run each."""
    circuit = QuantumCircuit(qubits, 1, name="endless")
    circuit.h(0)
    circuit.measure(0, 0)
    for _ in range(layers):
        for qubit in range(qubits):
            circuit.h(qubit)
            circuit.rz(0.3, qubit)
        for qubit in range(qubits - 1):
            circuit.cx(qubit, qubit + 1)
    circuit.measure(qubits - 1, 0)
    return circuit


def wait_for_status(job, wanted: JobStatus, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while (status := job.status()) is not wanted:
        assert status not in JOB_FINAL_STATES, f"job ended {status} before {wanted}"
        assert time.monotonic() < deadline, f"job still {status} after {timeout} s"
        time.sleep(0.1)
