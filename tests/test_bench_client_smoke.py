"""Smoke tests of the client benchmarks (bench/overhead.py, bench/listing.py, bench/imports.py)
in a tiny mode: every contender completes and gets its ratios. Times are never asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # bench/ is not installed: it runs from the checkout
    sys.path.insert(0, str(ROOT))

from bench._service import local_service  # noqa: E402
from bench.imports import run_imports  # noqa: E402
from bench.listing import run_listing  # noqa: E402
from bench.overhead import HELD, KEYS, run_overhead  # noqa: E402

pytestmark = pytest.mark.integration


def test_overhead_contenders_complete_with_ratios() -> None:
    with local_service(backends=HELD) as service:
        report = run_overhead(service, 5, repeat=1)
    assert list(report.outcomes) == list(KEYS)
    for key, outcome in report.outcomes.items():
        assert outcome.errors == [], key
        [sample] = outcome.samples
        assert sample.calls == 5 and sample.seconds > 0, key
    data = json.loads(json.dumps(report.to_json()))
    assert set(data["ratios"]) == {"async/raw-async", "sync/async", "sync/raw-sync"}
    assert all(r["wall"] is not None and r["wall"] > 0 for r in data["ratios"].values())
    assert "ibmq_sync / ibmq_async" in report.table()


def test_listing_contenders_walk_every_job() -> None:
    ours = ["raw", "raw-keep", "async-iter", "async-list", "sync-iter", "sync-list"]
    report = run_listing(30, repeat=1, contenders=[*ours, "legacy"], legacy=None)
    assert report.large.jobs == 30 and report.small.jobs == 3
    for key in ours:
        outcome = report.large.outcomes[key]
        assert outcome.errors == [], key
        assert outcome.jobs == 30, key
        assert outcome.peak_bytes is not None and outcome.peak_bytes > 0, key
        assert outcome.ratio is not None, key
    assert report.large.outcomes["legacy"].skipped is not None
    assert list(report.small.outcomes) == ["raw", "async-iter"]
    assert all(o.jobs == 3 and not o.errors for o in report.small.outcomes.values())
    data = json.loads(json.dumps(report.to_json()))
    assert data["growth_large_over_small"]["async-iter"]["peak"] is not None
    table = report.table()
    assert "x floor" in table and "skipped" in table


def test_imports_measures_fresh_interpreters() -> None:
    report = run_imports(repeat=1, statements=["async", "sync-factory"])
    assert list(report.outcomes) == ["async", "sync-factory"]
    for key, outcome in report.outcomes.items():
        assert outcome.errors == [], key
        [sample] = outcome.samples
        assert sample.qiskit_wall > 0 and sample.wall >= 0, key
    # What the bare import and the first use load (the lazy package at work).
    assert report.outcomes["async"].samples[0].heavy == []
    assert "httpx" in report.outcomes["sync-factory"].samples[0].heavy
    data = json.loads(json.dumps(report.to_json()))
    assert data["statements"]["async"]["ratio_to_qiskit"] is not None
    assert "import ibmq_async" in report.table()
