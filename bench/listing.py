"""Listing benchmark: walk every job of a backend, side by side, and what the store's size costs.

Jobs are seeded straight into the job store of a fresh data directory (finished jobs, one
millisecond apart, built as the service builds its own: ``ibmq_local._seeding``) before the
service (``ibmq-local serve``, a process of its own) starts. Two stores are walked: a large one of
N jobs and a small one of N/10. On the large store, contenders list all N jobs of the backend:

- ``raw``: the floor, a hand-written httpx client paging ``GET {hgp}/Jobs/status/v/1`` with the
  protocol's keyset filter (``creationDate`` bound plus ``id nin``), 100 jobs a page;
- ``async-iter``: ibmq_async, ``async for job in backend.iter_jobs()``;
- ``async-list``: ibmq_async, ``await backend.jobs(limit=None)``;
- ``sync-iter``: ibmq_sync, ``for job in backend.iter_jobs()``;
- ``sync-list``: ibmq_sync, ``backend.jobs(limit=None)``;
- ``legacy``: qiskit-ibmq-provider 0.20.2's ``backend.jobs(limit=None)`` in its own interpreter
  (skipped, with a note, when no such environment is found).

On the small store only ``raw`` and ``async-iter`` run: the service's time per page (and its CPU
per page) and the client's peak memory are compared across the two sizes.

Timed rounds run in alternating order (forward, then backward) ``--repeat`` times; then one
untimed round per contender measures the peak of memory allocated during the walk with
``tracemalloc`` (which slows Python down, hence apart). The table shows medians, the ratio to
the floor, and the large-store over small-store ratios. No absolute time is asserted anywhere.

    python -m bench.listing [--jobs N | --quick] [--repeat R] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ._service import Service, legacy_python, local_service, run_legacy

DEFAULT_JOBS = 10_000
QUICK_JOBS = 300
PAGE = 100
BACKEND = "ibmq_qasm_simulator"
LEGACY_TIMEOUT = 1800.0
START = datetime(2024, 1, 1, tzinfo=UTC)


# -- the store ---------------------------------------------------------------------------------


def seeder(jobs: int) -> Callable[[Path], object]:
    """A ``seed`` hook for :func:`bench._service.local_service`: ``jobs`` finished jobs on
    :data:`BACKEND`, a millisecond apart, written straight into the data directory's store."""

    def seed(data_dir: Path) -> int:
        from ibmq_local._seeding import completed_job, default_owner, seed_data_dir

        owner = default_owner(data_dir)
        records = (
            completed_job(
                owner, BACKEND, START + timedelta(milliseconds=i), job_id=f"{0x300000 + i:024x}"
            )
            for i in range(jobs)
        )
        return seed_data_dir(data_dir, records)

    return seed


# -- the contenders ----------------------------------------------------------------------------


@dataclass
class Sample:
    """One walk."""

    seconds: float
    jobs: int
    pages: int | None = None
    service_cpu: float | None = None
    peak_bytes: int | None = None


class Meter:
    """Measures one walk from its creation: wall time and the service's CPU time, or with
    ``trace`` the peak of memory this process allocates meanwhile (``tracemalloc``)."""

    def __init__(self, service: Service, trace: bool) -> None:
        self._service = service
        self._trace = trace
        # Every walk starts with the collector's debts paid: a full collection owed to what
        # came before (the login, the backends' configurations) must not land on one
        # contender's clock; the collections a walk's own objects set off still count.
        gc.collect()
        if trace:
            gc.freeze()  # the long-lived heap (qiskit's, mostly) costs the collector little
            tracemalloc.start()
        self._cpu = service.cpu_seconds()
        self._started = time.perf_counter()

    def sample(self, jobs: int, pages: int | None = None) -> Sample:
        """The walk's sample, now that it walked ``jobs`` jobs."""
        seconds = time.perf_counter() - self._started
        after = self._service.cpu_seconds()
        cpu = after - self._cpu if after is not None and self._cpu is not None else None
        peak = None
        if self._trace:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            gc.unfreeze()
        return Sample(seconds, jobs, pages, cpu, peak)


async def raw_walk(service: Service, trace: bool = False, keep: bool = False) -> Sample:
    """The floor: log in, then page through the backend's jobs with keyset filters. Only the
    paging is timed (and with ``trace``, traced). With ``keep``, every document is kept in a
    list to the end, as ``jobs(limit=None)`` keeps every job: the floor of a whole listing
    (holding 10,000 objects costs the garbage collector, whoever holds them)."""
    async with httpx.AsyncClient(timeout=60.0) as client:
        login = await client.post(
            service.auth_url.rstrip("/") + "/users/loginWithToken",
            json={"apiToken": service.token},
        )
        login.raise_for_status()
        token = login.json()["id"]
        headers = {"X-Access-Token": token}
        user = await client.get(service.auth_url.rstrip("/") + "/users/me", headers=headers)
        user.raise_for_status()
        api = user.json()["urls"]["http"].rstrip("/")
        hubs = await client.get(f"{api}/Network", headers=headers)
        hubs.raise_for_status()
        hub = hubs.json()[0]
        group = next(iter(hub["groups"].values()))
        project = next(iter(group["projects"].values()))
        url = (
            f"{api}/Network/{hub['name']}/Groups/{group['name']}/Projects/{project['name']}"
            "/Jobs/status/v/1"
        )
        meter = Meter(service, trace)
        where: dict[str, Any] = {"backend.name": BACKEND}
        seen = pages = 0
        kept: list[dict[str, Any]] = []
        while True:
            page_filter = {"order": "creationDate DESC", "limit": PAGE, "where": where}
            reply = await client.get(
                url, params={"filter": json.dumps(page_filter)}, headers=headers
            )
            reply.raise_for_status()
            documents = reply.json()
            pages += 1
            if not documents:
                break
            seen += len(documents)
            if keep:
                kept.extend(documents)
            last = documents[-1]["creationDate"]
            at_last = [d["id"] for d in documents if d["creationDate"] == last]
            if where.get("creationDate") == {"lte": last}:
                at_last = [*where["id"]["nin"], *at_last]
            where = {"backend.name": BACKEND, "creationDate": {"lte": last}, "id": {"nin": at_last}}
        return meter.sample(seen, pages)


async def async_walk(service: Service, how: str, trace: bool = False) -> Sample:
    """ibmq_async: ``iter_jobs`` (``how="iter"``) or ``jobs(limit=None)`` (``"list"``)."""
    from ibmq_async import AsyncIBMQFactory

    factory = AsyncIBMQFactory()
    provider = await factory.enable_account(service.token, url=service.auth_url)
    assert provider is not None
    try:
        backend = provider.get_backend(BACKEND)
        async for _ in backend.iter_jobs(limit=1):  # the connection and lazy state, untimed
            pass
        meter = Meter(service, trace)
        if how == "iter":
            seen = 0
            async for _ in backend.iter_jobs():
                seen += 1
        else:
            seen = len(await backend.jobs(limit=None))
        sample = meter.sample(seen)
    finally:
        await factory.disable_account()
    return sample


def sync_walk(service: Service, how: str, trace: bool = False) -> Sample:
    """ibmq_sync: ``iter_jobs`` (``how="iter"``) or ``jobs(limit=None)`` (``"list"``)."""
    from ibmq_sync import IBMQFactory

    factory = IBMQFactory()
    provider = factory.enable_account(service.token, url=service.auth_url)
    assert provider is not None
    try:
        backend = provider.get_backend(BACKEND)
        for _ in backend.iter_jobs(limit=1):
            pass
        meter = Meter(service, trace)
        if how == "iter":
            seen = sum(1 for _ in backend.iter_jobs())
        else:
            seen = len(backend.jobs(limit=None))
        sample = meter.sample(seen)
    finally:
        factory.disable_account()
    return sample


LEGACY_CHILD = """
import gc, json, logging, sys, time, tracemalloc, warnings
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)
work = json.loads(sys.stdin.readline())
from qiskit.providers.ibmq import IBMQ
provider = IBMQ.enable_account(work["token"], url=work["url"])
backend = provider.get_backend(work["backend"])
backend.jobs(limit=1)
print("ready", flush=True)
sys.stdin.readline()
gc.collect()
started = time.perf_counter()
seen = len(backend.jobs(limit=None))
seconds = time.perf_counter() - started
peak = None
if work["trace"]:
    gc.collect()
    tracemalloc.start()
    backend.jobs(limit=None)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
IBMQ.disable_account()
print(json.dumps({"seconds": seconds, "jobs": seen, "peak": peak}), flush=True)
"""
"""The legacy contender's program: logs in, says ``ready``, walks on ``go``."""


def legacy_walk(service: Service, python: Path, trace: bool) -> Sample:
    """qiskit-ibmq-provider 0.20.2's ``backend.jobs(limit=None)``, in its own interpreter;
    ``trace`` also measures its peak memory in a second, untimed walk."""
    payload = {"url": service.auth_url, "token": service.token, "backend": BACKEND, "trace": trace}
    reply, cpu = run_legacy(service, [str(python), "-c", LEGACY_CHILD], payload, LEGACY_TIMEOUT)
    # Its service CPU includes the traced walk when tracing: leave it out then.
    return Sample(reply["seconds"], reply["jobs"], None, None if trace else cpu, reply["peak"])


# -- running and reporting ---------------------------------------------------------------------


@dataclass(frozen=True)
class Contender:
    key: str
    label: str


CONTENDERS = (
    Contender("raw", "raw httpx keyset paging"),
    Contender("raw-keep", "raw httpx keyset paging, keeping every document"),
    Contender("async-iter", "ibmq_async iter_jobs()"),
    Contender("async-list", "ibmq_async jobs(limit=None)"),
    Contender("sync-iter", "ibmq_sync iter_jobs()"),
    Contender("sync-list", "ibmq_sync jobs(limit=None)"),
    Contender("legacy", "qiskit-ibmq-provider 0.20.2 jobs(limit=None)"),
)
KEYS = tuple(c.key for c in CONTENDERS)
SMALL_STORE = ("raw", "async-iter")
"""The contenders also run on the small store."""
FLOOR = "raw"


@dataclass
class Outcome:
    """Everything measured of one contender on one store."""

    key: str
    label: str
    samples: list[Sample] = field(default_factory=list)
    peak_bytes: int | None = None
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    ratio: float | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.samples else None

    @property
    def jobs(self) -> int | None:
        return self.samples[-1].jobs if self.samples else None

    def per_page(self, cpu: bool = False) -> float | None:
        """Median seconds per page of ``PAGE`` jobs (a short last page counts as one): wall
        time of the walk, or the service's CPU time."""
        values = [
            value / max(1, math.ceil(s.jobs / PAGE))
            for s in self.samples
            if (value := s.service_cpu if cpu else s.seconds) is not None
        ]
        return statistics.median(values) if values else None


@dataclass
class Store:
    """The outcomes on a store of ``jobs`` jobs."""

    jobs: int
    outcomes: dict[str, Outcome]


@dataclass
class Report:
    """One run of the benchmark: the large store and the small one."""

    large: Store
    small: Store
    repeat: int
    started: str
    notes: list[str] = field(default_factory=list)

    def growth(self, key: str, what: str) -> float | None:
        """Large store over small store, for ``key``'s ``page`` time, service ``cpu`` per page
        or ``peak`` memory."""
        a, b = self.large.outcomes.get(key), self.small.outcomes.get(key)
        if a is None or b is None:
            return None
        if what == "peak":
            x, y = a.peak_bytes, b.peak_bytes
            return x / y if x is not None and y else None
        cpu = what == "cpu"
        p, q = a.per_page(cpu), b.per_page(cpu)
        return p / q if p is not None and q else None

    def to_json(self) -> dict[str, Any]:
        def store(s: Store) -> dict[str, Any]:
            return {
                "jobs": s.jobs,
                "contenders": {
                    key: {
                        "label": o.label,
                        "seconds": [x.seconds for x in o.samples],
                        "median_seconds": o.median,
                        "jobs_walked": o.jobs,
                        "ms_per_page": _scaled(o.per_page(), 1000),
                        "service_cpu_ms_per_page": _scaled(o.per_page(cpu=True), 1000),
                        "peak_bytes": o.peak_bytes,
                        "ratio_to_floor": o.ratio,
                        "errors": o.errors,
                        "skipped": o.skipped,
                    }
                    for key, o in s.outcomes.items()
                },
            }

        return {
            "benchmark": "listing",
            "date": self.started,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "page_size": PAGE,
            "repeat": self.repeat,
            "notes": self.notes,
            "large": store(self.large),
            "small": store(self.small),
            "growth_large_over_small": {
                key: {what: self.growth(key, what) for what in ("page", "cpu", "peak")}
                for key in SMALL_STORE
            },
        }

    def table(self) -> str:
        rows = [
            (
                "contender",
                "jobs",
                "median s",
                "ms/page",
                "svc cpu ms/page",
                "peak MiB",
                "x floor",
                "runs (s)",
            )
        ]
        for s in (self.large, self.small):
            for o in s.outcomes.values():
                label = f"{o.label} [{s.jobs} stored]"
                if o.skipped is not None:
                    rows.append((label, "skipped", "", "", "", "", "", ""))
                    continue
                rows.append(
                    (
                        label,
                        "-" if o.jobs is None else str(o.jobs),
                        _num(o.median, 2),
                        _num(_scaled(o.per_page(), 1000), 2),
                        _num(_scaled(o.per_page(cpu=True), 1000), 2),
                        _num(_scaled(o.peak_bytes, 1 / 2**20), 2),
                        _num(o.ratio, 2),
                        " ".join(f"{x.seconds:.2f}" for x in o.samples) or "error",
                    )
                )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            f"listing: {self.large.jobs} and {self.small.jobs} jobs stored on {BACKEND}, "
            f"pages of {PAGE}, {self.repeat} alternating repeat(s), {self.started}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        ]
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append("")
        lines.append(f"large store ({self.large.jobs}) over small store ({self.small.jobs}):")
        for key in SMALL_STORE:
            label = self.large.outcomes[key].label if key in self.large.outcomes else key
            lines.append(
                f"  {label}: time/page {_num(self.growth(key, 'page'), 2)}, "
                f"service cpu/page {_num(self.growth(key, 'cpu'), 2)}, "
                f"peak memory {_num(self.growth(key, 'peak'), 2)}"
            )
        for s in (self.large, self.small):
            for o in s.outcomes.values():
                if o.skipped:
                    lines.append(f"note: {o.label} skipped: {o.skipped}")
                lines.extend(f"error: {o.label} [{s.jobs}]: {e}" for e in o.errors)
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def measure_store(
    service: Service,
    jobs: int,
    keys: Sequence[str],
    *,
    repeat: int,
    legacy: Path | None,
    log: Callable[[str], None],
) -> Store:
    """Every contender of ``keys`` against ``service``, which stores ``jobs`` jobs."""
    chosen = [c for c in CONTENDERS if c.key in keys]
    outcomes = {c.key: Outcome(c.key, c.label) for c in chosen}
    if "legacy" in outcomes and legacy is None:
        outcomes["legacy"].skipped = (
            "no environment with qiskit-ibmq-provider 0.20.2 found (run `nox -s compat` once "
            "to build .nox/compat/tmp/legacy-venv, or pass --legacy-python)"
        )
    runners: dict[str, Callable[[bool], Sample]] = {
        "raw": lambda trace: asyncio.run(raw_walk(service, trace)),
        "raw-keep": lambda trace: asyncio.run(raw_walk(service, trace, keep=True)),
        "async-iter": lambda trace: asyncio.run(async_walk(service, "iter", trace)),
        "async-list": lambda trace: asyncio.run(async_walk(service, "list", trace)),
        "sync-iter": lambda trace: sync_walk(service, "iter", trace),
        "sync-list": lambda trace: sync_walk(service, "list", trace),
    }
    if legacy is not None:
        runners["legacy"] = lambda trace: legacy_walk(service, legacy, trace)
    # One untimed walk first, so that no contender pays for the service's cold start.
    asyncio.run(raw_walk(service))
    active = [c.key for c in chosen if outcomes[c.key].skipped is None]
    for round_ in range(repeat):
        order = active if round_ % 2 == 0 else active[::-1]
        for key in order:
            outcome = outcomes[key]
            log(f"[{jobs} stored, {round_ + 1}/{repeat}] {outcome.label} ...")
            try:
                sample = runners[key](False)
            except Exception as exc:
                outcome.errors.append(f"{type(exc).__name__}: {exc}")
                log(f"  failed: {exc}")
                continue
            if sample.jobs != jobs:
                outcome.errors.append(f"walked {sample.jobs} jobs, not {jobs}")
            outcome.samples.append(sample)
            log(f"  {sample.seconds:.2f} s")
    for key in active:
        outcome = outcomes[key]
        if outcome.errors:
            continue
        log(f"[{jobs} stored, traced] {outcome.label} ...")
        try:
            outcome.peak_bytes = runners[key](True).peak_bytes
        except Exception as exc:
            outcome.errors.append(f"traced walk: {type(exc).__name__}: {exc}")
    floor = outcomes.get(FLOOR)
    floor_median = floor.median if floor is not None else None
    for outcome in outcomes.values():
        if floor_median and outcome.median is not None:
            outcome.ratio = outcome.median / floor_median
    return Store(jobs, outcomes)


def run_listing(
    jobs: int,
    *,
    repeat: int = 3,
    contenders: Sequence[str] = KEYS,
    legacy: Path | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Report:
    """Seed a store of ``jobs`` jobs and one of ``jobs // 10`` (at least 1), serve each, and
    measure ``contenders`` on them (see the module docstring)."""
    unknown = sorted(set(contenders) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown contenders {unknown}; known: {', '.join(KEYS)}")
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    stores = []
    for size, keys in ((jobs, contenders), (max(1, jobs // 10), SMALL_STORE)):
        log(f"seeding {size} jobs ...")
        with local_service(seed=seeder(size)) as service:
            log(f"service at {service.auth_url}")
            keep = [k for k in keys if k in contenders]
            stores.append(measure_store(service, size, keep, repeat=repeat, legacy=legacy, log=log))
    report = Report(stores[0], stores[1], repeat, started)
    report.notes.append(
        "ms/page: median wall time of the walk per 100 jobs walked; svc cpu ms/page: the "
        "service's CPU time per 100 jobs walked; peak MiB: the peak of memory allocated during "
        "one walk (tracemalloc, a separate untimed run; the legacy client measured the same "
        "way in its own interpreter); x floor: median time over the raw floor's on the same store"
    )
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.listing",
        description="Walk every job of a backend, per contender, against a seeded store.",
    )
    parser.add_argument("--jobs", "-n", type=int, default=None, help=f"default {DEFAULT_JOBS}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_JOBS} jobs, one repeat")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 3; quick 1)")
    parser.add_argument("--only", default=",".join(KEYS), help="comma-separated contenders")
    parser.add_argument("--legacy-python", default=None, help="interpreter with the legacy client")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    jobs = args.jobs if args.jobs is not None else QUICK_JOBS if args.quick else DEFAULT_JOBS
    repeat = args.repeat if args.repeat is not None else 1 if args.quick else 3
    if jobs < 1 or repeat < 1:
        print("--jobs and --repeat must be positive", file=sys.stderr)
        return 2
    contenders = [key.strip() for key in args.only.split(",") if key.strip()]
    legacy = legacy_python(args.legacy_python) if "legacy" in contenders else None

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = run_listing(jobs, repeat=repeat, contenders=contenders, legacy=legacy, log=log)
    print(report.table())
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
