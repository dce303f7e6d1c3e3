"""Listing and filtering jobs: status, tags, names, dates, ``db_filter`` and ``iter_jobs``.

    python examples/list_jobs.py

Submits six small jobs to the local simulator (two Bell pairs, three GHZ states and one job
the service refuses), all tagged with this run's own tag so that the listings below see only
them, then lists them in several ways. Each listing prints one line, ``label: N [names]``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from qiskit import QuantumCircuit
from qiskit.providers import JobStatus

from ibmq_async import AsyncIBMQ, AsyncIBMQJob

N_QUBITS = "summaryData.summary.qobj_config.n_qubits"
"""A field of the job document, for ``db_filter``: the width of the job's circuits."""


def entangled(width: int) -> QuantumCircuit:
    """A ``width``-qubit GHZ state, measured (a Bell pair for 2)."""
    circuit = QuantumCircuit(width, width, name=f"ghz{width}")
    circuit.h(0)
    for qubit in range(1, width):
        circuit.cx(qubit - 1, qubit)
    circuit.measure(range(width), range(width))
    return circuit


def show(label: str, jobs: list[AsyncIBMQJob]) -> None:
    """Print one listing: how many jobs, and their names."""
    print(f"{label}: {len(jobs)} {[job.name() for job in jobs]}")


async def main() -> None:
    """Submit the jobs, wait for them, and list them."""
    provider = await AsyncIBMQ.enable_local()
    try:
        backend = provider.get_backend("ibmq_qasm_simulator")
        run = f"list-{uuid.uuid4().hex[:8]}"  # this run's tag
        before = datetime.now(UTC) - timedelta(seconds=1)

        jobs = [
            await backend.run(entangled(2), shots=100, job_name="bell-1", job_tags=[run, "bell"]),
            await backend.run(entangled(2), shots=100, job_name="bell-2", job_tags=[run, "bell"]),
        ]
        middle = datetime.now(UTC)
        for i in range(1, 4):
            job = await backend.run(
                entangled(3), shots=100, job_name=f"ghz-{i}", job_tags=[run, "ghz"]
            )
            jobs.append(job)
        # validate=False leaves the checks to the service: too many shots fail there.
        too_many = backend.configuration().max_shots + 1
        jobs.append(
            await backend.run(
                entangled(2), shots=too_many, job_name="refused", job_tags=[run], validate=False
            )
        )
        for job in jobs:
            await job.wait_for_final_state(timeout=120)

        # Newest first by default; limit=None lists every match (the default limit is 10).
        show("all", await backend.jobs(limit=None, job_tags=[run]))
        show("oldest 2", await backend.jobs(limit=2, job_tags=[run], descending=False))
        show("skip 1, limit 2", await backend.jobs(limit=2, skip=1, job_tags=[run]))
        # Several tags: any of them (OR, the default), or all of them (AND).
        show(
            "bell or ghz, of this run",
            await backend.jobs(limit=None, job_tags=["bell", "ghz"], db_filter={"tags": run}),
        )
        show(
            "run and ghz",
            await backend.jobs(limit=None, job_tags=[run, "ghz"], job_tags_operator="AND"),
        )
        # A status by name or as qiskit's JobStatus, or a list of them.
        show("done", await backend.jobs(limit=None, job_tags=[run], status="DONE"))
        show("error", await backend.jobs(limit=None, job_tags=[run], status=JobStatus.ERROR))
        # job_name is a regular expression.
        show("name ^bell-", await backend.jobs(limit=None, job_tags=[run], job_name="^bell-"))
        # Creation dates: timezone-aware, or naive for local time.
        show(
            "created after the bells",
            await backend.jobs(limit=None, job_tags=[run], start_datetime=middle),
        )
        show("created before the run", await backend.jobs(job_tags=[run], end_datetime=before))
        # db_filter: a LoopBack "where" on the job document, merged with the arguments.
        show(
            "3-qubit jobs (db_filter)",
            await backend.jobs(limit=None, job_tags=[run], db_filter={N_QUBITS: {"gte": 3}}),
        )
        # iter_jobs walks any number of jobs a page at a time: `async for` (a plain `for` in
        # ibmq_sync); provider.backend.iter_jobs lists every backend's jobs.
        walked = [job async for job in provider.backend.iter_jobs(job_tags=[run], page_size=2)]
        show("iter_jobs, pages of 2", walked)
        newest = walked[0]
        again = await provider.backend.retrieve_job(newest.job_id())
        print(f"retrieved: {again.name()} {(await again.status()).name}")
    finally:
        await AsyncIBMQ.disable_account()


if __name__ == "__main__":
    asyncio.run(main())
