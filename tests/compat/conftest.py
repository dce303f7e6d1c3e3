"""Start `ibmq-local serve` (from the session's main environment) for the legacy client."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def local_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(auth url, token) of a freshly started service on a free loopback port."""
    serve = os.environ.get("IBMQ_LOCAL_SERVE", "ibmq-local")
    data_dir: Path = tmp_path_factory.mktemp("ibmq-local-data")
    process = subprocess.Popen(
        [serve, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    url = token = None
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("auth url:"):
            url = line.split(":", 1)[1].strip()
        elif line.startswith("token:"):
            token = line.split(":", 1)[1].strip()
        if url and token:
            break
    if not (url and token):
        process.kill()
        pytest.fail("ibmq-local serve did not start:\n" + "".join(seen))
    try:
        yield url, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
