"""Every example runs, as a user would run it, on the embedded local service."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def parse_counts(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("counts: "))
    counts: dict[str, int] = ast.literal_eval(line.removeprefix("counts: "))
    return counts


@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_async.py"])
def test_quickstart_prints_ghz_counts(script: str, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    counts = parse_counts(done.stdout)
    assert sum(counts.values()) == 2000
    assert counts.get("000", 0) + counts.get("111", 0) > 0.7 * 2000
    assert len(counts) > 2, "a device with calibrated noise shows some wrong outcomes"
    assert any(tmp_path.rglob("*.sqlite*")) or any(tmp_path.rglob("*.db")), (
        "the embedded service keeps its jobs under the per-user data directory"
    )


def test_quickstart_on_the_simulator_is_exact(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py"), "ibmq_qasm_simulator"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert set(parse_counts(done.stdout)) == {"000", "111"}
