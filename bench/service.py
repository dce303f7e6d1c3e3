"""Service benchmark: how fast the local service itself runs jobs.

Each measurement starts its own ``ibmq-local serve`` process (fresh data directory, no job
limit) and drives it with a lean raw-httpx client, so that the client is never the
bottleneck. Measured, side by side in one run:

- ``throughput``: Bell jobs per second the service completes (create, upload, notify, wait
  until final, result URL, download) with its default number of workers, then with 1, 2,
  ... N workers (N = the cores of the machine; ``max_workers`` of the service's
  configuration), as a ratio to 1 worker. Two workloads: every job on the ideal simulator
  (a backend runs one job at a time, like a device, so one backend keeps one worker busy),
  and the jobs spread round-robin over N backends (the simulator and 5-qubit devices),
  which can keep N workers busy. Service CPU per job is the CPU time of the service's
  process tree (its workers included) over the run, from ``/proc``.
- ``small job``: the time of one 3-qubit GHZ job, end to end and as the worker's
  ``time_taken``, on a 5-qubit device (``ibmq_manila``), a 127-qubit one
  (``ibm_brisbane``) and a 156-qubit one (``ibm_fez``): the first job on the device
  (which builds its noise model) and warm jobs, as a ratio to the 5-qubit device. The one
  worker has already imported qiskit and run a job on another device, so the first job
  pays for the device, not for starting a worker.

Every job's counts are checked. The table shows medians over ``--repeat`` runs and ratios;
no absolute time is asserted anywhere.

    python -m bench.service [--quick] [--jobs N] [--repeat R] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from qiskit import QuantumCircuit

from ._circuits import ghz
from ._service import Service, local_service
from .batch import bitstrings

DEFAULT_JOBS = 200
QUICK_JOBS = 30
DEFAULT_REPEAT = 3
QUICK_REPEAT = 1
WARM_JOBS = 5
"""Warm jobs per device in the small-job measurement."""
SUBMITTERS = 4
"""Concurrent client tasks creating and uploading jobs."""
COLLECTORS = 4
"""Concurrent client tasks waiting for jobs and downloading their results."""
POLL = 0.02
"""Seconds between two status polls of a job that is not final yet."""
SHOTS = 1024
SIMULATOR = "ibmq_qasm_simulator"
SPREAD_DEVICES = ["ibmq_manila", "ibmq_quito", "ibmq_belem", "ibmq_lima", "ibmq_bogota"]
"""5-qubit devices the spread workload adds to the simulator (cx/rz/sx basis, 0-1 coupled)."""
SMALL_DEVICES = ["ibmq_manila", "ibm_brisbane", "ibm_fez"]
"""The small-job devices; the first is the reference."""
WARM_UP_DEVICE = "ibmq_quito"
REQUEST_TIMEOUT = httpx.Timeout(120.0)
FINAL = ("COMPLETED", "CANCELLED", "ERROR_VALIDATING_JOB", "ERROR_RUNNING_JOB")

Counts = dict[str, int]


# -- the service ----------------------------------------------------------------------------


def default_workers() -> int:
    """The service's default ``max_workers`` (read from its configuration schema)."""
    from ibmq_local.config import ConfigFile

    value = ConfigFile.model_fields["max_workers"].default
    return int(value)


def service_with_workers(workers: int | None) -> AbstractContextManager[Service]:
    """``ibmq-local serve`` with ``max_workers = workers`` (its default when ``None``) and no
    job limit, on a free loopback port, in a fresh data directory."""
    return local_service(-1, workers=workers)


# -- the work --------------------------------------------------------------------------------


def bell_qobj(backend: str, name: str) -> dict[str, Any]:
    """A measured Bell pair on qubits 0 and 1 in the rz/sx/cx basis (simulator and devices)."""
    half_pi = 1.5707963267948966
    instructions = [
        {"name": "rz", "qubits": [0], "params": [half_pi]},
        {"name": "sx", "qubits": [0]},
        {"name": "rz", "qubits": [0], "params": [half_pi]},
        {"name": "cx", "qubits": [0, 1]},
        {"name": "measure", "qubits": [0], "memory": [0]},
        {"name": "measure", "qubits": [1], "memory": [1]},
    ]
    n_qubits = 2
    experiment = {
        "header": {
            "name": name,
            "n_qubits": n_qubits,
            "memory_slots": 2,
            "qubit_labels": [["q", 0], ["q", 1]],
            "clbit_labels": [["c", 0], ["c", 1]],
            "qreg_sizes": [["q", n_qubits]],
            "creg_sizes": [["c", 2]],
        },
        "config": {"n_qubits": n_qubits, "memory_slots": 2},
        "instructions": instructions,
    }
    return {
        "qobj_id": name,
        "type": "QASM",
        "schema_version": "1.3.0",
        "header": {"backend_name": backend},
        "config": {"shots": SHOTS, "memory": False, "n_qubits": n_qubits, "memory_slots": 2},
        "experiments": [experiment],
    }


def device_ghz_qobjs(configurations: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """A GHZ transpiled onto qubits 0-2 of each device (by its configuration), as a Qobj."""
    from qiskit import transpile
    from qiskit.transpiler import CouplingMap, Target

    wires = {}
    for name, configuration in configurations.items():
        target = Target.from_configuration(
            basis_gates=[*configuration["basis_gates"], "measure"],
            num_qubits=configuration["n_qubits"],
            coupling_map=CouplingMap(configuration["coupling_map"]),
        )
        circuit = transpile(ghz(), target=target, initial_layout=[0, 1, 2], seed_transpiler=1)
        wires[name] = _circuit_qobj(circuit, name)
    return wires


def _circuit_qobj(circuit: QuantumCircuit, backend: str) -> dict[str, Any]:
    """A QASM Qobj of a transpiled circuit of gates and measurements."""
    instructions: list[dict[str, Any]] = []
    for item in circuit.data:
        qubits = [circuit.find_bit(q).index for q in item.qubits]
        entry: dict[str, Any] = {"name": item.operation.name, "qubits": qubits}
        if item.operation.name == "measure":
            entry["memory"] = [circuit.find_bit(c).index for c in item.clbits]
        elif item.operation.name == "barrier":
            continue
        elif item.operation.params:
            entry["params"] = [float(p) for p in item.operation.params]
        instructions.append(entry)
    n_qubits, slots = circuit.num_qubits, circuit.num_clbits
    experiment = {
        "header": {"name": circuit.name, "n_qubits": n_qubits, "memory_slots": slots},
        "config": {"n_qubits": n_qubits, "memory_slots": slots},
        "instructions": instructions,
    }
    return {
        "qobj_id": f"ghz-{backend}",
        "type": "QASM",
        "schema_version": "1.3.0",
        "header": {"backend_name": backend},
        "config": {"shots": SHOTS, "memory": False, "n_qubits": n_qubits, "memory_slots": slots},
        "experiments": [experiment],
    }


def _plausible(counts: Counts, width: int, noisy: bool) -> bool:
    """Whether ``counts`` are what a ``width``-qubit GHZ gives (mostly, when ``noisy``)."""
    if sum(counts.values()) != SHOTS:
        return False
    ideal = sum(counts.get(bit * width, 0) for bit in "01")
    return ideal > 0.6 * SHOTS if noisy else ideal == SHOTS


# -- the lean client -------------------------------------------------------------------------


class RawClient:
    """A minimal asyncio + httpx client of the job protocol (login, submit, wait, fetch)."""

    def __init__(self, service: Service) -> None:
        self.service = service
        limits = httpx.Limits(max_connections=SUBMITTERS + COLLECTORS + 2)
        self.client = httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits)
        self.hgp = ""

    async def __aenter__(self) -> RawClient:
        auth = self.service.auth_url.rstrip("/")
        login = await self.client.post(
            f"{auth}/users/loginWithToken", json={"apiToken": self.service.token}
        )
        login.raise_for_status()
        self.client.headers["X-Access-Token"] = login.json()["id"]
        me = await self.client.get(f"{auth}/users/me")
        me.raise_for_status()
        http = me.json()["urls"]["http"].rstrip("/")
        self.hgp = f"{http}/Network/ibm-q/Groups/open/Projects/main"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def submit(self, backend: str, qobj: dict[str, Any]) -> str:
        """Create, upload and notify: the job id."""
        created = await self.client.post(
            f"{self.hgp}/Jobs",
            json={"backend": {"name": backend}, "allowObjectStorage": True},
        )
        created.raise_for_status()
        job_id = str(created.json()["id"])
        put = await self.client.put(
            created.json()["objectStorageInfo"]["uploadUrl"],
            content=json.dumps(qobj).encode(),
            headers={"Content-Type": "application/json"},
        )
        put.raise_for_status()
        (await self.client.post(f"{self.hgp}/Jobs/{job_id}/jobDataUploaded")).raise_for_status()
        return job_id

    async def collect(self, job_id: str) -> dict[str, Any]:
        """Wait until the job is final, then download its Result."""
        job = f"{self.hgp}/Jobs/{job_id}"
        while True:
            reply = await self.client.get(f"{job}/status/v/1")
            reply.raise_for_status()
            status = reply.json()["status"]
            if status in FINAL:
                break
            await asyncio.sleep(POLL)
        if status != "COMPLETED":
            raise RuntimeError(f"job {job_id} ended {status}")
        where = await self.client.get(f"{job}/resultDownloadUrl")
        where.raise_for_status()
        result = await self.client.get(where.json()["url"])
        result.raise_for_status()
        return dict(result.json())

    async def run(self, backend: str, qobj: dict[str, Any]) -> dict[str, Any]:
        """One job, start to finish."""
        return await self.collect(await self.submit(backend, qobj))


async def _pipeline(client: RawClient, jobs: list[tuple[str, dict[str, Any]]]) -> list[Counts]:
    """Submit every job (``SUBMITTERS`` at a time) while ``COLLECTORS`` tasks collect them in
    submission order; the counts of each job, in order."""
    submitted: asyncio.Queue[tuple[int, str] | None] = asyncio.Queue()
    pending = iter(enumerate(jobs))
    counts: list[Counts] = [{} for _ in jobs]

    async def submitter() -> None:
        for index, (backend, qobj) in pending:
            await submitted.put((index, await client.submit(backend, qobj)))

    async def collector() -> None:
        while (item := await submitted.get()) is not None:
            index, job_id = item
            counts[index] = bitstrings(await client.collect(job_id))

    collectors = [asyncio.create_task(collector()) for _ in range(COLLECTORS)]
    try:
        await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
        for _ in collectors:
            await submitted.put(None)
        await asyncio.gather(*collectors)
    finally:
        for task in collectors:
            task.cancel()
    return counts


# -- measurements ----------------------------------------------------------------------------


@dataclass
class Throughput:
    """One service configuration's throughput runs."""

    workers: int
    default: bool
    workload: str
    backends: list[str]
    rates: list[float] = field(default_factory=list)
    """Jobs per second, one per repeat."""
    cpu_per_job: list[float] = field(default_factory=list)
    """Service CPU seconds per job, one per repeat (empty without ``/proc``)."""
    wrong: int = 0

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpu_per_job) if self.cpu_per_job else None


def _workload(name: str, backends: list[str], jobs: int) -> list[tuple[str, dict[str, Any]]]:
    return [
        (backends[i % len(backends)], bell_qobj(backends[i % len(backends)], f"{name}-{i}"))
        for i in range(jobs)
    ]


async def _measure_throughput(
    service: Service, runs: list[Throughput], jobs: int, repeat: int
) -> None:
    async with RawClient(service) as client:
        # Warm up: start every worker, import qiskit, load the devices' noise.
        backends = sorted({b for run in runs for b in run.backends})
        warm = _workload("warm", backends, max(len(backends) * 2, 4))
        await _pipeline(client, warm)
        for index in range(repeat):
            for run in runs if index % 2 == 0 else runs[::-1]:
                work = _workload(run.workload, run.backends, jobs)
                cpu_before = service.cpu_seconds()
                started = time.perf_counter()
                counts = await _pipeline(client, work)
                elapsed = time.perf_counter() - started
                cpu_after = service.cpu_seconds()
                run.rates.append(jobs / elapsed)
                if cpu_before is not None and cpu_after is not None:
                    run.cpu_per_job.append((cpu_after - cpu_before) / jobs)
                run.wrong += sum(
                    not _plausible(c, 2, noisy=backend != SIMULATOR)
                    for c, (backend, _) in zip(counts, work, strict=True)
                )


def measure_throughput(workers: int | None, cores: int, jobs: int, repeat: int) -> list[Throughput]:
    """Both workloads against one service with ``workers`` workers (default when ``None``)."""
    count = default_workers() if workers is None else workers
    spread = [SIMULATOR, *SPREAD_DEVICES][: max(cores, 2)]
    runs = [
        Throughput(count, workers is None, "simulator", [SIMULATOR]),
        Throughput(count, workers is None, "spread", spread),
    ]
    with service_with_workers(workers) as service:
        asyncio.run(_measure_throughput(service, runs, jobs, repeat))
    return runs


@dataclass
class SmallJob:
    """One device's small-job times."""

    device: str
    qubits: int
    first: float = 0.0
    first_worker: float = 0.0
    warm: list[float] = field(default_factory=list)
    warm_worker: list[float] = field(default_factory=list)
    wrong: int = 0


async def _measure_small(service: Service, warm_jobs: int) -> list[SmallJob]:
    async with RawClient(service) as client:
        listing = await client.client.get(f"{client.hgp}/devices/v/1")
        listing.raise_for_status()
        wanted = {WARM_UP_DEVICE, *SMALL_DEVICES}
        configurations = {c["backend_name"]: c for c in listing.json()}
        wires = device_ghz_qobjs({n: c for n, c in configurations.items() if n in wanted})
        sizes = {n: int(c["n_qubits"]) for n, c in configurations.items()}
        await client.run(WARM_UP_DEVICE, wires[WARM_UP_DEVICE])
        results = []
        for device in SMALL_DEVICES:
            entry = SmallJob(device, sizes.get(device, 0))
            for index in range(1 + warm_jobs):
                started = time.perf_counter()
                result = await client.run(device, wires[device])
                elapsed = time.perf_counter() - started
                worker = float(result.get("time_taken", 0.0))
                if index == 0:
                    entry.first, entry.first_worker = elapsed, worker
                else:
                    entry.warm.append(elapsed)
                    entry.warm_worker.append(worker)
                entry.wrong += not _plausible(bitstrings(result), 3, noisy=True)
            results.append(entry)
        return results


def measure_small_jobs(warm_jobs: int) -> list[SmallJob]:
    """The small-job times, on a service with one worker (so every job meets the same one)."""
    with service_with_workers(1) as service:
        return asyncio.run(_measure_small(service, warm_jobs))


# -- report ----------------------------------------------------------------------------------


@dataclass
class Report:
    """Everything one run measured."""

    jobs: int
    repeat: int
    cores: int
    throughput: list[Throughput]
    small: list[SmallJob]
    when: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    def _base_rate(self, workload: str) -> float | None:
        return next(
            (
                t.rate
                for t in self.throughput
                if t.workload == workload and t.workers == 1 and not t.default
            ),
            None,
        )

    def table(self) -> str:
        """The printed table."""
        lines = [
            f"Service benchmark: {self.jobs} Bell jobs per run, median of {self.repeat}; "
            f"{self.cores} cores; {platform.python_implementation()} "
            f"{platform.python_version()} on {platform.machine()}",
            "",
            f"{'workers':<12}{'workload':<11}{'backends':>9}{'jobs/s':>9}"
            f"{'x 1 worker':>12}{'CPU ms/job':>12}{'wrong':>7}",
        ]
        for t in self.throughput:
            base = self._base_rate(t.workload)
            ratio = f"{t.rate / base:.2f}" if base else "-"
            label = f"{t.workers}{' default' if t.default else ''}"
            cpu = f"{t.cpu * 1000:.1f}" if t.cpu is not None else "-"
            lines.append(
                f"{label:<12}{t.workload:<11}{len(t.backends):>9}{t.rate:>9.1f}"
                f"{ratio:>12}{cpu:>12}{t.wrong:>7}"
            )
        lines += [
            "",
            "3-qubit GHZ, one job end to end (worker's own time in brackets), seconds:",
            f"{'device':<16}{'qubits':>7}{'first':>16}{'x 5q':>7}{'warm':>16}{'x 5q':>7}"
            f"{'wrong':>7}",
        ]
        reference = self.small[0] if self.small else None
        for s in self.small:
            warm = statistics.median(s.warm) if s.warm else float("nan")
            warm_worker = statistics.median(s.warm_worker) if s.warm_worker else float("nan")
            assert reference is not None
            ref_warm = statistics.median(reference.warm) if reference.warm else float("nan")
            lines.append(
                f"{s.device:<16}{s.qubits:>7}"
                f"{f'{s.first:.3f} ({s.first_worker:.3f})':>16}{s.first / reference.first:>7.2f}"
                f"{f'{warm:.3f} ({warm_worker:.3f})':>16}{warm / ref_warm:>7.2f}"
                f"{s.wrong:>7}"
            )
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """The JSON document ``--json`` writes."""
        return {
            "benchmark": "service",
            "when": self.when,
            "machine": {
                "cores": self.cores,
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "jobs": self.jobs,
            "repeat": self.repeat,
            "throughput": [
                {
                    "workers": t.workers,
                    "default": t.default,
                    "workload": t.workload,
                    "backends": t.backends,
                    "jobs_per_second": t.rates,
                    "median_jobs_per_second": t.rate,
                    "ratio_to_1_worker": (
                        t.rate / base if (base := self._base_rate(t.workload)) else None
                    ),
                    "service_cpu_seconds_per_job": t.cpu,
                    "wrong_counts": t.wrong,
                }
                for t in self.throughput
            ],
            "small_job": [
                {
                    "device": s.device,
                    "qubits": s.qubits,
                    "first_seconds": s.first,
                    "first_worker_seconds": s.first_worker,
                    "warm_seconds": s.warm,
                    "warm_worker_seconds": s.warm_worker,
                    "first_ratio_to_reference": s.first / self.small[0].first,
                    "warm_ratio_to_reference": (
                        statistics.median(s.warm) / statistics.median(self.small[0].warm)
                        if s.warm and self.small[0].warm
                        else None
                    ),
                    "wrong_counts": s.wrong,
                }
                for s in self.small
            ],
        }


def run_service_bench(
    jobs: int,
    repeat: int,
    *,
    cores: int | None = None,
    warm_jobs: int = WARM_JOBS,
    scaling: bool = True,
) -> Report:
    """Measure everything; ``scaling=False`` measures only the default worker count."""
    cores = cores or os.cpu_count() or 1
    throughput = measure_throughput(None, cores, jobs, repeat)
    if scaling:
        for workers in range(1, cores + 1):
            throughput += measure_throughput(workers, cores, jobs, repeat)
    small = measure_small_jobs(warm_jobs)
    return Report(jobs, repeat, cores, throughput, small)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.service", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few jobs, one repeat")
    parser.add_argument("--jobs", type=int, help=f"jobs per run (default {DEFAULT_JOBS})")
    parser.add_argument("--repeat", type=int, help=f"runs per setting (default {DEFAULT_REPEAT})")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark, print the table, write the JSON; 1 if any counts were wrong."""
    args = _parser().parse_args(argv)
    jobs = args.jobs or (QUICK_JOBS if args.quick else DEFAULT_JOBS)
    repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)
    report = run_service_bench(jobs, repeat, warm_jobs=2 if args.quick else WARM_JOBS)
    print(report.table())
    if args.json:
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    wrong = sum(t.wrong for t in report.throughput) + sum(s.wrong for s in report.small)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
