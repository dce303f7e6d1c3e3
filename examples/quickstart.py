"""Run a 3-qubit GHZ circuit on a device of the embedded local service (blocking API).

pip install -e ".[local]" && python examples/quickstart.py [backend-name]
"""

from __future__ import annotations

import sys

from qiskit import QuantumCircuit, transpile

from ibmq_sync import IBMQ


def ghz() -> QuantumCircuit:
    """A 3-qubit GHZ state, measured: ideally half 000 and half 111."""
    circuit = QuantumCircuit(3, 3, name="ghz")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


def main(backend_name: str = "ibmq_manila") -> dict[str, int]:
    """Run GHZ on ``backend_name`` and return the counts."""
    provider = IBMQ.enable_local()
    try:
        backend = provider.get_backend(backend_name)
        job = backend.run(transpile(ghz(), backend, seed_transpiler=1), shots=2000)
        print(f"job {job.job_id()} submitted to {backend.name()}")
        counts: dict[str, int] = job.result(timeout=300).get_counts()
    finally:
        IBMQ.disable_account()
    print(f"counts: {dict(sorted(counts.items(), key=lambda kv: -kv[1]))}")
    return counts


if __name__ == "__main__":
    main(*sys.argv[1:2])
