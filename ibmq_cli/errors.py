"""Exit codes, and turning any failure into one ``error: ...`` line on stderr and its code."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

import click
import typer

from ibmq_sync.exceptions import (
    IBMQAccountCredentialsNotFound,
    IBMQApiError,
    IBMQBackendNotFoundError,
    IBMQError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
    IBMQJobTimeoutError,
)

logger = logging.getLogger(__name__)


class ExitCode(IntEnum):
    """What ``ibmq`` exits with; scripts may rely on these."""

    OK = 0
    """The command did what it was asked."""
    ERROR = 1
    """The service, the account or the connection failed (API errors, refused tokens, ...)."""
    USAGE = 2
    """Bad options or arguments (typer's own code), an invalid value, or a QASM file that is
    missing, unreadable, invalid or that does not fit the backend."""
    NOT_FOUND = 3
    """No such backend, job or saved account."""
    JOB_FAILED = 4
    """The job failed or was cancelled, so it has no result."""
    TIMEOUT = 5
    """The job did not finish within ``--timeout``."""
    INTERRUPTED = 130
    """Ctrl-C (SIGINT)."""


class CliError(Exception):
    """A failure the command line reports itself, with the exit code to use."""

    def __init__(self, message: str, code: ExitCode = ExitCode.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def exit_code(error: BaseException) -> ExitCode:
    """The exit code for an error that ended a command."""
    if isinstance(error, CliError):
        return error.code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(error, IBMQBackendNotFoundError | IBMQAccountCredentialsNotFound):
        return ExitCode.NOT_FOUND
    if isinstance(error, IBMQApiError) and error.status_code == 404:
        return ExitCode.NOT_FOUND
    if isinstance(error, IBMQJobTimeoutError):
        return ExitCode.TIMEOUT
    if isinstance(error, IBMQJobFailureError | IBMQJobInvalidStateError):
        return ExitCode.JOB_FAILED
    if isinstance(error, ValueError):  # IBMQBackendValueError, IBMQAccountValueError
        return ExitCode.USAGE
    return ExitCode.ERROR


def one_line(error: BaseException) -> str:
    """The error's message on one line.

    qiskit's errors render ``str()`` as a quoted repr, so their ``message`` is used instead.
    """
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    message = getattr(error, "message", None)
    text = message if isinstance(message, str) and message else str(error)
    if not text:
        text = type(error).__name__
    elif not isinstance(error, CliError | IBMQError):
        text = f"{type(error).__name__}: {text}"
    return " ".join(text.split())


def fail(error: BaseException) -> typer.Exit:
    """Print ``error: ...`` on stderr and return the ``typer.Exit`` to raise."""
    sys.stdout.flush()
    print(f"error: {one_line(error)}", file=sys.stderr, flush=True)
    return typer.Exit(int(exit_code(error)))


@contextmanager
def reported(*, debug: bool = False) -> Iterator[None]:
    """Run a command body, turning any failure into one line on stderr and an exit code.

    With ``debug`` (``ibmq --verbose``), an unexpected error keeps its traceback.
    """
    try:
        yield
    except (click.exceptions.Exit, click.ClickException, click.Abort):
        raise
    except (CliError, IBMQError, KeyboardInterrupt, OSError) as exc:
        raise fail(exc) from None
    except Exception as exc:
        if debug:
            raise
        logger.debug("unexpected error", exc_info=True)
        raise fail(exc) from None
