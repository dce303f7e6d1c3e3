"""``jobs()`` arguments as LoopBack filters, and the keyset cursor of the next page.

protocol.md 5.2 says how each argument becomes a ``where`` clause and 5.4 how the next page
is asked for: never by offset past the first page, always by moving the creation-date bound to
the last job received and leaving out the jobs already seen at that date. No I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from qiskit.providers import JobStatus

from .dates import user_time_to_utc
from .exceptions import IBMQBackendValueError
from .statuses import ApiJobStatus

PAGE_SIZE = 100
"""The most jobs asked for in one page; a server may send fewer, which only costs a request."""

_STATUS_CLAUSES: dict[JobStatus, dict[str, Any]] = {
    JobStatus.INITIALIZING: {"status": {"inq": [ApiJobStatus.CREATING, ApiJobStatus.CREATED]}},
    JobStatus.VALIDATING: {"status": {"inq": [ApiJobStatus.VALIDATING, ApiJobStatus.VALIDATED]}},
    JobStatus.QUEUED: {"status": ApiJobStatus.QUEUED},
    JobStatus.RUNNING: {"status": ApiJobStatus.RUNNING},
    JobStatus.CANCELLED: {"status": ApiJobStatus.CANCELLED},
    JobStatus.DONE: {"status": ApiJobStatus.COMPLETED},
    JobStatus.ERROR: {"status": {"regexp": "^ERROR"}},
}

ACTIVE_STATUSES = (
    JobStatus.INITIALIZING,
    JobStatus.VALIDATING,
    JobStatus.QUEUED,
    JobStatus.RUNNING,
)
"""What ``active_jobs()`` lists."""


def job_status(value: Any) -> JobStatus:
    """A ``JobStatus``, or a string naming one (any case).

    Raises:
        IBMQBackendValueError: for anything else.
    """
    if isinstance(value, JobStatus):
        return value
    if isinstance(value, str) and value.upper() in JobStatus.__members__:
        return JobStatus[value.upper()]
    raise IBMQBackendValueError(
        f'"{value}" is not a valid status value. Valid values are '
        f"{', '.join(JobStatus.__members__)}"
    )


def _utc(moment: Any, name: str) -> str:
    if not isinstance(moment, datetime):
        raise IBMQBackendValueError(f"{name} must be a datetime, not {moment!r}.")
    return user_time_to_utc(moment).isoformat()


def _tags(job_tags: Any) -> list[str]:
    if not isinstance(job_tags, list) or not all(isinstance(tag, str) for tag in job_tags):
        raise IBMQBackendValueError(f"job_tags needs to be a list of strings, not {job_tags!r}.")
    return list(job_tags)


_JOB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
MAX_JOB_ID_LENGTH = 128
"""Job ids are 24 hexadecimal digits on IBM Quantum and on the local service; anything much
longer, or with characters that mean something in a URL, cannot be one."""


def check_job_id(job_id: Any) -> str:
    """``job_id`` if it can be a job id: a non-empty string of letters, digits, ``.``, ``_``,
    ``:`` and ``-``, at most :data:`MAX_JOB_ID_LENGTH` long.

    Raises:
        IBMQBackendValueError: for anything else; nothing is sent.
    """
    if not isinstance(job_id, str) or not job_id:
        raise IBMQBackendValueError(f"job_id must be a non-empty string, not {job_id!r}.")
    if len(job_id) > MAX_JOB_ID_LENGTH:
        raise IBMQBackendValueError(
            f"job_id is {len(job_id)} characters long; a job id has at most {MAX_JOB_ID_LENGTH}."
        )
    if not _JOB_ID.fullmatch(job_id):
        raise IBMQBackendValueError(
            f"{job_id!r} is not a valid job id: use letters, digits, '.', '_', ':' and '-'."
        )
    return job_id


def _plain(value: Any) -> Any:
    """``value`` with ``ApiJobStatus`` members as their strings, for ``json.dumps``."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return str(value) if isinstance(value, ApiJobStatus) else value


def jobs_where(
    *,
    backend_name: str | None = None,
    status: Any = None,
    job_name: Any = None,
    start_datetime: Any = None,
    end_datetime: Any = None,
    job_tags: Any = None,
    job_tags_operator: Any = "OR",
    experiment_id: Any = None,
    db_filter: Any = None,
) -> dict[str, Any]:
    """The ``where`` clause of a job listing (protocol.md 5.2).

    Raises:
        IBMQBackendValueError: a bad argument; nothing is sent.
    """
    where: dict[str, Any] = {}
    if backend_name is not None:
        where["backend.name"] = backend_name
    if status is not None:
        statuses = status if isinstance(status, list | tuple) else [status]
        clauses = [_STATUS_CLAUSES[job_status(s)] for s in statuses]
        if isinstance(status, list | tuple):
            if clauses:
                where["or"] = clauses
        else:
            where.update(clauses[0])
    if job_name is not None:
        if not isinstance(job_name, str):
            raise IBMQBackendValueError(f"job_name must be a string, not {job_name!r}.")
        try:
            # The server's dialect may differ in details; a pattern no dialect accepts is
            # refused here rather than by the server.
            re.compile(job_name)
        except re.error as exc:
            raise IBMQBackendValueError(
                f"job_name {job_name!r} is not a regular expression: {exc}."
            ) from None
        where["name"] = {"regexp": job_name}
    if start_datetime is not None and end_datetime is not None:
        start, end = _utc(start_datetime, "start_datetime"), _utc(end_datetime, "end_datetime")
        if user_time_to_utc(start_datetime) > user_time_to_utc(end_datetime):
            raise IBMQBackendValueError(
                f"start_datetime {start_datetime} is after end_datetime {end_datetime}."
            )
        where["creationDate"] = {"between": [start, end]}
    elif start_datetime is not None:
        where["creationDate"] = {"gte": _utc(start_datetime, "start_datetime")}
    elif end_datetime is not None:
        where["creationDate"] = {"lte": _utc(end_datetime, "end_datetime")}
    if job_tags is not None:
        tags = _tags(job_tags)
        operator = job_tags_operator.upper() if isinstance(job_tags_operator, str) else None
        if operator == "OR":
            where["tags"] = {"inq": tags}
        elif operator == "AND":
            where["and"] = [{"tags": tag} for tag in tags]
        else:
            raise IBMQBackendValueError(
                f'"{job_tags_operator}" is not a valid job_tags_operator value. '
                'Valid values are "AND" and "OR".'
            )
    if experiment_id is not None:
        if not isinstance(experiment_id, str):
            raise IBMQBackendValueError(f"experiment_id must be a string, not {experiment_id!r}.")
        where["experimentTag"] = experiment_id
    if db_filter is not None:
        where = _merge_db_filter(db_filter, where)
    return where


def _merge_db_filter(db_filter: Any, where: dict[str, Any]) -> dict[str, Any]:
    """A raw ``db_filter`` merged under the argument-derived clauses (they win on conflicts);
    its ``and``/``or`` lists are appended to theirs."""
    if not isinstance(db_filter, Mapping):
        raise IBMQBackendValueError(f"db_filter must be a dict, not {db_filter!r}.")
    try:
        json.dumps(db_filter)
    except (TypeError, ValueError) as exc:
        raise IBMQBackendValueError(f"db_filter is not JSON data: {exc}") from None
    merged = dict(where)
    for key in ("and", "or"):
        extra = db_filter.get(key)
        if extra is None:
            continue
        if not isinstance(extra, list):
            raise IBMQBackendValueError(f"db_filter['{key}'] must be a list.")
        merged[key] = [*merged.get(key, []), *extra]
    return {**db_filter, **merged}


def _page(order: str, limit: int, where: Mapping[str, Any], skip: int = 0) -> dict[str, Any]:
    page: dict[str, Any] = {"order": order, "limit": limit, "skip": skip}
    if where:
        page["where"] = _plain(dict(where))
    return page


@dataclass
class JobsCursor:
    """Walks a job listing page by page (protocol.md 5.4).

    Feed each page received to :meth:`advance`; :meth:`next_filter` is the filter of the next
    page to ask for, or ``None`` when the listing is complete.
    """

    where: dict[str, Any]
    limit: int | None = None
    skip: int = 0
    descending: bool = True
    page_size: int = PAGE_SIZE
    seen: int = 0
    _last_date: str | None = None
    _ids_at_last_date: list[str] = field(default_factory=list)
    _done: bool = False

    def __post_init__(self) -> None:
        if self.limit is not None and (
            not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 0
        ):
            raise IBMQBackendValueError(
                f"limit must be a non-negative integer, not {self.limit!r}."
            )
        if not isinstance(self.skip, int) or isinstance(self.skip, bool) or self.skip < 0:
            raise IBMQBackendValueError(f"skip must be a non-negative integer, not {self.skip!r}.")
        if not isinstance(self.page_size, int) or self.page_size < 1:
            raise IBMQBackendValueError(
                f"page_size must be a positive integer, not {self.page_size!r}."
            )
        if not isinstance(self.descending, bool):
            raise IBMQBackendValueError(f"descending must be a bool, not {self.descending!r}.")
        if self.limit == 0:
            self.limit = None

    @property
    def order(self) -> str:
        """The ``order`` of every page."""
        return "creationDate DESC" if self.descending else "creationDate ASC"

    def _remaining(self) -> int:
        if self.limit is None:
            return self.page_size
        return min(self.limit - self.seen, self.page_size)

    def next_filter(self) -> dict[str, Any] | None:
        """The filter of the next page, or ``None`` when there is nothing more to ask for."""
        if self._done or (self.limit is not None and self.seen >= self.limit):
            return None
        if self._last_date is None:
            return _page(self.order, self._remaining(), self.where, self.skip)
        return _page(self.order, self._remaining(), self._after_last())

    def advance(self, page: Sequence[tuple[str, str]]) -> None:
        """Record a page received, as ``(id, creationDate)`` pairs in the order received."""
        if not page:
            self._done = True
            return
        self.seen += len(page)
        last_date = page[-1][1]
        same = [job_id for job_id, date in page if date == last_date]
        if last_date == self._last_date:
            same = [*self._ids_at_last_date, *same]
        self._last_date = last_date
        self._ids_at_last_date = same

    def _after_last(self) -> dict[str, Any]:
        assert self._last_date is not None
        where = dict(self.where)
        given = where.pop("creationDate", None)
        bound: dict[str, Any] = given if isinstance(given, dict) else {}
        if given is not None and not set(bound) <= {"gte", "lte", "between"}:
            # A constraint of the caller's own (db_filter) stays, beside the cursor's.
            where["and"] = [*where.get("and", []), {"creationDate": given}]
            bound = {}
        last = self._last_date
        if self.descending:
            start = bound.get("gte") or (bound.get("between") or [None])[0]
            where["creationDate"] = {"between": [start, last]} if start else {"lte": last}
        else:
            end = bound.get("lte") or (bound.get("between") or [None, None])[1]
            where["creationDate"] = {"between": [last, end]} if end else {"gte": last}
        seen = {"id": {"nin": list(self._ids_at_last_date)}}
        if "id" in where:
            where["and"] = [*where.get("and", []), seen, {"id": where.pop("id")}]
        else:
            where.update(seen)
        return where


def page_keys(documents: Iterable[Any]) -> list[tuple[str, str]]:
    """``(id, creationDate)`` of raw job documents, for :meth:`JobsCursor.advance`."""
    return [(str(d.get("id")), str(d.get("creationDate"))) for d in documents]
