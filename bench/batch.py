"""Batch benchmark: N single-circuit jobs submitted and collected, side by side.

One run starts one local service (fresh data directory, job limit 5 by default) and measures,
against that same service, the time to submit N Bell/GHZ jobs and collect all their results:

- ``raw``: the floor, a minimal hand-written asyncio + httpx client doing only the protocol's
  job sequence (create, upload, uploaded, poll status, result URL, download) under an
  ``asyncio.Semaphore`` of the job limit, uploading the very Qobj our SDK builds;
- ``async``: ibmq_async, ``asyncio.gather`` over N ``backend.run()``, then over the results;
- ``async-each``: ibmq_async, ``asyncio.gather`` over N tasks that each run and wait for one job;
- ``async-manager``: ibmq_async's ``AsyncIBMQJobManager`` (one experiment per job);
- ``sync-manager``: ibmq_sync's blocking ``IBMQJobManager`` (one experiment per job);
- ``legacy-manager``: qiskit-ibmq-provider 0.20.2's ``IBMQJobManager`` in its own environment
  (skipped, with a note, when no such environment is found);
- ``legacy-loop``: the same client's plain loop, ``backend.run(circuit).result()`` one job after
  the other (it raises at the job limit instead of waiting, so it cannot submit all first).

Login is outside the timed part. Contenders run in alternating order (forward, then backward)
``--repeat`` times; the table shows each one's median, jobs per second, HTTP requests per job
(status websocket traffic not included) and the ratio of its median to the floor's. Every
job's counts are checked. No absolute time is asserted anywhere.

    python -m bench.batch [--jobs N | --quick] [--repeat R] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from qiskit import QuantumCircuit, qasm2

from ibmq_async._core.defaults import CONNECTION_POOL

from ._circuits import bell, ghz
from ._service import Service, legacy_python, local_service, run_legacy

DEFAULT_JOBS = 200
QUICK_JOBS = 20
DEFAULT_JOB_LIMIT = 5
DEFAULT_SHOTS = 1024
DEFAULT_BACKEND = "ibmq_qasm_simulator"
RAW_POLL = 0.1
"""Seconds between two status polls of the floor (the SDK's first poll interval)."""
LEGACY_TIMEOUT = 900.0
REQUEST_TIMEOUT = httpx.Timeout(60.0)

Counts = dict[str, int]


# -- the work ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """N one-circuit jobs, alternately Bell and GHZ, on one backend."""

    jobs: int
    shots: int = DEFAULT_SHOTS
    backend: str = DEFAULT_BACKEND
    circuits: list[QuantumCircuit] = field(init=False)

    def __post_init__(self) -> None:
        circuits = [bell(f"bell-{i}") if i % 2 == 0 else ghz(f"ghz-{i}") for i in range(self.jobs)]
        object.__setattr__(self, "circuits", circuits)

    def expected(self, index: int) -> set[str]:
        """The outcomes job ``index`` may have."""
        width = self.circuits[index].num_clbits
        return {"0" * width, "1" * width}

    def wrong(self, counts: Sequence[Counts]) -> list[int]:
        """The indexes of the jobs whose counts are missing or not what the circuit gives."""
        if len(counts) != self.jobs:
            return list(range(self.jobs))
        return [
            i
            for i, found in enumerate(counts)
            if not found or set(found) - self.expected(i) or sum(found.values()) != self.shots
        ]


@dataclass
class Sample:
    """One contender's run: its time, requests and the counts it got back."""

    seconds: float
    counts: list[Counts]
    requests: int | None = None
    client_cpu: float | None = None
    """CPU seconds of the client's process in the timed part."""
    service_cpu: float | None = None
    """CPU seconds of the service's process tree (its simulator workers included)."""


class Stopwatch:
    """Wall time, the client's CPU time and the service's CPU time from :meth:`start`."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self._wall = self._cpu = 0.0
        self._service_cpu: float | None = None

    def start(self) -> None:
        self._service_cpu = self._service.cpu_seconds()
        self._cpu = time.process_time()
        self._wall = time.perf_counter()

    def sample(self, counts: list[Counts], requests: int | None) -> Sample:
        wall = time.perf_counter() - self._wall
        cpu = time.process_time() - self._cpu
        now = self._service.cpu_seconds()
        before = self._service_cpu
        service_cpu = now - before if now is not None and before is not None else None
        return Sample(wall, counts, requests, cpu, service_cpu)


# -- counting requests -------------------------------------------------------------------------


class RequestCounter:
    """Counts HTTP requests; thread-safe (the blocking manager submits from threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self) -> None:
        with self._lock:
            self.value += 1

    def reset(self) -> None:
        with self._lock:
            self.value = 0


class CountingAsyncTransport(httpx.AsyncHTTPTransport):
    """The default async transport, counting each request it sends.

    A transport given to httpx brings its own connection pool, so it gets the SDK's pool
    limits: with httpx's defaults (20 idle connections kept) a burst of result downloads
    would open a new connection per request.
    """

    def __init__(self, counter: RequestCounter) -> None:
        super().__init__(limits=CONNECTION_POOL)
        self._counter = counter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._counter.add()
        return await super().handle_async_request(request)


class CountingTransport(httpx.HTTPTransport):
    """The default blocking transport, counting each request it sends (with the SDK's pool
    limits, as :class:`CountingAsyncTransport`)."""

    def __init__(self, counter: RequestCounter) -> None:
        super().__init__(limits=CONNECTION_POOL)
        self._counter = counter

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._counter.add()
        return super().handle_request(request)


# -- a: the raw httpx floor --------------------------------------------------------------------


async def prepare_wires(service: Service, work: Workload) -> list[dict[str, Any]]:
    """The Qobj our SDK uploads for each job, so the floor sends identical payloads."""
    from ibmq_async import AsyncIBMQFactory

    factory = AsyncIBMQFactory()
    provider = await factory.enable_account(service.token, url=service.auth_url)
    assert provider is not None
    try:
        backend = provider.get_backend(work.backend)
        return [backend._prepare([c], shots=work.shots)[1] for c in work.circuits]
    finally:
        await factory.disable_account()


def bitstrings(result: dict[str, Any]) -> Counts:
    """The counts of a Result document's first experiment, hex keys made bit strings."""
    experiment = result["results"][0]
    width = experiment["header"]["memory_slots"]
    return {
        format(int(key, 16), f"0{width}b"): value
        for key, value in experiment["data"]["counts"].items()
    }


async def _raw_login(client: httpx.AsyncClient, service: Service) -> str:
    """Log in (protocol.md 1.3) and return the default project's ``{hgp}`` URL."""
    auth = service.auth_url.rstrip("/")
    login = await client.post(f"{auth}/users/loginWithToken", json={"apiToken": service.token})
    login.raise_for_status()
    client.headers["X-Access-Token"] = login.json()["id"]
    me = await client.get(f"{auth}/users/me")
    me.raise_for_status()
    http = me.json()["urls"]["http"].rstrip("/")
    network = await client.get(f"{http}/Network")
    network.raise_for_status()
    projects = [
        (hub["name"], group, project, info.get("isDefault", False))
        for hub in network.json()
        for group, group_info in hub["groups"].items()
        for project, info in group_info["projects"].items()
    ]
    hub, group, project, _ = max(projects, key=lambda p: p[3])
    return f"{http}/Network/{hub}/Groups/{group}/Projects/{project}"


async def _raw_job(
    client: httpx.AsyncClient,
    hgp: str,
    backend: str,
    wire: dict[str, Any],
    limit: asyncio.Semaphore,
) -> Counts:
    async with limit:  # a slot is held until the job is final
        created = await client.post(
            f"{hgp}/Jobs",
            json={
                "backend": {"name": backend},
                "allowObjectStorage": True,
                "liveDataEnabled": None,
            },
        )
        created.raise_for_status()
        job_id = created.json()["id"]
        upload = created.json()["objectStorageInfo"]["uploadUrl"]
        job = f"{hgp}/Jobs/{job_id}"
        body = json.dumps(wire).encode()
        put = await client.put(upload, content=body, headers={"Content-Type": "application/json"})
        put.raise_for_status()
        uploaded = await client.post(f"{job}/jobDataUploaded")
        uploaded.raise_for_status()
        status = uploaded.json()["job"]["status"]
        while status not in ("COMPLETED", "CANCELLED") and not status.startswith("ERROR"):
            await asyncio.sleep(RAW_POLL)
            reply = await client.get(f"{job}/status/v/1")
            reply.raise_for_status()
            status = reply.json()["status"]
    if status != "COMPLETED":
        raise RuntimeError(f"raw job {job_id} ended {status}")
    where = await client.get(f"{job}/resultDownloadUrl")
    where.raise_for_status()
    result = await client.get(where.json()["url"])
    result.raise_for_status()
    return bitstrings(result.json())


async def raw_httpx(service: Service, work: Workload, wires: list[dict[str, Any]]) -> Sample:
    """Contender a: the fewest protocol calls, concurrently under the job limit."""
    counter = RequestCounter()
    async with httpx.AsyncClient(
        transport=CountingAsyncTransport(counter),
        timeout=REQUEST_TIMEOUT,
        headers={"X-Qx-Client-Application": "ibmq-bench-raw/0"},
    ) as client:
        hgp = await _raw_login(client, service)
        limit = asyncio.Semaphore(service.job_limit)
        clock = Stopwatch(service)
        counter.reset()
        clock.start()
        counts = await asyncio.gather(
            *(_raw_job(client, hgp, work.backend, wire, limit) for wire in wires)
        )
        return clock.sample(list(counts), counter.value)


# -- b, c: ibmq_async --------------------------------------------------------------------------


async def _async_contender(service: Service, work: Workload, how: str) -> Sample:
    from ibmq_async import AsyncIBMQFactory, AsyncIBMQJob, AsyncIBMQJobManager

    counter = RequestCounter()
    factory = AsyncIBMQFactory()
    provider = await factory.enable_account(
        service.token, url=service.auth_url, transport=CountingAsyncTransport(counter)
    )
    assert provider is not None
    try:
        backend = provider.get_backend(work.backend)
        clock = Stopwatch(service)
        counter.reset()
        clock.start()
        if how == "gather":
            jobs = await asyncio.gather(*(backend.run(c, shots=work.shots) for c in work.circuits))
            results = await asyncio.gather(*(job.result() for job in jobs))
            counts = [result.get_counts() for result in results]
        elif how == "each":

            async def one(circuit: QuantumCircuit) -> Counts:
                job: AsyncIBMQJob = await backend.run(circuit, shots=work.shots)
                found: Counts = (await job.result()).get_counts()
                return found

            counts = list(await asyncio.gather(*(one(c) for c in work.circuits)))
        else:
            job_set = await AsyncIBMQJobManager().run(
                work.circuits, backend, max_experiments_per_job=1, shots=work.shots, progress=False
            )
            managed = await job_set.results(progress=False)
            counts = [managed.get_counts(i) for i in range(work.jobs)]
        return clock.sample(counts, counter.value)
    finally:
        await factory.disable_account()


# -- d: ibmq_sync ------------------------------------------------------------------------------


def sync_manager(service: Service, work: Workload) -> Sample:
    """Contender d: the blocking job manager."""
    from ibmq_sync import IBMQFactory, IBMQJobManager

    counter = RequestCounter()
    factory = IBMQFactory()
    provider = factory.enable_account(
        service.token, url=service.auth_url, transport=CountingTransport(counter)
    )
    assert provider is not None
    try:
        backend = provider.get_backend(work.backend)
        clock = Stopwatch(service)
        counter.reset()
        clock.start()
        job_set = IBMQJobManager().run(
            work.circuits, backend, max_experiments_per_job=1, shots=work.shots, progress=False
        )
        managed = job_set.results(progress=False)
        counts = [managed.get_counts(i) for i in range(work.jobs)]
        return clock.sample(counts, counter.value)
    finally:
        factory.disable_account()


# -- e: the legacy client ----------------------------------------------------------------------


def legacy_client(service: Service, work: Workload, python: Path, mode: str) -> Sample:
    """Contenders e, f: qiskit-ibmq-provider 0.20.2 (``manager`` or ``loop``), in its own
    interpreter."""
    script = Path(__file__).with_name("_legacy_batch.py")
    payload = {
        "mode": mode,
        "url": service.auth_url,
        "token": service.token,
        "backend": work.backend,
        "shots": work.shots,
        "circuits": [qasm2.dumps(c) for c in work.circuits],
    }
    reply, service_cpu = run_legacy(service, [str(python), str(script)], payload, LEGACY_TIMEOUT)
    return Sample(reply["seconds"], reply["counts"], None, reply["cpu_seconds"], service_cpu)


# -- running and reporting ---------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    key: str
    label: str


CONTENDERS = (
    Contender("raw", "raw httpx floor (semaphore)"),
    Contender("async", "ibmq_async gather(run), gather(result)"),
    Contender("async-each", "ibmq_async gather(run + result)"),
    Contender("async-manager", "ibmq_async AsyncIBMQJobManager"),
    Contender("sync-manager", "ibmq_sync IBMQJobManager"),
    Contender("legacy-manager", "qiskit-ibmq-provider 0.20.2 IBMQJobManager"),
    Contender("legacy-loop", "qiskit-ibmq-provider 0.20.2 loop of run().result()"),
)
LEGACY = ("legacy-manager", "legacy-loop")
KEYS = tuple(c.key for c in CONTENDERS)
FLOOR = "raw"


@dataclass
class Outcome:
    """Everything measured of one contender in one run."""

    key: str
    label: str
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    wrong_jobs: int = 0
    ratio: float | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.samples else None

    @property
    def completed(self) -> int:
        """Jobs with correct counts in its worst sample (0 when it has no sample)."""
        return min((len(s.counts) for s in self.samples), default=0) - self.wrong_jobs

    def jobs_per_second(self, jobs: int) -> float | None:
        median = self.median
        return jobs / median if median else None

    def requests_per_job(self, jobs: int) -> float | None:
        counted = [s.requests for s in self.samples if s.requests is not None]
        return statistics.median(counted) / jobs if counted and jobs else None

    def cpu_ms_per_job(self, jobs: int, side: str) -> float | None:
        """Median CPU milliseconds per job of the ``client`` or the ``service``."""
        found = [
            value
            for s in self.samples
            if (value := s.client_cpu if side == "client" else s.service_cpu) is not None
        ]
        return statistics.median(found) * 1000 / jobs if found and jobs else None


@dataclass
class Report:
    """One run of the benchmark."""

    work: Workload
    job_limit: int
    repeat: int
    outcomes: dict[str, Outcome]
    started: str
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        jobs = self.work.jobs
        return {
            "benchmark": "batch",
            "date": self.started,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "jobs": jobs,
            "shots": self.work.shots,
            "backend": self.work.backend,
            "job_limit": self.job_limit,
            "repeat": self.repeat,
            "notes": self.notes,
            "contenders": {
                key: {
                    "label": o.label,
                    "seconds": [s.seconds for s in o.samples],
                    "median_seconds": o.median,
                    "jobs_per_second": o.jobs_per_second(jobs),
                    "requests": [s.requests for s in o.samples],
                    "requests_per_job": o.requests_per_job(jobs),
                    "client_cpu_seconds": [s.client_cpu for s in o.samples],
                    "service_cpu_seconds": [s.service_cpu for s in o.samples],
                    "client_cpu_ms_per_job": o.cpu_ms_per_job(jobs, "client"),
                    "service_cpu_ms_per_job": o.cpu_ms_per_job(jobs, "service"),
                    "ratio_to_floor": o.ratio,
                    "completed": o.completed,
                    "errors": o.errors,
                    "skipped": o.skipped,
                }
                for key, o in self.outcomes.items()
            },
        }

    def table(self) -> str:
        jobs = self.work.jobs
        rows = [
            (
                "contender",
                "median s",
                "jobs/s",
                "req/job",
                "client ms/job",
                "service ms/job",
                "x floor",
                "ok jobs",
                "runs (s)",
            )
        ]
        for o in self.outcomes.values():
            if o.skipped is not None:
                rows.append((o.label, "skipped", "", "", "", "", "", "", ""))
                continue
            rows.append(
                (
                    o.label,
                    _num(o.median, 2),
                    _num(o.jobs_per_second(jobs), 1),
                    _num(o.requests_per_job(jobs), 1),
                    _num(o.cpu_ms_per_job(jobs, "client"), 1),
                    _num(o.cpu_ms_per_job(jobs, "service"), 1),
                    _num(o.ratio, 2),
                    f"{o.completed}/{jobs}" if not o.errors else "error",
                    " ".join(f"{s.seconds:.2f}" for s in o.samples),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            f"batch: {jobs} jobs x {self.work.shots} shots on {self.work.backend}, "
            f"job limit {self.job_limit}, {self.repeat} alternating repeat(s), {self.started}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        ]
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.extend(f"note: {note}" for note in self.notes)
        for o in self.outcomes.values():
            if o.skipped:
                lines.append(f"note: {o.label} skipped: {o.skipped}")
            lines.extend(f"error: {o.label}: {e}" for e in o.errors)
        return "\n".join(lines)


def _describe(exc: BaseException) -> str:
    """The exception, and for a group the first exception it holds (the one worth reading)."""
    text = f"{type(exc).__name__}: {exc}"
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
        text += f" (first: {type(exc).__name__}: {exc})"
    return text


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def run_batch(
    service: Service,
    jobs: int,
    *,
    repeat: int = 1,
    contenders: Sequence[str] = KEYS,
    shots: int = DEFAULT_SHOTS,
    backend: str = DEFAULT_BACKEND,
    legacy: Path | None = None,
    warm_up: bool = True,
    log: Callable[[str], None] = lambda _: None,
) -> Report:
    """Measure ``contenders`` against ``service``; in-process, except the legacy client.

    Args:
        legacy: the interpreter of an environment with qiskit-ibmq-provider 0.20.2; without
            one, the legacy contender is skipped.
        warm_up: run one job limit's worth of jobs through the floor first (untimed), so no
            contender pays for the service's cold start.
    """
    unknown = sorted(set(contenders) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown contenders {unknown}; known: {', '.join(KEYS)}")
    work = Workload(jobs, shots, backend)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    chosen = [c for c in CONTENDERS if c.key in contenders]
    outcomes = {c.key: Outcome(c.key, c.label) for c in chosen}
    report = Report(work, service.job_limit, repeat, outcomes, started)
    for key in LEGACY:
        if key in outcomes and legacy is None:
            outcomes[key].skipped = (
                "no environment with qiskit-ibmq-provider 0.20.2 found (run `nox -s compat` "
                "once to build .nox/compat/tmp/legacy-venv, or pass --legacy-python)"
            )
    wires: list[dict[str, Any]] = []
    if FLOOR in outcomes or warm_up:
        wires = asyncio.run(prepare_wires(service, work))
    if warm_up:
        warm = Workload(min(jobs, service.job_limit), shots, backend)
        asyncio.run(raw_httpx(service, warm, wires[: warm.jobs]))
    runners: dict[str, Callable[[], Sample]] = {
        "raw": lambda: asyncio.run(raw_httpx(service, work, wires)),
        "async": lambda: asyncio.run(_async_contender(service, work, "gather")),
        "async-each": lambda: asyncio.run(_async_contender(service, work, "each")),
        "async-manager": lambda: asyncio.run(_async_contender(service, work, "manager")),
        "sync-manager": lambda: sync_manager(service, work),
    }
    if legacy is not None:
        runners["legacy-manager"] = lambda: legacy_client(service, work, legacy, "manager")
        runners["legacy-loop"] = lambda: legacy_client(service, work, legacy, "loop")
    active = [c.key for c in chosen if outcomes[c.key].skipped is None]
    for round_ in range(repeat):
        # Forward, then backward: drift in the machine's load hits every contender alike.
        order = active if round_ % 2 == 0 else active[::-1]
        for key in order:
            outcome = outcomes[key]
            log(f"[{round_ + 1}/{repeat}] {outcome.label} ...")
            try:
                sample = runners[key]()
            except Exception as exc:
                outcome.errors.append(_describe(exc))
                log(f"  failed: {_describe(exc)}")
                continue
            wrong = work.wrong(sample.counts)
            if wrong:
                outcome.errors.append(f"wrong or missing counts for jobs {wrong[:10]}")
                outcome.wrong_jobs = max(outcome.wrong_jobs, len(wrong))
            outcome.samples.append(sample)
            log(f"  {sample.seconds:.2f} s")
    floor = outcomes.get(FLOOR)
    floor_median = floor.median if floor is not None else None
    for outcome in outcomes.values():
        median = outcome.median
        if floor_median and median is not None:
            outcome.ratio = median / floor_median
    if floor_median is None:
        report.notes.append("the floor (raw) was not measured: no ratios")
    report.notes.append(
        "req/job counts HTTP requests in the timed part (ibmq_async/ibmq_sync also open one "
        "status websocket per job; the floor polls every "
        f"{RAW_POLL:g} s); not counted for the legacy client. client/service ms/job: CPU "
        "time of the client's process and of the service's process tree (simulator workers "
        "included) in the timed part, per job"
    )
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.batch",
        description="Submit N one-circuit jobs and collect their results, per contender, "
        "side by side against one local service.",
    )
    parser.add_argument("--jobs", "-n", type=int, default=None, help=f"default {DEFAULT_JOBS}")
    parser.add_argument(
        "--quick", action="store_true", help=f"CI smoke: {QUICK_JOBS} jobs, one repeat"
    )
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 2; quick 1)")
    parser.add_argument("--shots", type=int, default=DEFAULT_SHOTS)
    parser.add_argument("--backend", default=DEFAULT_BACKEND)
    parser.add_argument(
        "--job-limit", type=int, default=DEFAULT_JOB_LIMIT, help="the service's job limit"
    )
    parser.add_argument(
        "--only",
        default=",".join(KEYS),
        help=f"comma-separated contenders (default all: {','.join(KEYS)})",
    )
    parser.add_argument("--legacy-python", default=None, help="interpreter with the legacy client")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    jobs = args.jobs if args.jobs is not None else QUICK_JOBS if args.quick else DEFAULT_JOBS
    repeat = args.repeat if args.repeat is not None else 1 if args.quick else 2
    contenders = [key.strip() for key in args.only.split(",") if key.strip()]
    if jobs < 1 or repeat < 1 or args.job_limit < 1:
        print("--jobs, --repeat and --job-limit must be positive", file=sys.stderr)
        return 2
    wants_legacy = any(key in contenders for key in LEGACY)
    legacy = legacy_python(args.legacy_python) if wants_legacy else None

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with local_service(args.job_limit) as service:
        log(f"service at {service.auth_url}")
        report = run_batch(
            service,
            jobs,
            repeat=repeat,
            contenders=contenders,
            shots=args.shots,
            backend=args.backend,
            legacy=legacy,
            log=log,
        )
    print(report.table())
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
