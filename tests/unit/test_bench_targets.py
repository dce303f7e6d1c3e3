"""The benchmark runner's summary reads each scenario's JSON and judges each target."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is not installed: it runs from the checkout
    sys.path.insert(0, str(ROOT))

from bench.__main__ import Target, summary, table  # noqa: E402


def test_batch_ratios_and_speed_ups_are_judged_in_the_right_direction() -> None:
    medians = {
        "raw": 2.0,
        "async": 2.4,
        "async-manager": 2.5,
        "sync-manager": 3.5,
        "legacy-loop": 30.0,
        "legacy-manager": 5.0,
    }
    document = {"contenders": {k: {"median_seconds": v} for k, v in medians.items()}}
    found = {t.what: t for t in summary({"batch": document})}
    assert found["ibmq_async / raw httpx floor"].verdict == "met"  # 1.2 <= 1.25
    assert found["legacy loop / ibmq_async (speed-up)"].verdict == "met"  # 12.5 >= 10
    assert found["legacy IBMQJobManager / ibmq_async (speed-up)"].verdict == "NOT met"  # 2.08
    assert found["ibmq_sync manager / ibmq_async manager"].verdict == "NOT met"  # 1.4


def test_missing_scenarios_and_values_are_not_measured_never_met() -> None:
    targets = summary({"batch": {"contenders": {"raw": {"median_seconds": 1.0}}}, "listing": None})
    assert targets and all(t.verdict == "not measured" for t in targets)
    assert "not measured" in table(targets)


def test_service_and_imports_targets() -> None:
    service = {
        "small_job": [
            {"qubits": 5, "warm_ratio_to_reference": 1.0},
            {"qubits": 156, "warm_ratio_to_reference": 0.6},
        ],
        "throughput": [
            {"workload": "spread", "default": False, "ratio_to_1_worker": 1.0},
            {"workload": "spread", "default": False, "ratio_to_1_worker": 1.7},
        ],
    }
    imports = {"statements": {"async": {"median_seconds": 0.001}}}
    found = {t.what: t for t in summary({"service": service, "imports": imports})}
    assert found["3-qubit GHZ, widest device / 5-qubit device (warm)"].value == 0.6
    assert found["jobs/s with the most workers / with 1 (spread over devices)"].value == 1.7
    assert found["import ibmq_async, ms beyond qiskit"].verdict == "met"
    assert found["import ibmq_sync, ms beyond qiskit"].verdict == "not measured"
    assert Target("x", "y", 3.0, 2.0, at_most=False).verdict == "met"


def test_serialization_speed_up_reads_the_medians() -> None:
    document = {
        "contenders": {"ours": {"median_s": 5.0}, "baseline": {"median_s": 20.0}},
    }
    (target,) = summary({"serialization": document})
    assert target.value == 4.0 and target.verdict == "met"
