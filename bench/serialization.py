"""Serialization benchmark: circuits to the upload body, ours against qiskit 1.4's ``assemble()``.

One run builds the same circuits in two interpreters (``bench/_circuits.py``: 1,000 seeded
random circuits of 20 qubits and depth 100 in the basis of a device snapshot, ``ibm_brisbane``
by default: ``rz``/``sx``/``x`` and ``ecr`` on its coupling map, then a barrier and a
measurement of every qubit), checks that every circuit has the same instruction count on both
sides, and measures the time to turn all of them into upload bodies, ``--per-job`` circuits
per job (a device accepts a limited number of experiments per job):

- ``ours``: what ``AsyncIBMQBackend.run()`` does before it sends anything, through the same
  code (``backend._prepare``: option merging, ``circuits_to_qobj(...).to_wire()`` and
  ``validate_qobj`` against the backend's configuration), plus ``json.dumps(...).encode()``,
  the bytes the client sends;
- ``ours-novalidate``: the same with ``validate=False``;
- ``baseline``: qiskit 1.4's ``assemble()`` plus ``json.dumps(qobj.to_dict()).encode()`` in an
  interpreter of its own (``--baseline-python``; by default ``.nox/tests_oldest_qiskit``; the
  baseline is skipped, with a note, when none is found).

No network and no service: the backend object is built from the snapshot's configuration.
After one untimed warm-up job per contender, the contenders run in alternating order
(forward, then backward) ``--repeat`` times; the table shows each one's median wall time,
its cost per circuit and per instruction, the bytes it produced, and the ratio of its median
to the baseline's (below 1 is faster). No absolute time is asserted anywhere.

    python -m bench.serialization [--quick] [--repeat R] [--json PATH] [--baseline-python PATH]
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._circuits import build, device_edges

DEFAULT_CIRCUITS = 1000
QUICK_CIRCUITS = 100
DEFAULT_QUBITS = 20
DEFAULT_DEPTH = 100
DEFAULT_PER_JOB = 100
DEFAULT_SHOTS = 1024
DEFAULT_BACKEND = "ibm_brisbane"
BASELINE_TIMEOUT = 1800.0
ROOT = Path(__file__).resolve().parent.parent

BASELINE = "baseline"
KEYS = ("ours", "ours-novalidate", BASELINE)
LABELS = {
    "ours": "ibmq_async: assemble + validate + bytes",
    "ours-novalidate": "ibmq_async: assemble + bytes (validate=False)",
    BASELINE: "qiskit 1.4: assemble() + json.dumps",
}


@dataclass
class Sample:
    seconds: float
    cpu: float
    experiments: int
    size: int


@dataclass
class Outcome:
    key: str
    label: str
    samples: list[Sample] = field(default_factory=list)
    skipped: str | None = None
    errors: list[str] = field(default_factory=list)
    ratio: float | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(s.seconds for s in self.samples) if self.samples else None

    @property
    def experiments(self) -> int | None:
        return self.samples[-1].experiments if self.samples else None

    @property
    def size(self) -> int | None:
        return self.samples[-1].size if self.samples else None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "median_s": self.median,
            "ratio_to_baseline": self.ratio,
            "experiments": self.experiments,
            "bytes": self.size,
            "samples_s": [s.seconds for s in self.samples],
            "cpu_s": [s.cpu for s in self.samples],
            "skipped": self.skipped,
            "errors": self.errors,
        }


@dataclass
class Workload:
    """The circuits and how they are cut into jobs."""

    backend: str
    circuits: int
    num_qubits: int
    depth: int
    per_job: int
    shots: int
    configuration: dict[str, Any]

    def spec(self) -> dict[str, Any]:
        """What the baseline interpreter needs to build and serialize the same circuits."""
        gate = next(g for g in ("ecr", "cz", "cx") if g in self.configuration["basis_gates"])
        return {
            "seeds": list(range(self.circuits)),
            "num_qubits": self.num_qubits,
            "depth": self.depth,
            "edges": device_edges(self.configuration.get("coupling_map") or [], self.num_qubits),
            "two_qubit_gate": gate,
            "per_job": self.per_job,
            "shots": self.shots,
            "backend_name": self.configuration["backend_name"],
            "backend_version": self.configuration["backend_version"],
        }


@dataclass
class Report:
    work: Workload
    repeat: int
    outcomes: dict[str, Outcome]
    started: str
    instructions: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": "serialization",
            "started": self.started,
            "machine": _machine(),
            "backend": self.work.backend,
            "circuits": self.work.circuits,
            "num_qubits": self.work.num_qubits,
            "depth": self.work.depth,
            "per_job": self.work.per_job,
            "shots": self.work.shots,
            "instructions": self.instructions,
            "repeat": self.repeat,
            "contenders": {k: o.to_json() for k, o in self.outcomes.items()},
            "notes": self.notes,
        }

    def table(self) -> str:
        w = self.work
        lines = [
            f"serialization: {w.circuits} circuits of {w.num_qubits} qubits, depth {w.depth} "
            f"({self.instructions} instructions), {w.per_job} per job, on {w.backend}; "
            f"{self.repeat} round(s); {_machine()}",
        ]
        header = ("contender", "median s", "ms/circuit", "us/instr", "MB", "x baseline")
        rows = [header]
        for o in self.outcomes.values():
            median = o.median
            rows.append(
                (
                    o.label,
                    _num(median, 3),
                    _num(median * 1e3 / w.circuits if median else None, 3),
                    _num(median * 1e6 / self.instructions if median else None, 3),
                    _num(o.size / 1e6 if o.size else None, 2),
                    _num(o.ratio, 2),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for n, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [
                c.rjust(width) for c, width in zip(row[1:], widths[1:], strict=True)
            ]
            lines.append("  ".join(cells).rstrip())
            if n == 0:
                lines.append("  ".join("-" * width for width in widths))
        lines.extend(f"note: {note}" for note in self.notes)
        for o in self.outcomes.values():
            if o.skipped:
                lines.append(f"note: {o.label} skipped: {o.skipped}")
            lines.extend(f"error: {o.label}: {e}" for e in o.errors)
        return "\n".join(lines)


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# -- contenders --------------------------------------------------------------------------------


def device_configuration(name: str) -> dict[str, Any]:
    """The configuration of a device snapshot the local service serves."""
    from ibmq_local._catalog import BackendCatalog

    configuration = BackendCatalog().configuration(name)
    if configuration is None:
        raise SystemExit(f"no backend {name!r} (device snapshots need qiskit-ibm-runtime)")
    return configuration


def our_backend(configuration: dict[str, Any]) -> Any:
    """An ``AsyncIBMQBackend`` for ``configuration``, with no service behind it (``run()``'s
    preparation sends nothing)."""
    from ibmq_async._core.models import BackendConfiguration
    from ibmq_async.backend import AsyncIBMQBackend

    return AsyncIBMQBackend(BackendConfiguration.model_validate(configuration), api=None)  # type: ignore[arg-type]


def ours(backend: Any, circuits: list[Any], per_job: int, shots: int, validate: bool) -> Sample:
    """What ``backend.run()`` does before its first request, and the body's bytes."""
    wall, cpu = time.perf_counter(), time.process_time()
    experiments = size = 0
    for start in range(0, len(circuits), per_job):
        _, wire = backend._prepare(
            circuits[start : start + per_job], shots=shots, validate=validate
        )
        size += len(json.dumps(wire).encode())
        experiments += len(wire["experiments"])
    return Sample(time.perf_counter() - wall, time.process_time() - cpu, experiments, size)


def baseline_run_config(backend: Any, circuit: Any, shots: int) -> dict[str, Any]:
    """The ``assemble()`` arguments that give the baseline's Qobj the config ours sends (the
    backend's default run options), so both bodies hold the same data, but ``rep_delay``:
    without a backend that declares dynamic rep rates, ``assemble()`` leaves it out (about 20
    bytes a job)."""
    _, wire = backend._prepare([circuit], shots=shots, validate=False)
    config = wire["config"]
    run_config: dict[str, Any] = {
        "memory": config["memory"],
        "init_qubits": config["init_qubits"],
        "parametric_pulses": config["parametric_pulses"],
    }
    if "use_measure_esp" in config:
        run_config["use_measure_esp"] = config["use_measure_esp"]
    return run_config


class Baseline:
    """The qiskit 1.4 interpreter running ``bench/_assemble_baseline.py``."""

    def __init__(self, python: Path, spec: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [str(python), "-m", "bench._assemble_baseline"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.ready = self._ask(json.dumps(spec))

    def _ask(self, line: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the baseline interpreter exited ({self.process.wait()})")
        reply: dict[str, Any] = json.loads(answer)
        return reply

    def run(self) -> Sample:
        reply = self._ask("go")
        return Sample(reply["seconds"], reply["cpu"], reply["experiments"], reply["bytes"])

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write("quit\n")
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def baseline_python(explicit: str | None = None) -> Path | None:
    """An interpreter with qiskit 1.x (``assemble`` still exists), or ``None``.

    Looked for in order: ``explicit``, ``$IBMQ_BENCH_BASELINE_PYTHON``, then the environment
    of the ``tests_oldest_qiskit`` nox session.
    """
    candidates = [
        explicit,
        os.environ.get("IBMQ_BENCH_BASELINE_PYTHON"),
        str(ROOT / ".nox" / "tests_oldest_qiskit" / "bin" / "python"),
    ]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-c", "from qiskit import assemble"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if probe.returncode == 0:
            return Path(candidate)
    return None


def run_serialization(
    work: Workload,
    *,
    repeat: int = 1,
    baseline: Path | None = None,
    contenders: Sequence[str] = KEYS,
    log: Callable[[str], None] = lambda _: None,
) -> Report:
    """Measure ``contenders`` on ``work``; the baseline in its own interpreter."""
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    outcomes = {key: Outcome(key, LABELS[key]) for key in KEYS if key in contenders}
    report = Report(work, repeat, outcomes, started)
    spec = work.spec()
    log(f"building {work.circuits} circuits ...")
    circuits = build(spec)
    counts = [len(circuit.data) for circuit in circuits]
    report.instructions = sum(counts)
    backend = our_backend(work.configuration)
    spec["run_config"] = baseline_run_config(backend, circuits[0], work.shots)
    runners: dict[str, Callable[[], Sample]] = {
        "ours": lambda: ours(backend, circuits, work.per_job, work.shots, True),
        "ours-novalidate": lambda: ours(backend, circuits, work.per_job, work.shots, False),
    }
    warm_ups: dict[str, Callable[[], Sample]] = {
        "ours": lambda: ours(backend, circuits[: work.per_job], work.per_job, work.shots, True),
        "ours-novalidate": lambda: ours(
            backend, circuits[: work.per_job], work.per_job, work.shots, False
        ),
    }
    child: Baseline | None = None
    if BASELINE in outcomes:
        if baseline is None:
            outcomes[BASELINE].skipped = (
                "no interpreter with qiskit 1.x found (run `nox -s tests_oldest_qiskit` once "
                "to build .nox/tests_oldest_qiskit, or pass --baseline-python)"
            )
        else:
            log(f"building the circuits again in {baseline} ...")
            child = Baseline(baseline, spec)
            if child.ready["instructions"] != counts:
                outcomes[BASELINE].skipped = (
                    f"qiskit {child.ready['qiskit']} built different circuits (instruction "
                    "counts differ); no comparison"
                )
                child.close()
                child = None
            else:
                report.notes.append(
                    f"baseline: qiskit {child.ready['qiskit']}; the same {len(counts)} circuits "
                    "(every instruction count checked)"
                )
                runners[BASELINE] = child.run
    try:
        active = [key for key in outcomes if key in runners]
        for key in active:
            if key in warm_ups:
                warm_ups[key]()
        for round_ in range(repeat):
            # Forward, then backward: drift in the machine's load hits every contender alike.
            order = active if round_ % 2 == 0 else active[::-1]
            for key in order:
                outcome = outcomes[key]
                log(f"[{round_ + 1}/{repeat}] {outcome.label} ...")
                try:
                    sample = runners[key]()
                except Exception as exc:
                    outcome.errors.append(f"{type(exc).__name__}: {exc}")
                    log(f"  failed: {type(exc).__name__}: {exc}")
                    continue
                if sample.experiments != work.circuits:
                    outcome.errors.append(
                        f"{sample.experiments} experiments for {work.circuits} circuits"
                    )
                outcome.samples.append(sample)
                log(f"  {sample.seconds:.3f} s")
    finally:
        if child is not None:
            child.close()
    floor = outcomes.get(BASELINE)
    floor_median = floor.median if floor is not None else None
    for outcome in outcomes.values():
        if floor_median and outcome.median is not None:
            outcome.ratio = outcome.median / floor_median
    if floor_median is None:
        report.notes.append("the baseline was not measured: no ratios")
    report.notes.append(
        "issue 8's target: ours (with validation) at most 0.5 x baseline; "
        "times are wall clock, gc enabled, medians of the rounds"
    )
    return report


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.serialization",
        description="Circuits to upload bodies: ibmq_async against qiskit 1.4's assemble().",
    )
    parser.add_argument("--circuits", "-n", type=int, default=None, help="default 1000")
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_CIRCUITS} circuits, one round"
    )
    parser.add_argument("--repeat", type=int, default=None, help="rounds (default 3; quick 1)")
    parser.add_argument("--qubits", type=int, default=DEFAULT_QUBITS)
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH)
    parser.add_argument("--per-job", type=int, default=DEFAULT_PER_JOB)
    parser.add_argument("--shots", type=int, default=DEFAULT_SHOTS)
    parser.add_argument("--backend", default=DEFAULT_BACKEND, help="a device snapshot's name")
    parser.add_argument(
        "--only", default=",".join(KEYS), help=f"comma-separated contenders ({','.join(KEYS)})"
    )
    parser.add_argument("--baseline-python", default=None, help="an interpreter with qiskit 1.x")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    circuits = args.circuits or (QUICK_CIRCUITS if args.quick else DEFAULT_CIRCUITS)
    repeat = args.repeat if args.repeat is not None else 1 if args.quick else 3
    if min(circuits, repeat, args.qubits, args.depth, args.per_job) < 1:
        print("--circuits, --repeat, --qubits, --depth and --per-job must be positive")
        return 2
    contenders = [key.strip() for key in args.only.split(",") if key.strip()]
    unknown = sorted(set(contenders) - set(KEYS))
    if unknown:
        print(f"unknown contenders {unknown}; known: {', '.join(KEYS)}", file=sys.stderr)
        return 2

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    configuration = device_configuration(args.backend)
    if args.qubits > configuration["n_qubits"]:
        print(f"{args.backend} has only {configuration['n_qubits']} qubits", file=sys.stderr)
        return 2
    work = Workload(
        args.backend, circuits, args.qubits, args.depth, args.per_job, args.shots, configuration
    )
    baseline = baseline_python(args.baseline_python) if BASELINE in contenders else None
    report = run_serialization(
        work, repeat=repeat, baseline=baseline, contenders=contenders, log=log
    )
    print(report.table())
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n")
    failed = any(o.errors for o in report.outcomes.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
