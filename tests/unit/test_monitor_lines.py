"""The text of the job and job-set monitors (``_core/monitor_lines.py``), without I/O."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from qiskit.providers import JobStatus

from ibmq_async import IBMQJobInvalidStateError
from ibmq_async._core.models import QueueInfo
from ibmq_async._core.monitor_lines import (
    StatusLine,
    check_monitor_arguments,
    job_line,
    job_set_line,
    status_counts,
    wait_time,
)

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_wait_time_reads_like_a_clock_and_never_goes_negative() -> None:
    assert wait_time(NOW + timedelta(seconds=7), NOW) == "7s"
    assert wait_time(NOW + timedelta(minutes=2, seconds=5), NOW) == "2m 05s"
    assert wait_time(NOW + timedelta(hours=1, minutes=2, seconds=3), NOW) == "1h 02m 03s"
    assert wait_time(NOW - timedelta(minutes=5), NOW) == "0s"


def test_a_job_line_shows_the_status_and_while_queued_the_position() -> None:
    assert job_line(JobStatus.RUNNING) == "Job Status: job is actively running"
    assert job_line(JobStatus.DONE) == "Job Status: job has successfully run"
    queued = QueueInfo(position=3, estimated_start_time=NOW + timedelta(seconds=90))
    assert job_line(JobStatus.QUEUED, queued, now=NOW) == (
        "Job Status: job is queued (3) [Est. wait time: 1m 30s]"
    )
    assert job_line(JobStatus.QUEUED, QueueInfo(position=1)) == "Job Status: job is queued (1)"
    assert job_line(JobStatus.QUEUED, QueueInfo()) == "Job Status: job is queued"
    # Queue figures of a job no longer queued are stale: left out.
    assert job_line(JobStatus.RUNNING, queued, now=NOW) == "Job Status: job is actively running"


def test_a_failed_job_line_says_why_on_one_line() -> None:
    error = "Circuit too deep.\nSee the docs. Error code: 1234."
    assert job_line(JobStatus.ERROR, error=error) == (
        "Job Status: job incurred error - Circuit too deep. See the docs. Error code: 1234."
    )
    assert job_line(JobStatus.DONE, error=error) == "Job Status: job has successfully run"
    assert job_line(JobStatus.ERROR) == "Job Status: job incurred error"


def test_a_job_set_line_counts_jobs_in_the_order_they_progress() -> None:
    statuses = [JobStatus.DONE, JobStatus.QUEUED, None, JobStatus.RUNNING, JobStatus.DONE]
    assert status_counts(statuses) == {"not submitted": 1, "queued": 1, "running": 1, "done": 2}
    assert list(status_counts(statuses)) == ["not submitted", "queued", "running", "done"]
    assert job_set_line(statuses) == (
        "Job Set Status: 5 jobs: 1 not submitted, 1 queued, 1 running, 2 done"
    )
    assert job_set_line([JobStatus.ERROR]) == "Job Set Status: 1 job: 1 error"
    assert job_set_line([]) == "Job Set Status: 0 jobs"


def test_the_status_line_is_redrawn_in_place_only_when_it_changes() -> None:
    line = StatusLine()
    assert line.finish() == ""  # nothing drawn, nothing to end
    assert line.update("Job Status: job is queued (12)") == "\rJob Status: job is queued (12)"
    assert line.update("Job Status: job is queued (12)") is None
    # A shorter line is padded so nothing of the longer one stays visible.
    assert line.update("Job Status: job is queued (9)") == "\rJob Status: job is queued (9) "
    assert line.update("Job Status: done") == "\r" + "Job Status: done".ljust(30)
    assert line.last == "Job Status: done"
    assert line.finish() == "\n"
    assert StatusLine(line_discipline="\n").update("x") == "\nx"


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"interval": 0}, "interval"),
        ({"interval": -1.0}, "interval"),
        ({"interval": float("inf")}, "interval"),
        ({"interval": True}, "interval"),
        ({"interval": "5"}, "interval"),
        ({"timeout": -0.1}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": "10"}, "timeout"),
        ({"quiet": 1}, "quiet"),
        ({"quiet": None}, "quiet"),
        ({"output": "out.txt"}, "output"),
        ({"output": object()}, "output"),
    ],
)
def test_bad_monitor_arguments_are_named(arguments: dict[str, object], named: str) -> None:
    given: dict[str, object] = {"interval": None, "timeout": None, "quiet": False, "output": None}
    given.update(arguments)
    with pytest.raises(IBMQJobInvalidStateError, match=named):
        check_monitor_arguments(**given, error=IBMQJobInvalidStateError)


def test_good_monitor_arguments_pass() -> None:
    check_monitor_arguments(None, None, False, None, IBMQJobInvalidStateError)
    check_monitor_arguments(0.5, 0, True, io.StringIO(), IBMQJobInvalidStateError)
    check_monitor_arguments(2, 30.0, False, io.StringIO(), IBMQJobInvalidStateError)
