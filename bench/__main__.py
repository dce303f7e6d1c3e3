"""Every benchmark scenario in one run, then the targets of the performance issue.

    python -m bench [--quick] [--only batch,overhead,...] [--out DIR]

Each scenario runs in a fresh interpreter of its own (``python -m bench.<name>``), one after
the other, so none measures another's imports, threads or service. Each prints its table and
writes its JSON to ``DIR/<name>.json`` (default ``bench-results/``); at the end a summary
table sets each measured ratio beside its target. Only ratios measured within one run mean
anything; no absolute time is compared with anything.

The legacy client (qiskit-ibmq-provider 0.20.2) and the serialization baseline (qiskit 1.4)
need environments of their own: ``$IBMQ_BENCH_LEGACY_PYTHON`` and
``$IBMQ_BENCH_BASELINE_PYTHON`` name their interpreters (``nox -s bench`` builds both); a
scenario without its environment skips that contender and says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCENARIOS = ("batch", "overhead", "listing", "serialization", "service", "imports")
"""In the order they run: the issue's scenarios 1 to 6."""


@dataclass(frozen=True)
class Target:
    """One line of the summary: a measured ratio against the bound it should meet."""

    scenario: str
    what: str
    value: float | None
    bound: float
    at_most: bool = True
    """``True``: the value must not exceed ``bound``; ``False``: it must reach it."""

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "not measured"
        met = self.value <= self.bound if self.at_most else self.value >= self.bound
        return "met" if met else "NOT met"

    def row(self) -> tuple[str, str, str, str]:
        sign = "<=" if self.at_most else ">="
        value = "-" if self.value is None else f"{self.value:.2f}"
        return (f"{self.scenario}: {self.what}", value, f"{sign} {self.bound:g}", self.verdict)


def _get(document: Any, *path: str | int) -> Any:
    """``document[path[0]][path[1]]...``, or ``None`` where the path does not exist."""
    for part in path:
        if isinstance(document, dict) and isinstance(part, str):
            document = document.get(part)
        elif isinstance(document, list) and isinstance(part, int) and -len(document) <= part:
            document = document[part] if part < len(document) else None
        else:
            return None
    return document


def _div(top: Any, bottom: Any) -> float | None:
    if isinstance(top, int | float) and isinstance(bottom, int | float) and bottom:
        return float(top) / float(bottom)
    return None


def batch_targets(doc: dict[str, Any]) -> list[Target]:
    def median(key: str) -> Any:
        return _get(doc, "contenders", key, "median_seconds")

    return [
        Target("batch", "ibmq_async / raw httpx floor", _div(median("async"), median("raw")), 1.25),
        Target(
            "batch",
            "legacy loop / ibmq_async (speed-up)",
            _div(median("legacy-loop"), median("async")),
            10,
            at_most=False,
        ),
        Target(
            "batch",
            "legacy IBMQJobManager / ibmq_async (speed-up)",
            _div(median("legacy-manager"), median("async")),
            3,
            at_most=False,
        ),
        Target(
            "batch",
            "ibmq_sync manager / ibmq_async manager",
            _div(median("sync-manager"), median("async-manager")),
            1.2,
        ),
    ]


def overhead_targets(doc: dict[str, Any]) -> list[Target]:
    return [
        Target(
            "overhead",
            "ibmq_async / raw httpx",
            _get(doc, "ratios", "async/raw-async", "wall"),
            1.3,
        ),
        Target(
            "overhead", "ibmq_sync / ibmq_async", _get(doc, "ratios", "sync/async", "wall"), 1.2
        ),
    ]


def listing_targets(doc: dict[str, Any]) -> list[Target]:
    def ratio(key: str) -> Any:
        return _get(doc, "large", "contenders", key, "ratio_to_floor")

    def median(key: str) -> Any:
        return _get(doc, "large", "contenders", key, "median_seconds")

    growth = _get(doc, "growth_large_over_small")
    return [
        Target("listing", "ibmq_async iter_jobs / raw paging", ratio("async-iter"), 1.2),
        Target("listing", "ibmq_sync iter_jobs / raw paging", ratio("sync-iter"), 1.2),
        Target(
            "listing",
            "ibmq_async jobs(limit=None) / raw paging keeping every document",
            _div(median("async-list"), median("raw-keep")),
            1.2,
        ),
        Target(
            "listing",
            "iter_jobs peak memory, 10x the jobs (growth)",
            _get(growth, "async-iter", "peak"),
            1.5,
        ),
        Target(
            "listing",
            "service CPU per page, 10x the jobs (growth)",
            _get(growth, "raw", "cpu"),
            1.5,
        ),
    ]


def serialization_targets(doc: dict[str, Any]) -> list[Target]:
    return [
        Target(
            "serialization",
            "qiskit 1.4 assemble+dumps / ours with validation (speed-up)",
            _div(
                _get(doc, "contenders", "baseline", "median_s"),
                _get(doc, "contenders", "ours", "median_s"),
            ),
            2,
            at_most=False,
        )
    ]


def service_targets(doc: dict[str, Any]) -> list[Target]:
    small = {entry.get("qubits"): entry for entry in _get(doc, "small_job") or []}
    widest = small.get(max(small)) if small else None
    scaling = [
        entry
        for entry in _get(doc, "throughput") or []
        if entry.get("workload") == "spread" and not entry.get("default")
    ]
    best = max((entry.get("ratio_to_1_worker") or 0.0 for entry in scaling), default=None)
    return [
        Target(
            "service",
            "3-qubit GHZ, widest device / 5-qubit device (warm)",
            _get(widest, "warm_ratio_to_reference"),
            2,
        ),
        Target(
            "service",
            "jobs/s with the most workers / with 1 (spread over devices)",
            best or None,
            1.0,
            at_most=False,
        ),
    ]


def imports_targets(doc: dict[str, Any]) -> list[Target]:
    def added_ms(key: str) -> float | None:
        value = _get(doc, "statements", key, "median_seconds")
        return float(value) * 1000 if isinstance(value, int | float) else None

    return [
        Target("imports", "import ibmq_async, ms beyond qiskit", added_ms("async"), 150),
        Target("imports", "import ibmq_sync, ms beyond qiskit", added_ms("sync"), 150),
        Target(
            "imports",
            "from ibmq_async import AsyncIBMQ, ms beyond qiskit",
            added_ms("async-factory"),
            150,
        ),
    ]


TARGETS: dict[str, Callable[[dict[str, Any]], list[Target]]] = {
    "batch": batch_targets,
    "overhead": overhead_targets,
    "listing": listing_targets,
    "serialization": serialization_targets,
    "service": service_targets,
    "imports": imports_targets,
}


def summary(results: dict[str, dict[str, Any] | None]) -> list[Target]:
    """Every target of the scenarios that ran, from their JSON documents."""
    found: list[Target] = []
    for name, document in results.items():
        if document is not None:
            found.extend(TARGETS[name](document))
    return found


def table(targets: Sequence[Target]) -> str:
    rows = [("target", "measured", "bound", "verdict"), *(t.row() for t in targets)]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(
            "  ".join(
                [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]), row[3]]
            )
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="every scenario in its quick mode")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated: {','.join(SCENARIOS)}"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results"), help="JSON directory")
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="run nothing: judge the targets from the JSON already in --out",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        print(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    if args.summary_only:
        found = {
            name: json.loads((args.out / f"{name}.json").read_text())
            for name in chosen
            if (args.out / f"{name}.json").exists()
        }
        print(table(summary(found)))
        return 0
    results: dict[str, dict[str, Any] | None] = {}
    failed: list[str] = []
    started = time.perf_counter()
    for name in (s for s in SCENARIOS if s in chosen):
        path = args.out / f"{name}.json"
        path.unlink(missing_ok=True)
        command = [sys.executable, "-m", f"bench.{name}", "--json", str(path)]
        if args.quick:
            command.append("--quick")
        print(f"\n== {name}: {' '.join(command[1:])}", flush=True)
        began = time.perf_counter()
        code = subprocess.run(command, check=False).returncode
        print(f"== {name}: exit {code} in {time.perf_counter() - began:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
        results[name] = json.loads(path.read_text()) if path.exists() else None
    targets = summary(results)
    print(
        f"\n== targets ({time.perf_counter() - started:.0f} s in all; {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.machine()})"
    )
    print(table(targets))
    (args.out / "targets.json").write_text(
        json.dumps(
            [
                {"target": t.row()[0], "value": t.value, "bound": t.bound, "verdict": t.verdict}
                for t in targets
            ],
            indent=2,
        )
        + "\n"
    )
    if failed:
        print(f"failed scenarios: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
