"""The embedded service in a person's session, through the blocking facade, in subprocesses.

Each case is a script run with ``sys.executable`` on a temporary data directory:

- Ctrl-C during ``job.result()`` stops the wait only: the job, the service and the
  provider go on (SIGINT to the process group, as a terminal sends it, and to the process
  alone, as Jupyter's "Interrupt kernel" does).
- Two processes on one data directory both run jobs: the second uses the first one's
  service, and serves in its place once the first exits; ``ibmq-local serve`` on that
  directory refuses in one line.
- A script that exits with jobs unfinished exits at once and quietly; its jobs wait in the
  data directory, queued, and the next process on it runs them.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HANG_GUARD = 120
"""Seconds after which a subprocess counts as hung (never reached when things work)."""

PRELUDE = """
import sys, time
from qiskit import QuantumCircuit
from qiskit.providers import JobStatus
from ibmq_sync import IBMQ

bell = QuantumCircuit(2, 2)
bell.h(0)
bell.cx(0, 1)
bell.measure([0, 1], [0, 1])
provider = IBMQ.enable_local(data_dir=sys.argv[1])
backend = provider.get_backend("ibmq_qasm_simulator")


def say(*words):
    print(*words, flush=True)


def wait_until_running(job):
    while job.status() is not JobStatus.RUNNING:
        time.sleep(0.02)
"""

INTERRUPTED_WAIT = (
    PRELUDE
    + """
job = backend.run(bell, shots=20)
# Running: the first worker process is starting, which takes a second or two.
wait_until_running(job)
try:
    say("waiting")
    job.result(timeout=120)
    say("not interrupted")
except KeyboardInterrupt:
    say("interrupted")
say("first", sum(job.result(timeout=120).get_counts().values()))
say("second", sum(backend.run(bell, shots=30).result(timeout=120).get_counts().values()))
"""
)

SHARED_SESSION = (
    PRELUDE
    + """
from ibmq_local import embedded_service

say("attached" if embedded_service(sys.argv[1]).attached else "serving")
for command in sys.stdin:
    if command.strip() != "run":
        break
    say("counts", sum(backend.run(bell, shots=40).result(timeout=120).get_counts().values()))
say("bye")
"""
)

EXIT_WITH_JOBS_UNFINISHED = (
    PRELUDE
    + """
jobs = [backend.run(bell, shots=50) for _ in range(4)]
wait_until_running(jobs[0])
say(*(job.job_id() for job in jobs))
# The script ends here, one job running and three queued.
"""
)

RESUME = (
    PRELUDE
    + """
for job_id in sys.argv[2:]:
    job = provider.backend.retrieve_job(job_id)
    say(job_id, sum(job.result(timeout=120).get_counts().values()))
"""
)


def _script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    return path


@contextmanager
def _process(
    script: Path, *args: str, stdin: bool = False, new_session: bool = False
) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, str(script), *args],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        if process.stdout is not None and not process.stdout.closed:  # not collected yet
            process.communicate()


def _line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        _, stderr = process.communicate(timeout=HANG_GUARD)
        pytest.fail(f"the script ended early (status {process.returncode}):\n{stderr}")
    return line.strip()


def _ask(process: subprocess.Popen[str], command: str) -> str:
    assert process.stdin is not None
    process.stdin.write(command + "\n")
    process.stdin.flush()
    return _line(process)


def _finish(process: subprocess.Popen[str], command: str | None = None) -> tuple[str, str]:
    """Let the script end (sending ``command`` first); return the rest of stdout, stderr."""
    message = command + "\n" if command is not None else None
    stdout, stderr = process.communicate(message, timeout=HANG_GUARD)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    return stdout, stderr


def _statuses(data_dir: Path) -> dict[str, str]:
    with sqlite3.connect(data_dir / "jobs.sqlite3") as database:
        return dict(database.execute("SELECT id, status FROM jobs").fetchall())


@pytest.mark.parametrize("target", ["process group", "process"])
def test_ctrl_c_during_result_stops_only_the_wait(tmp_path: Path, target: str) -> None:
    script = _script(tmp_path, "interrupted_wait", INTERRUPTED_WAIT)
    with _process(script, str(tmp_path / "data"), new_session=True) as process:
        assert _line(process) == "waiting"
        if target == "process group":  # Ctrl-C in a terminal: the workers get it too
            os.killpg(process.pid, signal.SIGINT)
        else:  # Jupyter's "Interrupt kernel"
            process.send_signal(signal.SIGINT)
        assert _line(process) == "interrupted"
        stdout, _ = _finish(process)
    assert stdout.split("\n")[:2] == ["first 20", "second 30"]


def test_two_processes_share_one_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    script = _script(tmp_path, "shared_session", SHARED_SESSION)
    with (
        _process(script, str(data_dir), stdin=True) as first,
        _process(script, str(data_dir), stdin=True) as second,
    ):
        roles = _line(first), _line(second)
        assert sorted(roles) == ["attached", "serving"], "one serves, the other uses it"
        owner, other = (first, second) if roles[0] == "serving" else (second, first)
        assert _ask(first, "run") == "counts 40"
        assert _ask(second, "run") == "counts 40"

        refused = subprocess.run(
            [sys.executable, "-m", "ibmq_local", "serve", "--port", "0", "--data-dir", data_dir],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
        assert refused.returncode == 1
        assert refused.stdout == ""
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "in use by another ibmq-local service" in refused.stderr

        # The process that serves leaves first: the other one serves in its place, at the
        # address its provider already uses.
        assert _finish(owner, "quit")[0].strip() == "bye"
        assert _ask(other, "run") == "counts 40"
        assert _finish(other, "quit")[0].strip() == "bye"


def test_exit_with_jobs_unfinished_is_prompt_and_quiet(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    script = _script(tmp_path, "exit_with_jobs_unfinished", EXIT_WITH_JOBS_UNFINISHED)
    with _process(script, str(data_dir)) as process:
        job_ids = _line(process).split()
        _, stderr = _finish(process)
    assert stderr == ""
    # Exit neither waited for the running job nor ran (or failed) the queued ones: they
    # all wait in the data directory, the one that was running queued again.
    assert _statuses(data_dir) == dict.fromkeys(job_ids, "QUEUED")

    resume = _script(tmp_path, "resume", RESUME)
    with _process(resume, str(data_dir), *job_ids) as process:
        stdout, _ = _finish(process)
    assert stdout.split() == [word for job_id in job_ids for word in (job_id, "50")]
    assert _statuses(data_dir) == dict.fromkeys(job_ids, "COMPLETED")
