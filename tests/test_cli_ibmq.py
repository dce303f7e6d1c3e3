"""The ``ibmq`` command line against the embedded local service (``--local --data-dir``).

Most commands run in-process through typer's ``CliRunner``, sharing one service; a few run as
real processes (``python -m ibmq_cli``), which attach to that same service over loopback.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("typer")

from typer.testing import CliRunner, Result

from ibmq_cli.app import app
from ibmq_cli.errors import exit_code
from ibmq_sync import exceptions

pytestmark = pytest.mark.integration

PAUSED = "ibmq_lima"
"""A device whose jobs are accepted and never run (status ``internal``), so they stay queued."""

BELL_QASM2 = """\
// a Bell pair, in OpenQASM 2
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
"""

GHZ_QASM3 = """\
OPENQASM 3.0;
include "stdgates.inc";
qubit[3] q;
bit[3] c;
h q[0];
cx q[0], q[1];
cx q[1], q[2];
c = measure q;
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The local service's data directory, with one paused device."""
    path = tmp_path_factory.mktemp("ibmq-cli")
    (path / "config.json").write_text(json.dumps({"backends": {PAUSED: {"status": "internal"}}}))
    return path


@pytest.fixture(scope="module")
def qasm(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """QASM files: good ones in both versions, and bad ones."""
    folder = tmp_path_factory.mktemp("qasm")
    files = {
        "bell2": BELL_QASM2,
        "ghz3": GHZ_QASM3,
        "invalid": "OPENQASM 2.0;\nqreg q[1];\nnot_a_gate q[0];\n",
        "unmeasured": 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n',
    }
    for name, text in files.items():
        (folder / f"{name}.qasm").write_text(text)
    return {name: folder / f"{name}.qasm" for name in files}


@pytest.fixture(autouse=True)
def no_saved_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Keep every test away from the user's saved account and QE_* variables."""
    rc = tmp_path / "qiskitrc"
    monkeypatch.setenv("QISKITRC", str(rc))
    for name in ("QE_TOKEN", "QE_URL", "QE_HUB", "QE_GROUP", "QE_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    yield rc


def ibmq(*args: str | Path, input: str | None = None) -> Result:
    """``ibmq ARGS`` in-process."""
    return runner.invoke(app, [str(arg) for arg in args], input=input)


def local(data_dir: Path) -> list[str]:
    return ["--local", "--data-dir", str(data_dir)]


def ok_json(*args: str | Path) -> Any:
    """``ibmq ARGS --json``, which must succeed with JSON, and only JSON, on stdout."""
    result = ibmq(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_error(result: Result, code: int, *words: str) -> None:
    """The command failed with ``code`` and one ``error: ...`` line on stderr, nothing on
    stdout, and no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def table_counts(text: str) -> dict[str, int]:
    """The outcome and count columns of the counts tables in ``text``."""
    counts = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if len(cells) >= 2 and cells[0] and set(cells[0]) <= {"0", "1"} and cells[1].isdigit():
            counts[cells[0]] = int(cells[1])
    return counts


# -- account ------------------------------------------------------------------------------------


def test_account_save_show_delete(no_saved_account: Path) -> None:
    token = "cli-test-token-0123456789"
    assert_error(ibmq("account", "show"), 3, str(no_saved_account))

    saved = ok_json("account", "save", token, "--url", "http://127.0.0.1:9/api")
    assert saved == {"saved": True, "file": str(no_saved_account), "url": "http://127.0.0.1:9/api"}
    assert token in no_saved_account.read_text()

    shown = ok_json("account", "show")
    assert shown["url"] == "http://127.0.0.1:9/api"
    assert shown["token"] != token and shown["token"].startswith(token[:4])
    assert ok_json("account", "show", "--show-token")["token"] == token
    human = ibmq("account", "show")
    assert human.exit_code == 0 and "http://127.0.0.1:9/api" in human.stdout
    assert token not in human.stdout

    # An account already saved is kept unless --overwrite; a token can come from stdin.
    assert_error(ibmq("account", "save", "other-token"), 1, "--overwrite")
    replaced = ibmq("account", "save", "--overwrite", input="stdin-token-0123456789\n")
    assert replaced.exit_code == 0, replaced.stderr
    assert ok_json("account", "show", "--show-token")["token"] == "stdin-token-0123456789"

    assert ok_json("account", "delete") == {"deleted": True, "file": str(no_saved_account)}
    assert_error(ibmq("account", "show"), 3)
    assert_error(ibmq("account", "delete"), 3)


def test_saved_account_and_overrides_reach_the_service(data_dir: Path) -> None:
    from ibmq_local.service import embedded_service

    service = embedded_service(data_dir)  # the one --local uses
    assert_error(ibmq("status", "ibmq_manila"), 3, "qiskitrc")  # no saved account yet

    assert ibmq("account", "save", service.token, "--url", service.auth_url).exit_code == 0
    assert ok_json("status", "ibmq_manila")["backend_name"] == "ibmq_manila"

    # --token overrides the saved token (and keeps the saved URL): a wrong one is refused.
    assert_error(ibmq("status", "ibmq_manila", "--token", "wrong-token"), 1)
    # --url and --token together need no saved account.
    assert ibmq("account", "delete").exit_code == 0
    status = ok_json("status", "ibmq_vigo", "--token", service.token, "--url", service.auth_url)
    assert status["backend_name"] == "ibmq_vigo"


# -- backends -----------------------------------------------------------------------------------


def test_backends_filters(data_dir: Path) -> None:
    everything = ok_json("backends", *local(data_dir))
    assert {"name", "num_qubits", "simulator", "operational", "pending_jobs", "status_msg"} <= set(
        everything[0]
    )
    names = {row["name"] for row in everything}
    assert {"ibmq_qasm_simulator", "ibmq_manila", PAUSED} <= names

    simulators = ok_json("backends", "--simulator", *local(data_dir))
    assert simulators and all(row["simulator"] for row in simulators)
    devices = ok_json("backends", "--no-simulator", "--min-qubits", "20", *local(data_dir))
    assert devices and all(not row["simulator"] and row["num_qubits"] >= 20 for row in devices)
    assert "ibmq_manila" not in {row["name"] for row in devices}  # 5 qubits
    assert len(simulators) + len(ok_json("backends", "--no-simulator", *local(data_dir))) == len(
        everything
    )

    table = ibmq("backends", "--min-qubits", "100", *local(data_dir))
    assert table.exit_code == 0, table.stderr
    assert "ibm_brisbane" in table.stdout and "ibmq_manila" not in table.stdout


def test_status(data_dir: Path) -> None:
    status = ok_json("status", "ibmq_manila", *local(data_dir))
    assert status["backend_name"] == "ibmq_manila"
    assert status["operational"] is True and status["status_msg"] == "active"
    assert ok_json("status", PAUSED, *local(data_dir))["status_msg"] == "internal"
    table = ibmq("status", "ibmq_manila", *local(data_dir))
    assert table.exit_code == 0 and "Pending jobs" in table.stdout


def test_properties(data_dir: Path) -> None:
    properties = ok_json("properties", "ibmq_manila", *local(data_dir))
    assert properties["backend_name"] == "ibmq_manila"
    assert len(properties["qubits"]) == 5
    assert any(item["name"] == "T1" for item in properties["qubits"][0])
    assert ok_json("properties", "ibmq_qasm_simulator", *local(data_dir)) is None

    table = ibmq("properties", "ibmq_manila", *local(data_dir))
    assert table.exit_code == 0, table.stderr
    assert "T1" in table.stdout and "readout_error" in table.stdout and "cx" in table.stdout


# -- run, jobs, job -----------------------------------------------------------------------------


def test_run_qasm2_on_a_device_prints_counts(data_dir: Path, qasm: dict[str, Path]) -> None:
    # h and cx are not ibmq_manila's basis gates: the circuit must be transpiled to run.
    shown = ibmq("run", qasm["bell2"], "--backend", "ibmq_manila", "--shots", "500", "--wait",
                 *local(data_dir))  # fmt: skip
    assert shown.exit_code == 0, shown.stderr
    assert "counts of bell2" in shown.stdout
    rows = table_counts(shown.stdout)
    assert sum(rows.values()) == 500
    assert rows["00"] + rows["11"] > 0.8 * 500


def test_run_qasm3_json(data_dir: Path, qasm: dict[str, Path]) -> None:
    options = ["--name", "cli-ghz", "--tag", "cli", "--tag", "qasm3", *local(data_dir)]
    run = ok_json("run", qasm["ghz3"], "-b", "ibmq_qasm_simulator", "--shots", "300", "--wait",
                  *options)  # fmt: skip
    assert run["qasm_version"] == 3 and run["status"] == "DONE"
    assert set(run["counts"]) == {"000", "111"} and sum(run["counts"].values()) == 300
    assert run["experiments"] == [{"name": "ghz3", "shots": 300, "counts": run["counts"]}]
    assert run["name"] == "cli-ghz" and sorted(run["tags"]) == ["cli", "qasm3"]


def test_run_then_job_result_and_jobs(data_dir: Path, qasm: dict[str, Path]) -> None:
    submitted = ok_json("run", qasm["bell2"], "-b", "ibmq_qasm_simulator", "--shots", "100",
                        "--name", "cli-later", "--tag", "later", *local(data_dir))  # fmt: skip
    assert "counts" not in submitted and submitted["qasm_version"] == 2
    job_id = submitted["job_id"]

    done = ok_json("job", job_id, "--result", *local(data_dir))
    assert done["job_id"] == job_id and done["status"] == "DONE"
    assert set(done["counts"]) == {"00", "11"} and sum(done["counts"].values()) == 100
    shown = ibmq("job", job_id, "--result", *local(data_dir))
    assert shown.exit_code == 0 and job_id in shown.stdout and "counts of bell2" in shown.stdout
    assert ok_json("job", job_id, *local(data_dir))["status"] == "DONE"

    by_name = ok_json("jobs", "--name", "^cli-later$", *local(data_dir))
    assert [row["job_id"] for row in by_name] == [job_id]
    assert {"job_id", "backend", "status", "name", "tags", "creation_date"} <= set(by_name[0])
    by_tag = ok_json("jobs", "--tag", "later", "--status", "done", *local(data_dir))
    assert job_id in {row["job_id"] for row in by_tag}
    assert job_id not in {
        row["job_id"] for row in ok_json("jobs", "--status", "QUEUED", *local(data_dir))
    }
    elsewhere = ok_json("jobs", "--backend", "ibmq_manila", "--limit", "0", *local(data_dir))
    assert all(row["backend"] == "ibmq_manila" for row in elsewhere)
    assert job_id not in {row["job_id"] for row in elsewhere}
    assert len(ok_json("jobs", "--limit", "1", *local(data_dir))) == 1
    table = ibmq("jobs", "--tag", "later", *local(data_dir))
    assert table.exit_code == 0 and job_id in table.stdout


def test_cancel_a_queued_job(data_dir: Path, qasm: dict[str, Path]) -> None:
    job_id = ok_json("run", qasm["bell2"], "-b", PAUSED, *local(data_dir))["job_id"]
    waiting = ok_json("job", job_id, *local(data_dir))
    assert waiting["status"] in ("INITIALIZING", "VALIDATING", "QUEUED")
    # --json: no "Waiting for job" note on stderr before the error.
    timeout = ibmq("job", job_id, "--result", "--timeout", "0.5", "--json", *local(data_dir))
    assert_error(timeout, 5, "Timeout")

    cancelled = ok_json("job", job_id, "--cancel", *local(data_dir))
    assert cancelled["cancelled"] is True and cancelled["status"] == "CANCELLED"
    assert_error(ibmq("job", job_id, "--result", *local(data_dir)), 4, "cancelled")
    assert_error(ibmq("job", job_id, "--cancel", *local(data_dir)), 1, job_id)


def test_a_failed_job_shows_why_and_exits_4(data_dir: Path) -> None:
    from qiskit import QuantumCircuit

    from ibmq_sync import IBMQFactory

    circuit = QuantumCircuit(2, 2)
    circuit.h(0)  # not a basis gate of ibmq_manila: the service refuses the job
    circuit.measure([0, 1], [0, 1])
    with IBMQFactory() as factory:
        backend = factory.enable_local(data_dir).get_backend("ibmq_manila")
        job_id = backend.run(circuit, shots=10, validate=False).job_id()

    shown = ok_json("job", job_id, *local(data_dir))
    assert shown["status"] == "ERROR" and "'h'" in shown["error_message"]
    assert_error(ibmq("job", job_id, "--result", *local(data_dir)), 4, job_id)


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["status", "ibmq_manla"], 3, ["ibmq_manila"]),
        (["properties", "no_such_backend"], 3, ["no_such_backend"]),
        (["run", "{bell2}", "-b", "no_such_backend"], 3, ["no_such_backend"]),
        (["job", "0123456789abcdef01234567"], 3, ["0123456789abcdef01234567"]),
        (["job", "0123456789abcdef01234567", "--cancel"], 3, []),
        (["run", "{invalid}", "-b", "ibmq_qasm_simulator"], 2, ["not valid OpenQASM 2"]),
        (["run", "{unmeasured}", "-b", "ibmq_qasm_simulator"], 2, ["measures nothing"]),
        (["run", "missing.qasm", "-b", "ibmq_qasm_simulator"], 2, ["missing.qasm", "no such"]),
        (["run", "{bell2}", "-b", "ibmq_qasm_simulator", "--shots", "9999999"], 2, ["shots"]),
        (["job", "some-id", "--result", "--cancel"], 2, ["--cancel"]),
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    data_dir: Path, qasm: dict[str, Path], args: list[str], code: int, words: list[str]
) -> None:
    filled = [arg.format(**qasm) for arg in args]
    assert_error(ibmq(*filled, *local(data_dir)), code, *words)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (KeyboardInterrupt(), 130),
        (exceptions.IBMQJobTimeoutError("late"), 5),
        (exceptions.IBMQJobFailureError("failed"), 4),
        (exceptions.IBMQBackendNotFoundError("none"), 3),
        (exceptions.IBMQJobApiError("gone", status_code=404), 3),
        (exceptions.IBMQAccountCredentialsNotFound("none saved"), 3),
        (exceptions.IBMQBackendValueError("bad shots"), 2),
        (exceptions.IBMQJobApiError("server error", status_code=500), 1),
        (exceptions.IBMQAccountConnectionError("unreachable"), 1),
    ],
)
def test_exit_codes(error: BaseException, code: int) -> None:
    assert exit_code(error) == code


def test_local_excludes_token_and_url(qasm: dict[str, Path]) -> None:
    assert_error(ibmq("backends", "--local", "--token", "x"), 2, "--local")
    assert_error(ibmq("run", qasm["bell2"], "-b", "x", "--local", "--url", "http://h/api"), 2)


def test_a_url_that_is_no_service_is_error_1(data_dir: Path) -> None:
    from ibmq_local.service import embedded_service

    service = embedded_service(data_dir)
    wrong = service.auth_url.replace("/api", "/no-api-here")
    assert_error(ibmq("backends", "--token", service.token, "--url", wrong), 1, "no-api-here")


# -- as a real process --------------------------------------------------------------------------


def ibmq_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ibmq_cli", *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_process_run_json_and_exit_codes(data_dir: Path, qasm: dict[str, Path]) -> None:
    ok_json("status", "ibmq_qasm_simulator", *local(data_dir))  # the service is up
    done = ibmq_process("run", qasm["ghz3"], "-b", "ibmq_qasm_simulator", "--shots", "64",
                        "--wait", "--json", *local(data_dir))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"].keys() <= {"000", "111"}

    missing = ibmq_process("job", "0123456789abcdef01234567", *local(data_dir))
    assert missing.returncode == 3
    assert missing.stdout == "" and len(missing.stderr.splitlines()) == 1
    assert missing.stderr.startswith("error: no job ")

    usage = ibmq_process("run", "--no-such-option", *local(data_dir))
    assert usage.returncode == 2 and usage.stdout == "" and "Traceback" not in usage.stderr


def test_process_interrupted_while_waiting_exits_130(data_dir: Path, qasm: dict[str, Path]) -> None:
    job_id = ok_json("run", qasm["bell2"], "-b", PAUSED, *local(data_dir))["job_id"]
    process = subprocess.Popen(
        [sys.executable, "-m", "ibmq_cli", "job", job_id, "--result", *local(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        # It says so once it waits; then Ctrl-C.
        ready, _, _ = select.select([process.stderr], [], [], 60)
        assert ready, "ibmq job --result never started waiting"
        line = process.stderr.readline()
        assert line.startswith(f"Waiting for job {job_id}"), line
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
        stdout, stderr = process.stdout.read(), process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    assert stdout == ""
    assert stderr.splitlines() == [
        f"error: interrupted; job {job_id} goes on: `ibmq job {job_id} --result` gets its result"
    ]
    ok_json("job", job_id, "--cancel", *local(data_dir))
