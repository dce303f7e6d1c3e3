"""The service logs one line per request and per job transition, and nothing unless asked.

A job runs through the blocking client against the real service, with the client's and the
service's loggers captured at DEBUG: every request the client logged is matched, by the
request id the service sent back, to exactly one service line; the job's transitions are
logged in order; no token appears anywhere.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from qiskit import QuantumCircuit

from ibmq_sync import IBMQFactory

pytestmark = pytest.mark.integration

SERVICE_LINE = re.compile(
    r"^(GET|POST|PUT|DELETE|WS) (\S+) -> (\d+) in [\d.]+ ms, request id ([0-9a-f]{16})$"
)
CLIENT_LINE = re.compile(r"^(GET|POST|PUT|DELETE) (\S+) -> (\d+) in .* request id (\S+)$")


def test_one_line_per_request_and_per_transition(
    local_service: Any, ghz: QuantumCircuit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ibmq_local")
    caplog.set_level(logging.DEBUG, logger="ibmq_sync")
    factory = IBMQFactory()
    try:
        provider = factory.enable_account(local_service.token, url=local_service.auth_url)
        assert provider is not None
        job = provider.get_backend("ibmq_qasm_simulator").run(ghz, shots=10)
        job.result(timeout=120)
        job_id = job.job_id()
    finally:
        factory.close()

    served = {}
    for record in caplog.records:
        if record.name == "ibmq_local.requests":
            match = SERVICE_LINE.match(record.getMessage())
            assert match, record.getMessage()
            assert match[4] not in served  # one line per request
            served[match[4]] = (match[1], match[2], match[3])
    sent = [
        match
        for record in caplog.records
        if record.name.startswith("ibmq_sync")
        and (match := CLIENT_LINE.match(record.getMessage())) is not None
    ]
    assert sent, "the client logged no request"
    for match in sent:
        if "/storage/" in match[2] or "/api/" in match[2]:
            method, path, status = served[match[4]]  # the service logged this very request
            assert (method, status) == (match[1], match[3])
            assert path == match[2]

    transitions = [
        record.getMessage()
        for record in caplog.records
        if record.name == "ibmq_local.jobs" and job_id in record.getMessage()
    ]
    assert transitions[0].startswith(f"job {job_id}: created on ibmq_qasm_simulator")
    assert [line.split(": ", 1)[1] for line in transitions[1:]] == [
        "CREATING -> CREATED",
        "CREATED -> VALIDATING",
        "VALIDATING -> VALIDATED",
        "VALIDATED -> QUEUED",
        "QUEUED -> RUNNING",
        "RUNNING -> COMPLETED",
    ]
    assert all(local_service.token not in r.getMessage() for r in caplog.records)


def test_nothing_reaches_the_console_unless_asked(tmp_path: Path) -> None:
    script = (
        "from qiskit import QuantumCircuit\n"
        "from ibmq_sync import IBMQ\n"
        "qc = QuantumCircuit(1, 1)\n"
        "qc.x(0)\n"
        "qc.measure(0, 0)\n"
        f"provider = IBMQ.enable_local(data_dir={str(tmp_path)!r})\n"
        "counts = provider.get_backend('ibmq_qasm_simulator').run(qc, shots=5).result()"
        ".get_counts()\n"
        "assert counts == {'1': 5}, counts\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == "" and done.stderr == ""
