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


def run_example(script: str, home: Path, *args: str) -> str:
    """Run an example as a user would, with its per-user data under ``home``; its output."""
    env = {**os.environ, "XDG_DATA_HOME": str(home), "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("script", ["quickstart.py", "quickstart_async.py"])
def test_quickstart_prints_ghz_counts(script: str, tmp_path: Path) -> None:
    counts = parse_counts(run_example(script, tmp_path))
    assert sum(counts.values()) == 2000
    assert counts.get("000", 0) + counts.get("111", 0) > 0.7 * 2000
    assert len(counts) > 2, "a device with calibrated noise shows some wrong outcomes"
    assert any(tmp_path.rglob("*.sqlite*")) or any(tmp_path.rglob("*.db")), (
        "the embedded service keeps its jobs under the per-user data directory"
    )


def test_quickstart_on_the_simulator_is_exact(tmp_path: Path) -> None:
    output = run_example("quickstart.py", tmp_path, "ibmq_qasm_simulator")
    assert set(parse_counts(output)) == {"000", "111"}
