"""Smoke test of the service benchmark (bench/service.py) in a tiny mode: every measurement
completes with plausible counts and gets its ratios. Times are never asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not installed: it runs from the checkout
    sys.path.insert(0, str(ROOT))

from bench.service import SMALL_DEVICES, main, run_service_bench  # noqa: E402

pytestmark = pytest.mark.integration


def test_tiny_service_bench_reports_ratios(tmp_path: Path) -> None:
    report = run_service_bench(jobs=4, repeat=1, cores=2, warm_jobs=1, scaling=False)

    assert [(t.workload, t.default) for t in report.throughput] == [
        ("simulator", True),
        ("spread", True),
    ]
    for run in report.throughput:
        assert run.wrong == 0, run
        assert len(run.rates) == 1 and run.rate > 0
    assert [s.device for s in report.small] == SMALL_DEVICES
    assert [s.qubits for s in report.small] == [5, 127, 156]
    for small in report.small:
        assert small.wrong == 0, small
        assert small.first > 0 and len(small.warm) == 1

    data = json.loads(json.dumps(report.to_json()))
    assert data["small_job"][0]["warm_ratio_to_reference"] == pytest.approx(1.0)
    assert all(entry["wrong_counts"] == 0 for entry in data["throughput"])
    table = report.table()
    assert "x 1 worker" in table and "x 5q" in table
    assert all(device in table for device in SMALL_DEVICES)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        main(["--repeat", "many"])
