"""Access to the embedded local service, which needs the ``local`` extra."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ._core.defaults import local_extra_command
from ._core.exceptions import IBMQLocalServiceError

if TYPE_CHECKING:
    from ibmq_local.service import LocalService


def embedded(data_dir: Path | None) -> LocalService:
    """The process-wide embedded service for ``data_dir``, started on first use.

    When another process already serves ``data_dir`` (another notebook, a script,
    ``ibmq-local serve``), this one uses that service over loopback, and serves the data
    directory itself if that process ends first.

    Raises:
        IBMQLocalServiceError: the ``local`` extra is missing, or the service could not
            start (the message says why, on one line).
    """
    try:
        from ibmq_local.service import DataDirInUse, ServiceStartError, embedded_service
    except ImportError as exc:
        missing = f" ({exc.name} is missing)" if exc.name else ""
        command = local_extra_command(Path(__file__).parent)
        raise IBMQLocalServiceError(
            f"The embedded local service needs the 'local' extra{missing}: {command}"
        ) from exc
    try:
        return embedded_service(data_dir)
    except OSError as exc:
        raise IBMQLocalServiceError(f"Could not start the local service: {exc}") from exc
    except (ServiceStartError, DataDirInUse) as exc:
        # The cause is in the message; its traceback is the service's, not the caller's.
        raise IBMQLocalServiceError(f"Could not start the local service: {exc}") from None
