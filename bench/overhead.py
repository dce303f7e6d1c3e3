"""Call-overhead benchmark: N sequential ``status()`` calls against raw httpx GETs of the same URL.

One run starts one local service whose ``ibmq_qasm_simulator`` does not dispatch (an operator
``status`` of ``internal``), so a job submitted there stays ``QUEUED`` and every
``job.status()`` asks the server: one ``GET {job}/status/v/1``. Against that one job,
contenders make N sequential calls:

- ``raw-async``: the floor, ``await client.get(url)`` plus ``response.json()`` on the very
  ``httpx.AsyncClient`` (connection pool, headers) of ibmq_async's account;
- ``async``: ibmq_async, ``await job.status()``;
- ``raw-sync``: ``client.get(url)`` plus ``response.json()`` on ibmq_sync's ``httpx.Client``;
- ``sync``: ibmq_sync, ``job.status()`` (the same job, retrieved by id).

Login and the first call (connection set-up) are outside the timed part. Contenders run in
alternating order (forward, then backward) ``--repeat`` times; the table shows each one's
median time and client CPU time per call, and the ratios the targets speak of: ibmq_async over
the raw async floor, ibmq_sync over ibmq_async (and over its own raw floor). No absolute time is
asserted anywhere.

    python -m bench.overhead [--calls N | --quick] [--repeat R] [--json PATH]
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ._circuits import bell
from ._service import Service, local_service

DEFAULT_CALLS = 1000
QUICK_CALLS = 100
HELD_BACKEND = "ibmq_qasm_simulator"
"""The backend whose queue the service holds, so the measured job never leaves ``QUEUED``."""
HELD = {HELD_BACKEND: {"status": "internal"}}


@dataclass
class Sample:
    """One block of N calls."""

    seconds: float
    cpu_seconds: float
    calls: int

    @property
    def per_call(self) -> float:
        return self.seconds / self.calls

    @property
    def cpu_per_call(self) -> float:
        return self.cpu_seconds / self.calls


@dataclass
class Outcome:
    """Everything measured of one contender."""

    key: str
    label: str
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def median(self, cpu: bool = False) -> float | None:
        """Median seconds per call (wall, or the client's CPU)."""
        values = [s.cpu_per_call if cpu else s.per_call for s in self.samples]
        return statistics.median(values) if values else None


@dataclass(frozen=True)
class Contender:
    key: str
    label: str


CONTENDERS = (
    Contender("raw-async", "raw httpx.AsyncClient GET + json"),
    Contender("async", "ibmq_async job.status()"),
    Contender("raw-sync", "raw httpx.Client GET + json"),
    Contender("sync", "ibmq_sync job.status()"),
)
KEYS = tuple(c.key for c in CONTENDERS)
RATIOS = (
    ("async", "raw-async", "ibmq_async / raw async httpx"),
    ("sync", "async", "ibmq_sync / ibmq_async"),
    ("sync", "raw-sync", "ibmq_sync / raw sync httpx"),
)
"""``(numerator, denominator, label)`` of each ratio the report shows."""


@dataclass
class Report:
    """One run of the benchmark."""

    calls: int
    repeat: int
    outcomes: dict[str, Outcome]
    started: str
    notes: list[str] = field(default_factory=list)

    def ratio(self, top: str, bottom: str, cpu: bool = False) -> float | None:
        """Median per call of ``top`` over that of ``bottom``."""
        a, b = self.outcomes.get(top), self.outcomes.get(bottom)
        if a is None or b is None:
            return None
        x, y = a.median(cpu), b.median(cpu)
        return x / y if x is not None and y else None

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "overhead",
            "date": self.started,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "calls": self.calls,
            "repeat": self.repeat,
            "notes": self.notes,
            "contenders": {
                key: {
                    "label": o.label,
                    "seconds": [s.seconds for s in o.samples],
                    "cpu_seconds": [s.cpu_seconds for s in o.samples],
                    "median_ms_per_call": _ms_or_none(o.median()),
                    "median_cpu_ms_per_call": _ms_or_none(o.median(cpu=True)),
                    "errors": o.errors,
                }
                for key, o in self.outcomes.items()
            },
            "ratios": {
                f"{top}/{bottom}": {
                    "label": label,
                    "wall": self.ratio(top, bottom),
                    "cpu": self.ratio(top, bottom, cpu=True),
                }
                for top, bottom, label in RATIOS
            },
        }

    def table(self) -> str:
        rows = [("contender", "ms/call", "cpu ms/call", "runs (ms/call)")]
        for o in self.outcomes.values():
            rows.append(
                (
                    o.label,
                    _num(_ms_or_none(o.median()), 3),
                    _num(_ms_or_none(o.median(cpu=True)), 3),
                    " ".join(f"{s.per_call * 1000:.3f}" for s in o.samples) or "error",
                )
            )
        rows.append(("", "", "", ""))
        rows.append(("ratio", "wall", "cpu", ""))
        for top, bottom, label in RATIOS:
            rows.append(
                (
                    label,
                    _num(self.ratio(top, bottom), 2),
                    _num(self.ratio(top, bottom, True), 2),
                    "",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            f"overhead: {self.calls} sequential status() calls on a QUEUED job, "
            f"{self.repeat} alternating repeat(s), {self.started}, {os.cpu_count()} CPUs, "
            f"Python {platform.python_version()}",
        ]
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        for o in self.outcomes.values():
            lines.extend(f"error: {o.label}: {e}" for e in o.errors)
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _ms_or_none(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _endpoint(job: Any) -> tuple[str, dict[str, str]]:
    """The URL ``job.status()`` sends its GET to, and the headers it adds (the access token).

    Read from the SDK's internals on purpose: the floor must hit the same URL, authenticated
    the same way, on the same connection pool."""
    api = job._api
    url: str = api._paths.job(job.job_id(), "status/v/1")
    token = api._session.access_token
    return url, ({"X-Access-Token": token} if token else {})


class AsyncSide:
    """ibmq_async's account, its held job, and the raw floor on the same client."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self.loop = asyncio.new_event_loop()
        self.job: Any = None
        self.factory: Any = None
        self.client: httpx.AsyncClient | None = None
        self.url = ""
        self.headers: dict[str, str] = {}

    def open(self) -> str:
        """Log in, submit the held job; return its id."""
        return self.loop.run_until_complete(self._open())

    async def _open(self) -> str:
        from ibmq_async import AsyncIBMQFactory

        self.factory = AsyncIBMQFactory()
        provider = await self.factory.enable_account(
            self._service.token, url=self._service.auth_url
        )
        assert provider is not None
        backend = provider.get_backend(HELD_BACKEND)
        self.job = await backend.run(bell(), shots=16)
        await self.job.status()
        self.url, self.headers = _endpoint(self.job)
        self.client = self.job._api._session.client
        return str(self.job.job_id())

    def run(self, key: str, calls: int) -> Sample:
        return self.loop.run_until_complete(self._run(key, calls))

    async def _run(self, key: str, calls: int) -> Sample:
        job, client, url, headers = self.job, self.client, self.url, self.headers
        assert client is not None
        cpu, started = time.process_time(), time.perf_counter()
        if key == "async":
            for _ in range(calls):
                status = await job.status()
            assert status.name == "QUEUED", status
        else:
            for _ in range(calls):
                response = await client.get(url, headers=headers)
                response.raise_for_status()
                body = response.json()
            assert body["status"] == "QUEUED", body
        return Sample(time.perf_counter() - started, time.process_time() - cpu, calls)

    def close(self) -> None:
        try:
            if self.job is not None:
                self.loop.run_until_complete(self.job.cancel())
            if self.factory is not None:
                self.loop.run_until_complete(self.factory.disable_account())
        finally:
            self.loop.close()


class SyncSide:
    """ibmq_sync's account, the same held job retrieved by id, and the raw floor on its
    client."""

    def __init__(self, service: Service, job_id: str) -> None:
        from ibmq_sync import IBMQFactory

        self.factory = IBMQFactory()
        provider = self.factory.enable_account(service.token, url=service.auth_url)
        assert provider is not None
        self.job = provider.get_backend(HELD_BACKEND).retrieve_job(job_id)
        self.job.status()
        self.url, self.headers = _endpoint(self.job)
        self.client: httpx.Client = self.job._api._session.client

    def run(self, key: str, calls: int) -> Sample:
        job, client, url, headers = self.job, self.client, self.url, self.headers
        cpu, started = time.process_time(), time.perf_counter()
        if key == "sync":
            for _ in range(calls):
                status = job.status()
            assert status.name == "QUEUED", status
        else:
            for _ in range(calls):
                response = client.get(url, headers=headers)
                response.raise_for_status()
                body = response.json()
            assert body["status"] == "QUEUED", body
        return Sample(time.perf_counter() - started, time.process_time() - cpu, calls)

    def close(self) -> None:
        self.factory.disable_account()


def run_overhead(
    service: Service,
    calls: int,
    *,
    repeat: int = 3,
    contenders: Sequence[str] = KEYS,
    log: Callable[[str], None] = lambda _: None,
) -> Report:
    """Measure ``contenders`` against ``service``, which must hold :data:`HELD_BACKEND`'s
    queue (see :data:`HELD`), in this process."""
    unknown = sorted(set(contenders) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown contenders {unknown}; known: {', '.join(KEYS)}")
    chosen = [c for c in CONTENDERS if c.key in contenders]
    outcomes = {c.key: Outcome(c.key, c.label) for c in chosen}
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = Report(calls, repeat, outcomes, started)
    side_a = AsyncSide(service)
    side_s: SyncSide | None = None
    try:
        job_id = side_a.open()
        side_s = SyncSide(service, job_id)
        sides: dict[str, Callable[[str, int], Sample]] = {
            "raw-async": side_a.run,
            "async": side_a.run,
            "raw-sync": side_s.run,
            "sync": side_s.run,
        }
        # Untimed warm-up of every path (imports, pools, caches).
        for c in chosen:
            sides[c.key](c.key, min(calls, 20))
        keys = [c.key for c in chosen]
        for round_ in range(repeat):
            order = keys if round_ % 2 == 0 else keys[::-1]
            for key in order:
                try:
                    sample = sides[key](key, calls)
                except Exception as exc:
                    outcomes[key].errors.append(f"{type(exc).__name__}: {exc}")
                    log(f"  {key} failed: {exc}")
                    continue
                outcomes[key].samples.append(sample)
                log(
                    f"[{round_ + 1}/{repeat}] {outcomes[key].label}: {sample.per_call * 1e3:.3f} ms"
                )
    finally:
        if side_s is not None:
            side_s.close()
        side_a.close()
    report.notes.append(
        "ms/call: median over the rounds of a block's wall time per call; cpu ms/call: the "
        "client process's CPU time per call (the service runs in a process of its own)"
    )
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.overhead",
        description="N sequential job.status() calls against raw httpx GETs of the same URL.",
    )
    parser.add_argument("--calls", "-n", type=int, default=None, help=f"default {DEFAULT_CALLS}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CALLS} calls, one repeat")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 5; quick 1)")
    parser.add_argument("--only", default=",".join(KEYS), help="comma-separated contenders")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    calls = args.calls if args.calls is not None else QUICK_CALLS if args.quick else DEFAULT_CALLS
    repeat = args.repeat if args.repeat is not None else 1 if args.quick else 5
    if calls < 1 or repeat < 1:
        print("--calls and --repeat must be positive", file=sys.stderr)
        return 2
    contenders = [key.strip() for key in args.only.split(",") if key.strip()]

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    with local_service(backends=HELD) as service:
        log(f"service at {service.auth_url}")
        report = run_overhead(service, calls, repeat=repeat, contenders=contenders, log=log)
    print(report.table())
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
