"""Calibration history: the shipped snapshot, then configured recalibrations (protocol 2.3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ibmq_local import LocalService
from ibmq_local._catalog import BackendCatalog
from ibmq_local.config import ConfigError, load_settings

pytestmark = pytest.mark.integration

MANILA = "ibmq_manila"
NOISY_READOUT = 0.3


def shipped_properties() -> dict[str, Any]:
    catalog = BackendCatalog()
    properties = catalog.properties(MANILA)
    assert properties, "qiskit-ibm-runtime's manila snapshot is needed"
    copied: dict[str, Any] = json.loads(json.dumps(properties))  # a private copy
    return copied


def noisy_readout(properties: dict[str, Any]) -> dict[str, Any]:
    """``properties`` with qubit 0 reading 1 for |0> 30 % of the time."""
    for item in properties["qubits"][0]:
        if item["name"] in ("readout_error", "prob_meas1_prep0", "prob_meas0_prep1"):
            item["value"] = NOISY_READOUT
    return properties


@pytest.fixture(scope="module")
def recalibrated(tmp_path_factory: pytest.TempPathFactory, login: Any) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp("calibrations")
    (data_dir / "noisy.json").write_text(json.dumps(noisy_readout(shipped_properties())))
    config = {
        "backends": {
            MANILA: {
                "recalibrations": [
                    {"date": "2099-01-01T00:00:00Z"},  # not made yet
                    {"date": "2025-01-01T00:00:00Z", "properties_file": "noisy.json"},
                    {"date": "2025-06-01T00:00:00Z"},  # measured again, same figures
                ]
            }
        }
    }
    (data_dir / "config.json").write_text(json.dumps(config))
    with httpx.Client(timeout=60) as http, LocalService(data_dir) as service:
        yield login(http, service.auth_url, service.token)


def properties(api: Any, before: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"version": 1}
    if before is not None:
        # Exactly what the legacy client sends for properties(datetime=...).
        params["filter"] = json.dumps({"where": {"last_update_date": {"lt": before}}})
    response = api.get(f"/devices/{MANILA}/properties", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def readout(document: dict[str, Any]) -> float:
    return float(next(i["value"] for i in document["qubits"][0] if i["name"] == "readout_error"))


def test_without_datetime_the_newest_calibration_made_so_far(recalibrated: Any) -> None:
    current = properties(recalibrated)
    assert current["last_update_date"] == "2025-06-01T00:00:00.000Z"
    assert current["backend_name"] == MANILA
    assert readout(current) == NOISY_READOUT
    assert {item["date"] for item in current["qubits"][0]} == {"2025-06-01T00:00:00.000Z"}


def test_datetime_before_and_after_a_recalibration(recalibrated: Any) -> None:
    after = properties(recalibrated, "2025-03-01T00:00:00+00:00")
    assert after["last_update_date"] == "2025-01-01T00:00:00.000Z"
    assert readout(after) == NOISY_READOUT

    before = properties(recalibrated, "2025-01-01T00:00:00+00:00")  # "lt": strictly older
    assert before["last_update_date"].startswith("2024-05-27T15:27:23")
    assert readout(before) == readout(shipped_properties()) != NOISY_READOUT

    assert properties(recalibrated, "2024-05-27T18:27:24+00:00") == before
    assert properties(recalibrated, "2024-05-27T18:27:23+00:00") == {}
    assert properties(recalibrated, "2000-01-01T00:00:00+00:00") == {}
    future = properties(recalibrated, "2100-01-01T00:00:00+00:00")
    assert future["last_update_date"] == "2025-06-01T00:00:00.000Z", "2099 is not made yet"


def test_a_device_simulates_with_its_current_calibration(recalibrated: Any, build: Any) -> None:
    measure_zero = build.experiment(build.measure([0]), 5, 1, "zero")
    job = recalibrated.run(build.qobj([measure_zero], MANILA, shots=2000), MANILA)
    assert job["status"] == "COMPLETED", job
    counts = recalibrated.result(job["id"])["results"][0]["data"]["counts"]
    ones = counts.get("0x1", 0) / 2000
    assert 0.2 < ones < 0.4, f"readout error {NOISY_READOUT} expected, measured {ones}"
    served = recalibrated.get(f"/Jobs/{job['id']}/properties").json()
    assert served["last_update_date"] == "2025-06-01T00:00:00.000Z"


def test_a_missing_recalibration_file_is_a_configuration_error(tmp_path: Path) -> None:
    config = {
        "backends": {
            MANILA: {"recalibrations": [{"date": "2025-01-01", "properties_file": "nope.json"}]}
        }
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=r"nope\.json"):
        load_settings(tmp_path)
