"""Run 1,000 circuits as one job set, with progress bars, and check every result.

    python examples/batch_1000.py [--circuits N] [--per-job K] [--shots S]

The circuits are a sweep of single-qubit rotations ``ry(theta)`` over ``[0, pi]``: circuit
``i`` should measure ``1`` with probability ``sin(theta_i / 2) ** 2``. The job manager splits
them into jobs of ``--per-job`` circuits, checks and assembles every job before sending any,
and submits them concurrently under the account's job limit; the bars (on standard error) count
jobs submitted, then jobs finished. The summary line at the end is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from typing import Any

from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter

from ibmq_async import AsyncIBMQ, AsyncIBMQJobManager


def rotation_sweep(count: int) -> list[QuantumCircuit]:
    """``count`` circuits ``ry(theta)`` then measure, with ``theta`` evenly over ``[0, pi]``."""
    theta = Parameter("theta")
    template = QuantumCircuit(1, 1)
    template.ry(theta, 0)
    template.measure(0, 0)
    circuits = []
    for i in range(count):
        circuit = template.assign_parameters({theta: math.pi * i / max(count - 1, 1)})
        circuit.name = f"ry_{i}"
        circuits.append(circuit)
    return circuits


async def main(circuits: int = 1000, per_job: int = 20, shots: int = 256) -> dict[str, Any]:
    """Run the sweep on the local simulator; return (and print) the summary."""
    provider = await AsyncIBMQ.enable_local()
    try:
        backend = provider.get_backend("ibmq_qasm_simulator")
        sweep = transpile(rotation_sweep(circuits), backend, seed_transpiler=1)
        manager = AsyncIBMQJobManager()
        started = time.perf_counter()
        job_set = await manager.run(
            sweep,
            backend,
            name="rotation-sweep",
            max_experiments_per_job=per_job,
            job_tags=["example", "batch_1000"],
            shots=shots,
            progress=True,
        )
        submitted = time.perf_counter()
        results = await job_set.results(timeout=600, progress=True)
        finished = time.perf_counter()
        worst = 0.0
        for i in range(circuits):
            counts = results.get_counts(i)  # by global index; a name ("ry_7") works too
            expected = math.sin(math.pi * i / max(circuits - 1, 1) / 2) ** 2
            worst = max(worst, abs(counts.get("1", 0) / shots - expected))
        summary = {
            "job_set_id": job_set.job_set_id(),
            "circuits": circuits,
            "jobs": len(job_set.managed_jobs()),
            "shots": shots,
            "submit_seconds": round(submitted - started, 2),
            "total_seconds": round(finished - started, 2),
            "worst_probability_error": round(worst, 4),
        }
    finally:
        await AsyncIBMQ.disable_account()
    print(f"{circuits} circuits in {summary['jobs']} jobs: done in {summary['total_seconds']} s")
    print("summary: " + json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circuits", type=int, default=1000, help="how many circuits")
    parser.add_argument("--per-job", type=int, default=20, help="circuits per job")
    parser.add_argument("--shots", type=int, default=256, help="shots per circuit")
    options = parser.parse_args()
    asyncio.run(main(options.circuits, options.per_job, options.shots))
