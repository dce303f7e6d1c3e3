"""HTML summaries of providers, backends, jobs and job sets, for Jupyter's ``_repr_html_``.

No I/O: Jupyter calls ``_repr_html_`` synchronously, so each object passes what it already
holds, and these functions render it. Every value is escaped; the markup is a plain table
with inline styles only (no script, no stylesheet, nothing fetched).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime

from qiskit.providers import JobStatus

from .models import BackendConfiguration, BackendProperties, JobDocument, QueueInfo
from .monitor_lines import status_counts
from .statuses import ApiJobStatus, to_job_status

Row = tuple[str, object]
"""A label and its value (``None`` rows are left out)."""

_BOX = "display:inline-block;border:1px solid #bbb;border-radius:4px;padding:4px 8px"
_CELL = "text-align:left;padding:1px 12px 1px 0"


def _text(value: object) -> str:
    """``value`` as escaped text: lists are joined with commas, datetimes shown to the
    second in the caller's local time."""
    if isinstance(value, datetime):
        value = value.astimezone().isoformat(sep=" ", timespec="seconds")
    elif isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value) if value else "none"
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    return html.escape(str(value), quote=True)


def render(title: str, rows: Iterable[Row]) -> str:
    """A titled two-column table; rows whose value is ``None`` are left out."""
    body = "".join(
        f'<tr><th style="{_CELL}">{_text(label)}</th><td style="{_CELL}">{_text(value)}</td></tr>'
        for label, value in rows
        if value is not None
    )
    return (
        f'<div style="{_BOX}"><strong>{_text(title)}</strong>'
        f'<table style="border-collapse:collapse;margin:0">{body}</table></div>'
    )


def provider_html(title: str, hub: str, group: str, project: str, backends: int) -> str:
    """A provider: its hub/group/project and how many backends it serves."""
    return render(
        title,
        [("hub", hub), ("group", group), ("project", project), ("backends", backends)],
    )


def backend_html(
    title: str,
    config: BackendConfiguration,
    *,
    provider: str | None = None,
    retired: bool = False,
    properties: BackendProperties | None = None,
    job_limit: int | None = None,
    unfinished_jobs: int | None = None,
) -> str:
    """A backend, from its configuration and what else is known without a request.

    Args:
        title: the class name shown on top.
        config: the backend's configuration.
        provider: its hub/group/project.
        retired: the backend is no longer served (its status is then known).
        properties: its calibration, if fetched already.
        job_limit: jobs allowed at once (``-1``: no limit), if a report arrived already.
        unfinished_jobs: the unfinished jobs counted against that limit.
    """
    kind = "retired" if retired else "simulator" if config.simulator else "device"
    limit: str | None = None
    if job_limit is not None:
        limit = "none" if job_limit < 0 else str(job_limit)
        if unfinished_jobs is not None:
            limit += f" ({unfinished_jobs} unfinished)"
    rows: list[Row] = [
        ("name", config.backend_name),
        ("provider", provider),
        ("kind", kind),
        ("status", "not operational: no longer available" if retired else None),
        ("qubits", config.n_qubits),
        ("version", config.backend_version),
        ("basis gates", list(config.basis_gates)),
        ("max shots", None if retired else config.max_shots),
        ("max experiments per job", config.max_experiments),
        ("job limit", limit),
        ("calibrated", properties.last_update_date if properties is not None else None),
    ]
    return render(title, rows)


def job_html(
    title: str,
    document: JobDocument,
    *,
    api_status: ApiJobStatus,
    backend: str,
    tags: Sequence[str],
    queue_info: QueueInfo | None,
) -> str:
    """A job, as last seen: its document, the status and queue position seen last (they may
    be newer than the document), and its ``tags`` without the SDK's internal ones."""
    status = to_job_status(api_status)
    position = queue_info.position if queue_info is not None else None
    estimate = queue_info.estimated_start_time if queue_info is not None else None
    queued = status is JobStatus.QUEUED
    rows: list[Row] = [
        ("id", document.id),
        ("backend", backend),
        ("status", f"{status.name} ({api_status.value})"),
        ("name", document.name),
        ("tags", list(tags)),
        ("created", document.creation_date),
        ("queue position", position if queued else None),
        ("estimated start", estimate if queued else None),
        ("error", document.error.describe() if document.error is not None else None),
    ]
    return render(title, rows)


def job_set_html(
    title: str,
    job_set_id: str,
    name: str,
    *,
    backend: str | None,
    tags: Sequence[str],
    statuses: Sequence[JobStatus | None],
    has_results: bool = False,
) -> str:
    """A job set: its id, name, backend and how many of its jobs were last seen in each
    status (``None``: a job that never reached the server)."""
    counts = status_counts(statuses)
    by_status = ", ".join(f"{count} {status}" for status, count in counts.items())
    rows: list[Row] = [
        ("id", job_set_id),
        ("name", name),
        ("backend", backend),
        ("tags", list(tags)),
        ("jobs", len(statuses)),
        ("jobs by status", by_status or None),
        ("results", "fetched" if has_results else None),
    ]
    return render(title, rows)


def managed_results_html(
    title: str, backend: str, experiments: int, jobs: int, with_results: int, success: bool
) -> str:
    """The results of a job set: how many experiments and jobs, and whether all succeeded."""
    return render(
        title,
        [
            ("backend", backend),
            ("experiments", experiments),
            ("jobs with results", f"{with_results} of {jobs}"),
            ("success", success),
        ],
    )
