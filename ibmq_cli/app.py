"""The ``ibmq`` command line: accounts, backends and jobs from a terminal or a script.

Every command that talks to a service takes ``--local`` (the embedded local service) or
``--token`` / ``--url``, and otherwise uses the saved account; every command takes ``--json``
for scripts. Exit codes are those of :class:`~ibmq_cli.errors.ExitCode`.
"""

from __future__ import annotations

import difflib
import logging
import sys
from enum import StrEnum
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any

import typer

from ibmq_sync import QX_AUTH_URL, AccountProvider, IBMQBackend, IBMQFactory, IBMQJob
from ibmq_sync.exceptions import IBMQApiError, IBMQBackendNotFoundError
from ibmq_sync.models import QueueInfo

from .connect import Connection, provider_for
from .errors import CliError, ExitCode, reported
from .qasm import load_circuit
from .render import (
    Output,
    backend_data,
    job_data,
    properties_data,
    result_data,
    show_backends,
    show_counts,
    show_job,
    show_jobs,
    show_properties,
    show_status,
    status_data,
)

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 service, account or connection error; 2 usage error (bad option, "
    "bad value, missing or invalid QASM file); 3 backend, job or saved account not found; "
    "4 job failed or was cancelled; 5 timed out waiting for a job; 130 interrupted."
)

app = typer.Typer(
    name="ibmq",
    help="Run circuits and manage jobs on IBM Quantum backends, or on the embedded local "
    "service (--local).",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
account_app = typer.Typer(
    help="The account saved on disk (~/.qiskit/qiskitrc, or $QISKITRC).",
    no_args_is_help=True,
)
app.add_typer(account_app, name="account")

_debug = False
"""``ibmq --verbose``: SDK logging on stderr, and tracebacks of unexpected errors."""

CONNECTION = "Connection"

Local = Annotated[
    bool,
    typer.Option(
        "--local",
        help="Use the embedded local service, started for the command.",
        rich_help_panel=CONNECTION,
    ),
]
DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="The local service's data directory (implies --local; default: a per-user one).",
        file_okay=False,
        rich_help_panel=CONNECTION,
    ),
]
Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="API token to use instead of the saved one (its URL stays, unless --url).",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
Url = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Authentication URL to use instead of the saved one (its token stays, unless "
        "--token).",
        rich_help_panel=CONNECTION,
        show_default=False,
    ),
]
Json = Annotated[
    bool,
    typer.Option("--json", help="Print machine-readable JSON on stdout, and nothing else."),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        min=0,
        help="Seconds to wait for the job at most (exit code 5 when it passes).",
        show_default=False,
    ),
]


class Status(StrEnum):
    """The job statuses ``ibmq jobs --status`` filters on (qiskit's ``JobStatus``)."""

    INITIALIZING = "INITIALIZING"
    QUEUED = "QUEUED"
    VALIDATING = "VALIDATING"
    RUNNING = "RUNNING"
    CANCELLED = "CANCELLED"
    DONE = "DONE"
    ERROR = "ERROR"


def main() -> None:
    """The ``ibmq`` console script."""
    app(prog_name="ibmq")


def _version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"ibmq {version('ibmq-async')}")
        except PackageNotFoundError:
            typer.echo("ibmq (not installed)")
        raise typer.Exit()


@app.callback()
def _options(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Log the SDK's requests on stderr, and show tracebacks of unexpected errors.",
        ),
    ] = False,
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    global _debug
    _debug = verbose
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        for name in ("ibmq_async", "ibmq_sync", "ibmq_cli"):
            logger = logging.getLogger(name)
            logger.setLevel(logging.DEBUG)
            logger.addHandler(handler)


# -- account ------------------------------------------------------------------------------------


def _masked(token: str) -> str:
    return f"{token[:4]}...{token[-4:]}" if len(token) > 12 else "****"


@account_app.command("save")
def account_save(
    token: Annotated[
        str | None,
        typer.Argument(
            help="The API token; read from stdin (or a hidden prompt) when left out, so it "
            "stays out of the shell history.",
            show_default=False,
        ),
    ] = None,
    url: Annotated[str, typer.Option(help="Authentication URL of the service.")] = QX_AUTH_URL,
    hub: Annotated[str | None, typer.Option(help="Default provider's hub.")] = None,
    group: Annotated[str | None, typer.Option(help="Default provider's group.")] = None,
    project: Annotated[str | None, typer.Option(help="Default provider's project.")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an account already saved.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Save an account (token and URL) for later commands and for IBMQ.load_account()."""
    out = Output(as_json)
    with reported(debug=_debug):
        if token is None:
            if sys.stdin.isatty():
                token = typer.prompt("Token", hide_input=True)
            else:
                token = sys.stdin.readline().strip()
        if not token:
            raise CliError("no token given", ExitCode.USAGE)
        file = IBMQFactory.account_file()
        if IBMQFactory.stored_account() and not overwrite:
            raise CliError(f"an account is already saved in {file}; pass --overwrite to replace it")
        IBMQFactory.save_account(
            token, url=url, hub=hub, group=group, project=project, overwrite=True
        )
        if as_json:
            out.json({"saved": True, "file": str(file), "url": url})
        else:
            out.out.print(f"Saved the account for {url} in {file}", markup=False)


@account_app.command("show")
def account_show(
    show_token: Annotated[
        bool, typer.Option("--show-token", help="Print the whole token, not only its ends.")
    ] = False,
    as_json: Json = False,
) -> None:
    """Show the saved account (the token masked unless --show-token)."""
    out = Output(as_json)
    with reported(debug=_debug):
        file = IBMQFactory.account_file()
        stored = IBMQFactory.stored_account()
        if not stored:
            raise CliError(f"no account is saved in {file}", ExitCode.NOT_FOUND)
        token = stored["token"] if show_token else _masked(stored["token"])
        if as_json:
            out.json({"file": str(file), "url": stored["url"], "token": token})
        else:
            out.out.print(f"File:  {file}\nURL:   {stored['url']}\nToken: {token}", markup=False)


@account_app.command("delete")
def account_delete(as_json: Json = False) -> None:
    """Delete the saved account."""
    out = Output(as_json)
    with reported(debug=_debug):
        file = IBMQFactory.account_file()
        IBMQFactory.delete_account()
        if as_json:
            out.json({"deleted": True, "file": str(file)})
        else:
            out.out.print(f"Deleted the account saved in {file}", markup=False)


# -- backends -----------------------------------------------------------------------------------


@app.command()
def backends(
    min_qubits: Annotated[
        int | None,
        typer.Option(
            "--min-qubits", min=0, help="Only backends with at least N qubits.", show_default=False
        ),
    ] = None,
    simulator: Annotated[
        bool | None,
        typer.Option(
            "--simulator/--no-simulator",
            help="Only simulators, or only devices (default: both).",
            show_default=False,
        ),
    ] = None,
    local: Local = False,
    data_dir: DataDir = None,
    token: Token = None,
    url: Url = None,
    as_json: Json = False,
) -> None:
    """List the backends of the account, with their status."""
    out = Output(as_json)
    with reported(debug=_debug), provider_for(Connection(local, data_dir, token, url)) as provider:
        filters: dict[str, Any] = {}
        if simulator is not None:
            filters["simulator"] = simulator
        with out.spinner("Asking each backend for its status"):
            found = provider.backends(min_num_qubits=min_qubits, **filters)
            rows = [backend_data(backend, backend.status()) for backend in found]
        if as_json:
            out.json(rows)
        else:
            show_backends(out, rows)


@app.command()
def status(
    backend: Annotated[str, typer.Argument(help="Backend name.", show_default=False)],
    local: Local = False,
    data_dir: DataDir = None,
    token: Token = None,
    url: Url = None,
    as_json: Json = False,
) -> None:
    """Show whether a backend is operational and how many jobs wait for it."""
    out = Output(as_json)
    with reported(debug=_debug), provider_for(Connection(local, data_dir, token, url)) as provider:
        data = status_data(_backend(provider, backend).status())
        if as_json:
            out.json(data)
        else:
            show_status(out, data)


@app.command()
def properties(
    backend: Annotated[str, typer.Argument(help="Backend name.", show_default=False)],
    local: Local = False,
    data_dir: DataDir = None,
    token: Token = None,
    url: Url = None,
    as_json: Json = False,
) -> None:
    """Show a device's calibration: per-qubit T1, T2, frequency, readout error, and gate
    errors. Simulators have none (JSON: null)."""
    out = Output(as_json)
    with reported(debug=_debug), provider_for(Connection(local, data_dir, token, url)) as provider:
        found = _backend(provider, backend).properties()
        if as_json:
            out.json(properties_data(found))
        elif found is None:
            out.out.print(f"{backend} has no calibration properties.", markup=False)
        else:
            show_properties(out, found)


# -- jobs ---------------------------------------------------------------------------------------


def _wait_for_result(out: Output, job: IBMQJob, timeout: float | None) -> Any:
    """Wait for the job with a spinner (at a terminal) and return its result."""
    job_id = job.job_id()
    if job.in_final_state():
        return job.result()
    try:
        with out.spinner(f"Waiting for job {job_id}", long=True) as update:

            def progress(_id: str, status: Any, _job: IBMQJob, queue: QueueInfo | None) -> None:
                where = f", {queue.position} in the queue" if queue and queue.position else ""
                update(f"Job {job_id}: {status.name}{where}")

            job.wait_for_final_state(timeout=timeout, callback=progress)
            return job.result()
    except KeyboardInterrupt:
        raise CliError(
            f"interrupted; job {job_id} goes on: `ibmq job {job_id} --result` gets its result",
            ExitCode.INTERRUPTED,
        ) from None


@app.command()
def run(
    file: Annotated[
        Path,
        typer.Argument(
            help="An OpenQASM 2 or 3 file (the version comes from its OPENQASM line).",
            dir_okay=False,
            show_default=False,
        ),
    ],
    backend: Annotated[
        str, typer.Option("--backend", "-b", help="Backend to run on.", show_default=False)
    ],
    shots: Annotated[
        int | None,
        typer.Option(min=1, help="Repetitions (default: the backend's).", show_default=False),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the job and print its counts.")
    ] = False,
    timeout: Timeout = None,
    name: Annotated[
        str | None, typer.Option("--name", help="A name for the job.", show_default=False)
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", help="A tag for the job (repeat for several).", show_default=False),
    ] = None,
    optimization_level: Annotated[
        int | None,
        typer.Option(
            "--optimization-level",
            "-O",
            min=0,
            max=3,
            help="Transpiler optimization level (default: qiskit's).",
            show_default=False,
        ),
    ] = None,
    local: Local = False,
    data_dir: DataDir = None,
    token: Token = None,
    url: Url = None,
    as_json: Json = False,
) -> None:
    """Transpile a QASM circuit for a backend and run it; print the job id, or with --wait
    its counts."""
    out = Output(as_json)
    with reported(debug=_debug):
        connection = Connection(local, data_dir, token, url)
        connection.check()
        circuit, qasm_version = load_circuit(file)
        with provider_for(connection) as provider:
            target = _backend(provider, backend)
            with out.spinner(f"Transpiling for {backend}"):
                compiled = _transpile(circuit, target, optimization_level, file)
            with out.spinner(f"Submitting to {backend}"):
                job = target.run(compiled, shots=shots, job_name=name, job_tags=tags or None)
            data = {**job_data(job), "qasm_version": qasm_version}
            if not wait:
                if as_json:
                    out.json(data)
                else:
                    out.out.print(
                        f"Job {job.job_id()} submitted to {backend}: {data['status']}",
                        markup=False,
                    )
                    out.note(f"`ibmq job {job.job_id()} --result` waits for its counts.")
                return
            out.note(f"Job {job.job_id()} submitted to {backend}.")
            result = _wait_for_result(out, job, timeout)
            data.update(job_data(job))
            data.update(result_data(result))
            if as_json:
                out.json(data)
            else:
                out.out.print(f"Job {job.job_id()} on {backend}: {data['status']}", markup=False)
                show_counts(out, data)


def _transpile(circuit: Any, backend: Any, level: int | None, file: Path) -> Any:
    from qiskit import transpile
    from qiskit.exceptions import QiskitError

    if not backend.configuration().simulator:
        backend.properties()  # error figures let the transpiler pick good qubits
    try:
        return transpile(circuit, backend=backend, optimization_level=level)
    except QiskitError as exc:
        message = " ".join(str(getattr(exc, "message", exc)).split())
        raise CliError(
            f"{file}: cannot be transpiled for {backend.name()}: {message}", ExitCode.USAGE
        ) from None


@app.command()
def jobs(
    backend: Annotated[
        str | None,
        typer.Option("--backend", "-b", help="Only jobs on this backend.", show_default=False),
    ] = None,
    status: Annotated[
        list[Status] | None,
        typer.Option(
            "--status",
            case_sensitive=False,
            help="Only jobs in this status (repeat for several).",
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="At most this many jobs; 0 for all.")
    ] = 10,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Only jobs whose name matches this regular expression.",
            show_default=False,
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", help="Only jobs with this tag (repeat: any of them).", show_default=False
        ),
    ] = None,
    local: Local = False,
    data_dir: DataDir = None,
    token: Token = None,
    url: Url = None,
    as_json: Json = False,
) -> None:
    """List jobs, newest first."""
    out = Output(as_json)
    with reported(debug=_debug), provider_for(Connection(local, data_dir, token, url)) as provider:
        found = provider.jobs(
            limit=limit or None,
            backend_name=backend,
            status=[str(item.value) for item in status] if status else None,
            job_name=name,
            job_tags=tags or None,
        )
        rows = [job_data(job) for job in found]
        if as_json:
            out.json(rows)
        else:
            show_jobs(out, rows)


@app.command()
def job(
    job_id: Annotated[str, typer.Argument(metavar="ID", help="Job id.", show_default=False)],
    result: Annotated[
        bool, typer.Option("--result", help="Wait for the job and print its counts.")
    ] = False,
    cancel: Annotated[bool, typer.Option("--cancel", help="Cancel the job.")] = False,
    timeout: Timeout = None,
    local: Local = False,
    data_dir: DataDir = None,
    token: Token = None,
    url: Url = None,
    as_json: Json = False,
) -> None:
    """Show a job; with --result wait for its counts, with --cancel cancel it."""
    out = Output(as_json)
    with reported(debug=_debug):
        if result and cancel:
            raise CliError("--result and --cancel cannot be used together", ExitCode.USAGE)
        with provider_for(Connection(local, data_dir, token, url)) as provider:
            found = _retrieve(provider, job_id)
            if cancel:
                if not found.cancel():
                    raise CliError(f"job {job_id} was not cancelled")
                data = {**job_data(found), "cancelled": True}
                if as_json:
                    out.json(data)
                else:
                    out.out.print(f"Cancelled job {job_id}: {data['status']}", markup=False)
                return
            if result:
                outcome = _wait_for_result(out, found, timeout)
                data = {**job_data(found), **result_data(outcome)}
                if as_json:
                    out.json(data)
                else:
                    show_job(out, data)
                    show_counts(out, data)
                return
            found.status()
            data = job_data(found)
            if data["status"] == Status.ERROR:
                data["error_message"] = found.error_message()
            if as_json:
                out.json(data)
            else:
                show_job(out, data)


def _backend(provider: AccountProvider, name: str) -> IBMQBackend:
    try:
        return provider.get_backend(name)
    except IBMQBackendNotFoundError:
        names = [backend.name() for backend in provider.backends()]
        close = difflib.get_close_matches(name, names, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CliError(
            f"no backend {name}{hint}; `ibmq backends` lists them", ExitCode.NOT_FOUND
        ) from None


def _retrieve(provider: AccountProvider, job_id: str) -> IBMQJob:
    try:
        found = provider.retrieve_job(job_id)
    except IBMQApiError as exc:
        if exc.status_code == 404:
            raise CliError(f"no job {job_id}", ExitCode.NOT_FOUND) from None
        raise
    return found
