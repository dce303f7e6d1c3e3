"""Smoke test of the batch benchmark (bench/batch.py): every in-process contender completes a
few jobs with the right counts and gets a ratio to the floor. Times are never asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not installed: it runs from the checkout
    sys.path.insert(0, str(ROOT))

from bench._service import Service  # noqa: E402
from bench.batch import Workload, run_batch  # noqa: E402

pytestmark = pytest.mark.integration

JOBS = 4
IN_PROCESS = ["raw", "async", "async-each", "async-manager", "sync-manager"]


def test_wrong_counts_are_caught() -> None:
    work = Workload(3, shots=10)  # bell, ghz, bell
    good: list[dict[str, int]] = [{"00": 6, "11": 4}, {"000": 10}, {"11": 10}]
    assert work.wrong(good) == []
    assert work.wrong([{"00": 6, "01": 4}, {"000": 9}, {}]) == [0, 1, 2]
    assert work.wrong(good[:2]) == [0, 1, 2]


def test_batch_contenders_complete_with_ratios(local_service: Any) -> None:
    service = Service(local_service.auth_url, local_service.token, job_limit=10)
    report = run_batch(service, JOBS, contenders=IN_PROCESS, shots=100, warm_up=False)

    assert list(report.outcomes) == IN_PROCESS
    for key, outcome in report.outcomes.items():
        assert outcome.errors == [], key
        assert outcome.skipped is None, key
        [sample] = outcome.samples
        assert len(sample.counts) == JOBS, key
        assert report.work.wrong(sample.counts) == [], key
        assert outcome.completed == JOBS, key
        # create, upload, uploaded, result URL and download at least, per job
        assert sample.requests is not None and sample.requests >= 5 * JOBS, key
        assert outcome.ratio is not None and outcome.ratio > 0, key
    assert report.outcomes["raw"].ratio == pytest.approx(1.0)

    data = json.loads(json.dumps(report.to_json()))
    assert data["jobs"] == JOBS
    for key in IN_PROCESS:
        entry = data["contenders"][key]
        assert entry["ratio_to_floor"] == report.outcomes[key].ratio
        assert entry["completed"] == JOBS
    table = report.table()
    assert "x floor" in table
    assert all(outcome.label in table for outcome in report.outcomes.values())


def test_legacy_contender_is_skipped_without_its_environment(local_service: Any) -> None:
    service = Service(local_service.auth_url, local_service.token, job_limit=10)
    report = run_batch(service, 1, contenders=["legacy-manager"], legacy=None, warm_up=False)
    outcome = report.outcomes["legacy-manager"]
    assert outcome.skipped is not None and outcome.samples == []
    assert "skipped" in report.table()
