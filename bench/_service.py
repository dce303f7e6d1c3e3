"""The one local service a benchmark run measures against, and where the legacy client lives.

The service runs in a child process (``python -m ibmq_local serve``), not in a thread of the
benchmark: in-process, its request handling would compete with the client under measurement
for the GIL, and the legacy client (which runs in a process of its own) would get an unfair
advantage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ServiceError(RuntimeError):
    """The local service did not start."""


@dataclass(frozen=True)
class Service:
    """How to reach a running service."""

    auth_url: str
    token: str
    job_limit: int
    pid: int | None = None
    """The service's process id (for its CPU time), when it runs in a process of its own."""

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the service and its worker processes (Linux only)."""
        return None if self.pid is None else process_tree_cpu(self.pid)


def service_config(
    job_limit: int,
    backends: Mapping[str, Mapping[str, object]] | None = None,
    workers: int | None = None,
) -> dict[str, object]:
    """The ``config.json`` of the service: the default user's project and its job limit
    (``-1``: none), operator overrides of ``backends`` (e.g.
    ``{"ibmq_lima": {"status": "internal"}}``) and ``max_workers`` (the service's default
    when ``None``)."""
    config: dict[str, object] = {
        "default_user": {"projects": [{"is_default": True, "max_jobs": job_limit}]}
    }
    if backends:
        config["backends"] = {name: dict(value) for name, value in backends.items()}
    if workers is not None:
        config["max_workers"] = workers
    return config


@contextmanager
def local_service(
    job_limit: int = 10,
    *,
    backends: Mapping[str, Mapping[str, object]] | None = None,
    seed: Callable[[Path], object] | None = None,
    workers: int | None = None,
) -> Iterator[Service]:
    """Start ``ibmq-local serve`` on a free loopback port with a fresh data directory; stop it
    (and remove the directory) on exit.

    Args:
        backends: operator overrides of backends, as :func:`service_config` writes them.
        seed: called with the data directory (configured, not yet served), e.g. to write jobs
            straight into its job store.
        workers: the service's ``max_workers`` (its default when ``None``).
    """
    with tempfile.TemporaryDirectory(prefix="ibmq-bench-") as data_dir:
        Path(data_dir, "config.json").write_text(
            json.dumps(service_config(job_limit, backends, workers))
        )
        if seed is not None:
            seed(Path(data_dir))
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ibmq_local",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                data_dir,
                "--log-level",
                "warning",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            url, token = _read_address(process)
            yield Service(url, token, job_limit, process.pid)
        finally:
            _stop(process)


def _read_address(process: subprocess.Popen[str]) -> tuple[str, str]:
    assert process.stdout is not None
    found: dict[str, str] = {}
    seen: list[str] = []
    timer = threading.Timer(START_TIMEOUT, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            seen.append(line)
            key, _, value = line.partition(":")
            if key in ("auth url", "token"):
                found[key] = value.strip()
            if len(found) == 2:
                break
    finally:
        timer.cancel()
    if len(found) != 2:
        raise ServiceError("ibmq-local serve did not start:\n" + "".join(seen))
    # Keep draining its output so a chatty service never blocks on a full pipe.
    threading.Thread(target=_drain, args=(process,), daemon=True).start()
    return found["auth url"], found["token"]


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _ in process.stdout:
        pass


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def process_tree_cpu(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` and its live descendants, from ``/proc``;
    ``None`` where there is no ``/proc``."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    parents: dict[int, int] = {}
    times: dict[int, int] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        # The command name (field 2) may hold spaces: split after its closing parenthesis.
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = int(fields[11]) + int(fields[12])
    if pid not in times:
        return None
    tree = {pid}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                grew = True
    return sum(times[p] for p in tree) / ticks


def legacy_python(explicit: str | None = None) -> Path | None:
    """The interpreter of an environment with qiskit-ibmq-provider 0.20.2, or ``None``.

    Looked for in order: ``explicit``, ``$IBMQ_BENCH_LEGACY_PYTHON``, then the virtual
    environment the ``compat`` nox session builds (``.nox/compat/tmp/legacy-venv``) and
    ``.nox/compat`` itself, keeping the first that can import the legacy provider.
    """
    root = Path(__file__).resolve().parent.parent
    candidates = [
        explicit,
        os.environ.get("IBMQ_BENCH_LEGACY_PYTHON"),
        str(root / ".nox" / "compat" / "tmp" / "legacy-venv" / "bin" / "python"),
        str(root / ".nox" / "compat" / "bin" / "python"),
    ]
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-c", "import qiskit.providers.ibmq"],
            capture_output=True,
            timeout=120,
            check=False,
        )
        if probe.returncode == 0:
            return Path(candidate)
    return None


def run_legacy(
    service: Service, command: list[str], payload: dict[str, Any], timeout: float
) -> tuple[dict[str, Any], float | None]:
    """Run a legacy-client program (``command``) against ``service``; its JSON reply, and the
    service's CPU seconds while it worked.

    The program reads ``payload`` as one JSON line, logs in, prints ``ready`` and waits for a
    line ``go`` (the service's CPU is read in between, so login is not counted), then prints
    its reply as the last line of its output.

    Raises:
        RuntimeError: the program failed or printed nothing.
    """
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write(json.dumps(payload) + "\n")
        child.stdin.flush()
        while (line := child.stdout.readline()) and line.strip() != "ready":
            pass
        before = service.cpu_seconds()
        child.stdin.write("go\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=timeout)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    after = service.cpu_seconds()
    if child.returncode != 0 or not out.strip():
        raise RuntimeError(f"legacy client failed ({child.returncode}):\n{err[-2000:]}")
    reply: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return reply, (after - before if after is not None and before is not None else None)
