"""Import benchmark: what ``import ibmq_async`` and ``import ibmq_sync`` add to ``import qiskit``.

Every sample is a fresh interpreter that imports ``qiskit`` first, then one statement under
measurement, timing both with ``time.perf_counter`` (wall) and ``time.process_time`` (CPU, less
sensitive to other processes on a shared machine). Statements:

- ``import ibmq_async`` and ``import ibmq_sync``: the packages alone. Their public names load
  on first use, so these are what a library that merely imports the SDK pays;
- ``from ibmq_async import AsyncIBMQ`` and ``from ibmq_sync import IBMQ``: what a program pays
  before its first call (the account factory and all it needs: HTTP client, wire models, the
  backend and job classes);
- ``from ibmq_async import *`` and ``from ibmq_sync import *``: the whole public surface.

Bytecode: by default the children share a private bytecode cache (``PYTHONPYCACHEPREFIX`` in a
temporary directory, warmed by one untimed run of each statement), so every contender, qiskit
included, is measured as an installed environment runs it after its first import. Environments
installed without bytecode and run with ``PYTHONDONTWRITEBYTECODE=1`` (as nox's uv-built venvs
on some machines) recompile every pure-Python module at each start instead; ``--as-is`` keeps
the caller's environment to measure that.

Statements run in alternating order (forward, then backward) ``--repeat`` times; the table shows
each one's median time added beyond ``import qiskit``, the median CPU time added, and the ratio
of that median to the median of ``import qiskit`` itself. It also lists which heavy third-party
packages each statement loads. No absolute time is asserted anywhere.

    python -m bench.imports [--quick] [--repeat R] [--python PATH] [--as-is] [--json PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_REPEAT = 9
QUICK_REPEAT = 2
CHILD_TIMEOUT = 300.0

HEAVY = (
    "httpx",
    "httpx._main",
    "click",
    "rich",
    "pygments",
    "pydantic",
    "websockets",
    "anyio",
    "tenacity",
    "tqdm",
    "qiskit.transpiler",
    "qiskit.compiler",
)
"""Packages whose presence in ``sys.modules`` after a statement the report lists."""

CHILD = """
import json, sys, time
w0, c0 = time.perf_counter(), time.process_time()
import qiskit
w1, c1 = time.perf_counter(), time.process_time()
before = set(sys.modules)
{statement}
w2, c2 = time.perf_counter(), time.process_time()
added = set(sys.modules) - before
print(json.dumps({{
    "qiskit_wall": w1 - w0, "qiskit_cpu": c1 - c0, "wall": w2 - w1, "cpu": c2 - c1,
    "modules": len(added),
    "heavy": [name for name in {heavy!r} if name in added],
}}))
"""
"""The child program: ``statement`` is the import under measurement."""


@dataclass(frozen=True)
class Statement:
    """One import under measurement."""

    key: str
    code: str


STATEMENTS = (
    Statement("async", "import ibmq_async"),
    Statement("sync", "import ibmq_sync"),
    Statement("async-factory", "from ibmq_async import AsyncIBMQ"),
    Statement("sync-factory", "from ibmq_sync import IBMQ"),
    Statement("async-all", "from ibmq_async import *"),
    Statement("sync-all", "from ibmq_sync import *"),
)
KEYS = tuple(s.key for s in STATEMENTS)


@dataclass
class Sample:
    """One fresh interpreter's times, in seconds."""

    qiskit_wall: float
    qiskit_cpu: float
    wall: float
    cpu: float
    modules: int
    heavy: list[str]


@dataclass
class Outcome:
    """Everything measured of one statement."""

    key: str
    code: str
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def median(self, attribute: str) -> float | None:
        """Median of one :class:`Sample` attribute over the samples."""
        values = [getattr(s, attribute) for s in self.samples]
        return statistics.median(values) if values else None


@dataclass
class Report:
    """One run of the benchmark."""

    python: str
    bytecode: str
    repeat: int
    outcomes: dict[str, Outcome]
    started: str
    notes: list[str] = field(default_factory=list)

    def qiskit(self, attribute: str) -> float | None:
        """Median ``import qiskit`` time over every sample of every statement."""
        values = [getattr(s, attribute) for o in self.outcomes.values() for s in o.samples]
        return statistics.median(values) if values else None

    def ratio(self, outcome: Outcome) -> float | None:
        """The statement's median wall time over ``import qiskit``'s."""
        median, qiskit = outcome.median("wall"), self.qiskit("qiskit_wall")
        return median / qiskit if median is not None and qiskit else None

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "imports",
            "date": self.started,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "platform": platform.platform(),
            },
            "python": self.python,
            "bytecode": self.bytecode,
            "repeat": self.repeat,
            "notes": self.notes,
            "qiskit_median_seconds": self.qiskit("qiskit_wall"),
            "qiskit_median_cpu_seconds": self.qiskit("qiskit_cpu"),
            "statements": {
                key: {
                    "code": o.code,
                    "seconds": [s.wall for s in o.samples],
                    "cpu_seconds": [s.cpu for s in o.samples],
                    "qiskit_seconds": [s.qiskit_wall for s in o.samples],
                    "median_seconds": o.median("wall"),
                    "median_cpu_seconds": o.median("cpu"),
                    "ratio_to_qiskit": self.ratio(o),
                    "modules_loaded": o.samples[-1].modules if o.samples else None,
                    "heavy_packages": o.samples[-1].heavy if o.samples else None,
                    "errors": o.errors,
                }
                for key, o in self.outcomes.items()
            },
        }

    def table(self) -> str:
        rows = [("statement (after import qiskit)", "ms added", "cpu ms", "x qiskit", "modules")]
        rows.append(
            (
                "import qiskit (itself)",
                _ms(self.qiskit("qiskit_wall")),
                _ms(self.qiskit("qiskit_cpu")),
                "1.00",
                "",
            )
        )
        for o in self.outcomes.values():
            if not o.samples:
                rows.append((o.code, "error", "", "", ""))
                continue
            ratio = self.ratio(o)
            rows.append(
                (
                    o.code,
                    _ms(o.median("wall")),
                    _ms(o.median("cpu")),
                    "-" if ratio is None else f"{ratio:.2f}",
                    str(o.samples[-1].modules),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            f"imports: {self.repeat} alternating repeat(s), bytecode {self.bytecode}, "
            f"{self.started}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        ]
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        for o in self.outcomes.values():
            if o.samples:
                heavy = ", ".join(o.samples[-1].heavy) or "none"
                lines.append(f"loads: {o.code}: {heavy}")
            lines.extend(f"error: {o.code}: {e}" for e in o.errors)
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}"


def measure(python: str, statement: str, env: dict[str, str]) -> Sample:
    """Run one fresh interpreter that imports qiskit, then ``statement``."""
    code = CHILD.format(statement=statement, heavy=HEAVY)
    done = subprocess.run(
        [python, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-1000:]}")
    return Sample(**json.loads(done.stdout.strip().splitlines()[-1]))


@contextmanager
def child_environment(as_is: bool) -> Iterator[dict[str, str]]:
    """The children's environment: the caller's, or the caller's with a private bytecode
    cache that every child reads and writes."""
    env = dict(os.environ)
    if as_is:
        yield env
        return
    with tempfile.TemporaryDirectory(prefix="ibmq-bench-pyc-") as cache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache
        yield env


def run_imports(
    *,
    repeat: int = DEFAULT_REPEAT,
    statements: Sequence[str] = KEYS,
    python: str | None = None,
    as_is: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> Report:
    """Measure ``statements`` (keys of :data:`STATEMENTS`) in fresh interpreters of ``python``
    (this one by default)."""
    unknown = sorted(set(statements) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown statements {unknown}; known: {', '.join(KEYS)}")
    interpreter = python or sys.executable
    chosen = [s for s in STATEMENTS if s.key in statements]
    outcomes = {s.key: Outcome(s.key, s.code) for s in chosen}
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    bytecode = "as the environment has it" if as_is else "cached (private, warmed)"
    report = Report(interpreter, bytecode, repeat, outcomes, started)
    with child_environment(as_is) as env:
        if not as_is:
            log("warming the bytecode cache ...")
            for s in chosen:
                try:
                    measure(interpreter, s.code, env)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    outcomes[s.key].errors.append(f"warm-up: {exc}")
        for round_ in range(repeat):
            order = chosen if round_ % 2 == 0 else chosen[::-1]
            for s in order:
                try:
                    sample = measure(interpreter, s.code, env)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    outcomes[s.key].errors.append(str(exc))
                    continue
                outcomes[s.key].samples.append(sample)
                log(f"[{round_ + 1}/{repeat}] {s.code}: +{sample.wall * 1000:.0f} ms")
    report.notes.append(
        "ms added: median wall time of the statement in a fresh interpreter that imported "
        "qiskit first; x qiskit: that over the median time of `import qiskit` itself; "
        "modules: how many modules the statement loads"
    )
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.imports",
        description="Time `import ibmq_async` / `import ibmq_sync` beyond `import qiskit`, "
        "in fresh interpreters.",
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_REPEAT} rounds")
    parser.add_argument("--repeat", type=int, default=None, help=f"default {DEFAULT_REPEAT}")
    parser.add_argument(
        "--only",
        default=",".join(KEYS),
        help=f"comma-separated statements (default all: {','.join(KEYS)})",
    )
    parser.add_argument("--python", default=None, help="interpreter to measure (default this)")
    parser.add_argument(
        "--as-is",
        action="store_true",
        help="keep the caller's bytecode settings instead of a private warmed cache",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    repeat = args.repeat if args.repeat is not None else QUICK_REPEAT if args.quick else None
    repeat = DEFAULT_REPEAT if repeat is None else repeat
    if repeat < 1:
        print("--repeat must be positive", file=sys.stderr)
        return 2
    statements = [key.strip() for key in args.only.split(",") if key.strip()]

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = run_imports(
        repeat=repeat, statements=statements, python=args.python, as_is=args.as_is, log=log
    )
    print(report.table())
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
