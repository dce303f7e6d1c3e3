"""The serialization benchmark runs end to end in a tiny mode (no time is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("qiskit_ibm_runtime")  # the device snapshot the benchmark uses

from bench import serialization


def test_every_contender_serializes_every_circuit_and_gets_a_ratio(tmp_path: Path) -> None:
    out = tmp_path / "serialization.json"
    code = serialization.main(
        ["--circuits", "4", "--depth", "3", "--per-job", "2", "--repeat", "2", "--json", str(out)]
    )
    assert code == 0
    report = json.loads(out.read_text())
    contenders = report["contenders"]
    assert set(contenders) == set(serialization.KEYS)
    measured = {key: c for key, c in contenders.items() if c["skipped"] is None}
    assert {"ours", "ours-novalidate"} <= set(measured)
    for key, contender in measured.items():
        assert contender["errors"] == [], key
        assert contender["experiments"] == 4, key
        assert len(contender["samples_s"]) == 2, key
    # The same bodies: ours with and without validation byte for byte in length; the
    # baseline's config lacks only ``rep_delay`` (see bench/serialization.py).
    assert contenders["ours"]["bytes"] == contenders["ours-novalidate"]["bytes"] > 0
    if serialization.baseline_python() is None:
        assert "qiskit 1.x" in contenders["baseline"]["skipped"]
        assert all(c["ratio_to_baseline"] is None for c in contenders.values())
    else:
        assert contenders["baseline"]["ratio_to_baseline"] == pytest.approx(1.0)
        assert contenders["baseline"]["bytes"] == pytest.approx(contenders["ours"]["bytes"], 0.01)
        for contender in measured.values():
            assert contender["ratio_to_baseline"] > 0


def test_without_a_baseline_interpreter_the_baseline_is_skipped_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serialization, "ROOT", tmp_path)  # no .nox/tests_oldest_qiskit here
    monkeypatch.delenv("IBMQ_BENCH_BASELINE_PYTHON", raising=False)
    out = tmp_path / "serialization.json"
    code = serialization.main(
        ["--circuits", "2", "--depth", "2", "--per-job", "2", "--repeat", "1", "--json", str(out)]
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert "--baseline-python" in report["contenders"]["baseline"]["skipped"]
    assert report["contenders"]["ours"]["experiments"] == 2
