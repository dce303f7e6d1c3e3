"""The other examples run as a user would run them, each on the embedded local service: the
FastAPI service (started with uvicorn, called over HTTP), the 1,000-circuit batch, the job
listings, the ``ibmq`` command line script and the notebook (executed with nbclient)."""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BIN = Path(sys.executable).parent

BELL_QASM = """\
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""


def user_env(home: Path) -> dict[str, str]:
    """The environment of a user whose home (and per-user data) is ``home``; this Python's
    scripts (``ibmq``, ``ibmq-local``, ``uvicorn``) come first on the PATH."""
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def run(command: list[str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as that user; it must succeed."""
    done = subprocess.run(
        command, capture_output=True, text=True, env=user_env(home), timeout=timeout, check=False
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- the FastAPI service ----------------------------------------------------------------------


@pytest.fixture
def fastapi_service(tmp_path: Path) -> Iterator[str]:
    """``examples/fastapi_service.py`` served by uvicorn on a free loopback port; its URL."""
    port = free_port()
    log = (tmp_path / "uvicorn.log").open("w+")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "fastapi_service:app",
            "--app-dir",
            str(EXAMPLES),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=user_env(tmp_path),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, f"uvicorn ended: {(tmp_path / 'uvicorn.log').read_text()}"
            assert time.monotonic() < deadline, "the service did not start"
            try:
                if httpx.get(f"{url}/backends", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield url
        server.send_signal(signal.SIGINT)  # uvicorn's graceful stop: the lifespan ends
        assert server.wait(timeout=60) == 0, (tmp_path / "uvicorn.log").read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()


def test_fastapi_service_runs_circuits_posted_over_http(fastapi_service: str) -> None:
    with httpx.Client(base_url=fastapi_service, timeout=120) as client:
        assert "ibmq_manila" in client.get("/backends").json()
        headers = {"content-type": "text/plain"}
        created = client.post("/jobs", params={"shots": 600}, content=BELL_QASM, headers=headers)
        assert created.status_code == 201, created.text
        job_id = created.json()["job_id"]
        assert created.json()["backend"] == "ibmq_qasm_simulator"
        status = client.get(f"/jobs/{job_id}").json()
        assert status["job_id"] == job_id
        assert status["status"] in {"INITIALIZING", "VALIDATING", "QUEUED", "RUNNING", "DONE"}
        result = client.get(f"/jobs/{job_id}/result").json()
        assert set(result["counts"]) == {"00", "11"} and sum(result["counts"].values()) == 600
        assert client.get(f"/jobs/{job_id}").json()["status"] == "DONE"

        assert client.post("/jobs", content="not qasm", headers=headers).status_code == 400
        unknown = client.post("/jobs", params={"backend": "ibmq_nowhere"}, content=BELL_QASM)
        assert unknown.status_code == 404
        assert client.get("/jobs/0123456789abcdef01234567").status_code == 404
        assert client.get("/jobs/not a job id").status_code == 400


# -- the batch ------------------------------------------------------------------------------


def test_batch_of_1000_circuits_shows_progress_and_checks_every_result(tmp_path: Path) -> None:
    done = run([sys.executable, str(EXAMPLES / "batch_1000.py")], tmp_path)
    line = next(line for line in done.stdout.splitlines() if line.startswith("summary: "))
    summary = json.loads(line.removeprefix("summary: "))
    assert summary["circuits"] == 1000 and summary["jobs"] == 50 and summary["shots"] == 256
    # P(1) of ry(theta) measured with 256 shots: 5 standard deviations at most is 0.16.
    assert summary["worst_probability_error"] < 0.16
    bars = done.stderr.replace("\r", "\n")
    assert "rotation-sweep submitted: 100%" in bars and "rotation-sweep finished: 100%" in bars
    assert "50/50" in bars


# -- listing jobs ---------------------------------------------------------------------------


def test_listing_jobs_filters_by_status_tags_names_dates_and_db_filter(tmp_path: Path) -> None:
    done = run([sys.executable, str(EXAMPLES / "list_jobs.py")], tmp_path)
    listings: dict[str, list[str]] = {}
    for line in done.stdout.splitlines():
        found = re.fullmatch(r"(.+): (\d+) (\[.*\])", line)
        if found:
            names = ast.literal_eval(found[3])
            assert len(names) == int(found[2])
            listings[found[1]] = names
    ghz = ["ghz-3", "ghz-2", "ghz-1"]
    every = ["refused", *ghz, "bell-2", "bell-1"]
    assert listings == {
        "all": every,
        "oldest 2": ["bell-1", "bell-2"],
        "skip 1, limit 2": ["ghz-3", "ghz-2"],
        "bell or ghz, of this run": every[1:],
        "run and ghz": ghz,
        "done": every[1:],
        "error": ["refused"],
        "name ^bell-": ["bell-2", "bell-1"],
        "created after the bells": every[:4],
        "created before the run": [],
        "3-qubit jobs (db_filter)": ghz,
        "iter_jobs, pages of 2": every,
    }
    assert "retrieved: refused ERROR" in done.stdout


# -- the command line -----------------------------------------------------------------------


def test_cli_script_runs_jobs_lists_them_and_reports_exit_codes(tmp_path: Path) -> None:
    pytest.importorskip("typer")
    data = tmp_path / "data"
    done = run(["bash", str(EXAMPLES / "cli.sh"), str(data)], tmp_path)
    out = done.stdout
    bell = out.split("== run a Bell pair")[1].split("==")[0]
    assert ": DONE" in bell and re.search(r"\b00\b", bell) and re.search(r"\b11\b", bell)
    job_id = re.search(r"^job: ([0-9a-f]{24})$", out, re.MULTILINE)
    assert job_id is not None
    counts_line = next(line for line in out.splitlines() if line.startswith("DONE: counts "))
    counts = ast.literal_eval(counts_line.removeprefix("DONE: counts "))
    assert sum(counts.values()) == 500 and counts["000"] + counts["111"] > 350
    listing = out.split("== jobs tagged cli-example")[1]
    assert job_id[1] in listing and "2 jobs" in listing
    assert "exit code: 3" in out
    assert "error: no backend no_such_backend" in done.stderr
    # The background service stopped with the script: it no longer publishes its address.
    assert not (data / "service.json").exists()


# -- the notebook ---------------------------------------------------------------------------


def test_notebook_runs_both_apis_in_a_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for name, value in user_env(tmp_path).items():
        monkeypatch.setenv(name, value)  # the kernel inherits them
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(EXAMPLES / "notebook.ipynb", as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3")
    client.execute()
    printed = "".join(
        output.get("text", "")
        for cell in client.nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream"
    )
    blocking = re.search(r"^blocking: \w+ DONE (\{.*\})$", printed, re.MULTILINE)
    assert blocking is not None, printed
    assert set(ast.literal_eval(blocking[1])) == {"000", "111"}
    async_lines = re.findall(r"^async: \w+ (\{.*\})$", printed, re.MULTILINE)
    assert len(async_lines) == 3, printed
    for line in async_lines:
        counts = ast.literal_eval(line)
        assert sum(counts.values()) == 500 and counts["000"] + counts["111"] > 350


def test_the_notebook_page_shows_the_notebooks_own_cells() -> None:
    """docs/guides/notebooks.md copies two cells of the notebook: they must not drift."""
    page = (EXAMPLES.parent / "docs" / "guides" / "notebooks.md").read_text()
    shown = re.findall(r"```python\n(.*?)\n```", page, re.DOTALL)
    notebook = json.loads((EXAMPLES / "notebook.ipynb").read_text())
    cells = {"".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"}
    assert len(shown) == 2 and all(block in cells for block in shown)


@pytest.mark.parametrize(
    ("title", "section", "page"),
    [
        ("Reliability", "reliability", "reliability.md"),
        ("Benchmarks", "benchmarks", "performance.md"),
    ],
)
def test_the_figures_pages_include_the_readmes_sections(
    title: str, section: str, page: str
) -> None:
    """docs/ shows the README's reliability and benchmark sections by including them (a
    snippet section), so the two cannot drift; the section spans the README's whole chapter."""
    readme = (EXAMPLES.parent / "README.md").read_text()
    chapter = readme.index(f"\n## {title}\n")
    start = readme.index(f"<!-- --8<-- [start:{section}] -->")
    end = readme.index(f"<!-- --8<-- [end:{section}] -->")
    following = readme.find("\n## ", chapter + 1)
    assert chapter < start < end < (following if following != -1 else len(readme))
    assert readme[chapter:start].strip() == f"## {title}"
    assert f'--8<-- "README.md:{section}"' in (EXAMPLES.parent / "docs" / page).read_text()
