"""The worker pool sends a backend's jobs to the worker that already ran that backend.

Each worker process caches a device's noise model and simulator; a job given to another
worker builds them again (seconds for a large device), once per worker. With two backends
alternating on two workers, the pool used to hand each job to the worker checked in last, so
both workers ended up building both devices.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from ibmq_local._pool import WorkerPool
from ibmq_local._worker import ExecutionRequest

pytestmark = pytest.mark.integration


def request(build: Any, backend: str, index: int) -> ExecutionRequest:
    instructions = [{"name": "x", "qubits": [0]}, {"name": "measure", "qubits": [0], "memory": [0]}]
    qobj = build.qobj([build.experiment(instructions, 1, 1)], backend, shots=8)
    return ExecutionRequest(f"job-{index}", backend, "1.0.0", json.dumps(qobj).encode(), None)


def test_each_backend_stays_on_the_worker_that_ran_it_first(build: Any) -> None:
    pool = WorkerPool(2)

    async def scenario() -> None:
        # Both at once: two workers start, one per backend.
        await asyncio.gather(
            pool.run(request(build, "left", 0)), pool.run(request(build, "right", 1))
        )
        for index in range(2, 10):  # then one after the other, alternating
            outcome = await pool.run(request(build, "left" if index % 2 else "right", index))
            assert outcome.success, outcome.error_message

    try:
        asyncio.run(scenario())
        workers = pool._idle
        assert len(workers) == 2
        assert sorted(sorted(w.backends) for w in workers) == [["left"], ["right"]]
    finally:
        pool.close()
