"""What the commands print: plain data for ``--json``, rich tables for people.

The ``*_data`` functions turn SDK objects into JSON-ready dictionaries; the ``show_*``
functions print those dictionaries as tables. Only data goes to stdout; spinners and
notes go to stderr, so ``ibmq ... --json | jq`` and ``ibmq ... > file`` see only results.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.table import Table

from ibmq_sync import IBMQBackend, IBMQJob
from ibmq_sync.models import BackendProperties, BackendStatus, Nduv

PIPE_WIDTH = 160
"""Table width when stdout is not a terminal (rich would assume 80 and squeeze columns)."""

QUBIT_FIGURES = ("T1", "T2", "frequency", "readout_error")
"""The per-qubit calibration figures ``ibmq properties`` shows as columns."""


class Output:
    """Where a command prints: JSON or tables on stdout, progress and notes on stderr."""

    def __init__(self, as_json: bool) -> None:
        self.as_json = as_json
        terminal = Console().is_terminal
        self.out = Console(highlight=False, width=None if terminal else PIPE_WIDTH)
        self.err = Console(stderr=True, highlight=False)

    def json(self, data: Any) -> None:
        """Print ``data`` as JSON on stdout (the only thing printed there with ``--json``)."""
        self.out.file.write(json.dumps(data, indent=2, default=str) + "\n")
        self.out.file.flush()

    def note(self, text: str) -> None:
        """A remark for people, on stderr; nothing with ``--json``."""
        if not self.as_json:
            self.err.print(text, markup=False)

    @contextmanager
    def spinner(self, message: str, *, long: bool = False) -> Iterator[Callable[[str], None]]:
        """A status spinner on stderr while the body runs, for people at a terminal only;
        yields a function that changes its text. A ``long`` wait is noted on stderr off a
        terminal too (in a log, or for whoever waits on the command)."""
        if self.as_json or not self.err.is_terminal:
            if long:
                self.note(f"{message}...")
            yield _ignore
            return
        with self.err.status(message) as status:
            yield lambda text: status.update(text)


def _ignore(_text: str) -> None:
    return None


# -- data ---------------------------------------------------------------------------------------


def backend_data(backend: IBMQBackend, status: BackendStatus) -> dict[str, Any]:
    """One backend, as ``ibmq backends --json`` lists it."""
    return {
        "name": backend.name(),
        "num_qubits": backend.num_qubits,
        "simulator": bool(backend.configuration().simulator),
        "operational": status.operational,
        "pending_jobs": status.pending_jobs,
        "status_msg": status.status_msg,
    }


def status_data(status: BackendStatus) -> dict[str, Any]:
    """A backend's status, with qiskit's ``BackendStatus`` field names."""
    data: dict[str, Any] = status.model_dump(mode="json")
    return data


def properties_data(properties: BackendProperties | None) -> dict[str, Any] | None:
    """A backend's calibration properties in the wire's layout (dates as ISO 8601)."""
    if properties is None:
        return None
    data: dict[str, Any] = properties.model_dump(mode="json")
    return data


def job_data(job: IBMQJob) -> dict[str, Any]:
    """A job as last seen, without asking the server again."""
    document = job.document()
    queue = document.info_queue
    return {
        "job_id": job.job_id(),
        "backend": job.backend().name(),
        "status": job.last_status().name,
        "api_status": job.api_status().value,
        "name": job.name(),
        "tags": job.tags(),
        "creation_date": job.creation_date().isoformat(),
        "queue_position": queue.position if queue is not None else None,
    }


def result_data(result: Any) -> dict[str, Any]:
    """A result's counts: ``experiments`` (name, shots, counts) for every circuit, and
    ``counts`` alone when the job ran one circuit."""
    experiments = []
    for index, experiment in enumerate(result.results):
        header = experiment.header
        name = header.get("name") if isinstance(header, Mapping) else getattr(header, "name", None)
        experiments.append(
            {
                "name": name,
                "shots": experiment.shots,
                "counts": dict(result.get_counts(index)),
            }
        )
    data: dict[str, Any] = {"experiments": experiments}
    if len(experiments) == 1:
        data["counts"] = experiments[0]["counts"]
    return data


# -- tables -------------------------------------------------------------------------------------


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def show_backends(out: Output, rows: list[dict[str, Any]]) -> None:
    """The backends table of ``ibmq backends``."""
    table = Table(title=f"{len(rows)} backends", title_justify="left")
    table.add_column("Backend", no_wrap=True)
    table.add_column("Qubits", justify="right")
    table.add_column("Simulator")
    table.add_column("Operational")
    table.add_column("Pending jobs", justify="right")
    table.add_column("Status")
    for row in rows:
        table.add_row(
            row["name"],
            str(row["num_qubits"]),
            _yes(row["simulator"]),
            _yes(row["operational"]),
            str(row["pending_jobs"]),
            row["status_msg"],
        )
    out.out.print(table)


def show_status(out: Output, status: dict[str, Any]) -> None:
    """A backend's status, one field a line."""
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Backend", status["backend_name"])
    table.add_row("Version", status["backend_version"])
    table.add_row("Operational", _yes(status["operational"]))
    table.add_row("Pending jobs", str(status["pending_jobs"]))
    table.add_row("Status", status["status_msg"])
    out.out.print(table)


def _figure(item: Nduv | None) -> str:
    if item is None:
        return "-"
    unit = f" {item.unit}" if item.unit else ""
    return f"{item.value:.4g}{unit}"


def show_properties(out: Output, properties: BackendProperties) -> None:
    """A device's calibration: a table of qubits and a summary per gate."""
    updated = properties.last_update_date.astimezone().isoformat(timespec="seconds")
    qubits = Table(
        title=f"{properties.backend_name} qubits (calibrated {updated})", title_justify="left"
    )
    qubits.add_column("Qubit", justify="right")
    for name in QUBIT_FIGURES:
        qubits.add_column(name, justify="right")
    for index, figures in enumerate(properties.qubits):
        by_name = {item.name: item for item in figures}
        qubits.add_row(str(index), *(_figure(by_name.get(name)) for name in QUBIT_FIGURES))
    out.out.print(qubits)

    errors: dict[str, list[float]] = defaultdict(list)
    lengths: dict[str, list[Nduv]] = defaultdict(list)
    instances: dict[str, int] = defaultdict(int)
    for gate in properties.gates:
        instances[gate.gate] += 1
        for item in gate.parameters:
            if item.name == "gate_error":
                errors[gate.gate].append(item.value)
            elif item.name == "gate_length":
                lengths[gate.gate].append(item)
    gates = Table(title=f"{properties.backend_name} gates", title_justify="left")
    gates.add_column("Gate")
    gates.add_column("Instances", justify="right")
    gates.add_column("Median error", justify="right")
    gates.add_column("Median length", justify="right")
    for name in sorted(instances):
        error = f"{statistics.median(errors[name]):.3g}" if errors[name] else "-"
        length = "-"
        if lengths[name]:
            unit = lengths[name][0].unit
            median = statistics.median(item.value for item in lengths[name])
            length = f"{median:.4g} {unit}".strip()
        gates.add_row(name, str(instances[name]), error, length)
    out.out.print(gates)


def show_job(out: Output, job: dict[str, Any]) -> None:
    """A job's fields, one a line."""
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    table.add_row("Job", job["job_id"])
    table.add_row("Backend", job["backend"])
    table.add_row("Status", f"{job['status']} ({job['api_status']})")
    if job.get("name"):
        table.add_row("Name", job["name"])
    if job.get("tags"):
        table.add_row("Tags", ", ".join(job["tags"]))
    table.add_row("Created", job["creation_date"])
    if job.get("queue_position") is not None:
        table.add_row("Queue position", str(job["queue_position"]))
    if job.get("error_message"):
        table.add_row("Error", job["error_message"])
    out.out.print(table)


def show_jobs(out: Output, jobs: list[dict[str, Any]]) -> None:
    """The jobs table of ``ibmq jobs``."""
    table = Table(title=f"{len(jobs)} jobs, newest first", title_justify="left")
    table.add_column("Job", no_wrap=True)
    table.add_column("Backend", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Created", no_wrap=True)
    table.add_column("Name")
    table.add_column("Tags")
    for job in jobs:
        table.add_row(
            job["job_id"],
            job["backend"],
            job["status"],
            job["creation_date"][:19].replace("T", " "),
            job["name"] or "",
            ", ".join(job["tags"]),
        )
    out.out.print(table)


def show_counts(out: Output, results: dict[str, Any]) -> None:
    """One table of outcomes per experiment, most frequent first."""
    for number, experiment in enumerate(results["experiments"]):
        counts: dict[str, int] = experiment["counts"]
        total = sum(counts.values()) or 1
        title = experiment["name"] or f"experiment {number}"
        table = Table(title=f"counts of {title}", title_justify="left")
        table.add_column("Outcome", no_wrap=True)
        table.add_column("Count", justify="right")
        table.add_column("Probability", justify="right")
        table.add_column("", no_wrap=True)
        for outcome, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            share = count / total
            table.add_row(outcome, str(count), f"{share:.3f}", "█" * round(share * 30))
        out.out.print(table)
