"""The legacy helpers of ``BackendProperties`` (``_core.models.properties``), on a real snapshot."""

from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from ibmq_async._core.exceptions import IBMQBackendValueError, IBMQError
from ibmq_async._core.models.configuration import BackendConfiguration
from ibmq_async._core.models.properties import (
    BackendProperties,
    BackendPropertyError,
    GateProperties,
    Nduv,
)
from ibmq_async._core.target import build_target

fake_provider = pytest.importorskip("qiskit_ibm_runtime.fake_provider")
MANILA = pathlib.Path(fake_provider.FakeManilaV2.dirname)

# (helper, wire name, factor from the snapshot's unit to SI base units)
QUBIT_HELPERS = [
    ("t1", "T1", 1e-6),  # us
    ("t2", "T2", 1e-6),  # us
    ("frequency", "frequency", 1e9),  # GHz
    ("readout_error", "readout_error", 1.0),  # no unit
    ("readout_length", "readout_length", 1e-9),  # ns
]
GATE_HELPERS = [("gate_error", "gate_error", 1.0), ("gate_length", "gate_length", 1e-9)]
SCALE = {"": 1.0, "us": 1e-6, "ns": 1e-9, "GHz": 1e9}


@pytest.fixture(scope="module")
def snapshot() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((MANILA / "props_manila.json").read_text())
    return data


@pytest.fixture
def raw(snapshot: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the snapshot, free to edit."""
    return copy.deepcopy(snapshot)


@pytest.fixture(scope="module")
def props(snapshot: dict[str, Any]) -> BackendProperties:
    return BackendProperties.model_validate(snapshot)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def figure(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [item for item in items if item["name"] == name]
    return found


def has(items: list[dict[str, Any]], name: str) -> bool:
    return any(item["name"] == name for item in items)


def with_operational(items: list[dict[str, Any]], value: int) -> None:
    items.append(
        {"date": "2024-05-27T04:30:14-03:00", "name": "operational", "unit": "", "value": value}
    )


# -- identity and extras ---------------------------------------------------------------------


def test_snapshot_header_fields(props: BackendProperties, snapshot: dict[str, Any]) -> None:
    assert props.backend_name == snapshot["backend_name"] == "ibmq_manila"
    assert props.backend_version == snapshot["backend_version"]
    assert props.last_update_date == when(snapshot["last_update_date"])
    assert props.last_update_date.tzinfo is UTC
    assert len(props.qubits) == 5
    # extra fields stay readable, as attributes too
    assert props.model_extra == {"general_qlists": snapshot["general_qlists"]}
    assert getattr(props, "general_qlists") == snapshot["general_qlists"]  # noqa: B009


# -- qubit helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("helper", "name", "factor"), QUBIT_HELPERS)
def test_qubit_helpers_match_the_snapshot_in_si_units(
    props: BackendProperties, snapshot: dict[str, Any], helper: str, name: str, factor: float
) -> None:
    for qubit, items in enumerate(snapshot["qubits"]):
        expected = figure(items, name)
        assert SCALE[expected["unit"]] == factor
        value = getattr(props, helper)(qubit)
        assert isinstance(value, float)
        assert value == pytest.approx(expected["value"] * factor, rel=1e-12)
        assert props.qubit_property_value(qubit, name) == value


def test_t1_and_frequency_units_spelled_out(props: BackendProperties) -> None:
    assert props.t1(0) == pytest.approx(131.5286444531517e-6, rel=1e-12)  # 131.5 us
    assert props.frequency(0) == pytest.approx(4.962356469801913e9, rel=1e-12)  # 4.96 GHz
    assert props.readout_length(0) == pytest.approx(5351.11111111111e-9, rel=1e-12)


def test_qubit_property_by_name_keeps_the_nduv_form(
    props: BackendProperties, snapshot: dict[str, Any]
) -> None:
    for qubit, items in enumerate(snapshot["qubits"]):
        for item in items:
            found = props.qubit_property(qubit, item["name"])
            assert isinstance(found, Nduv)
            assert (found.name, found.unit, found.value) == (
                item["name"],
                item["unit"],
                item["value"],
            )
            assert found.date == when(item["date"])
        assert props.qubit_property(qubit, "no_such_figure") is None


def test_qubit_property_without_name_is_the_legacy_dict(
    props: BackendProperties, snapshot: dict[str, Any]
) -> None:
    for qubit, items in enumerate(snapshot["qubits"]):
        table = props.qubit_property(qubit)
        assert list(table) == [item["name"] for item in items]
        for item in items:
            value, date = table[item["name"]]
            assert value == pytest.approx(item["value"] * SCALE[item["unit"]], rel=1e-12)
            assert date == when(item["date"])


# -- gate helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("helper", "name", "factor"), GATE_HELPERS)
def test_gate_helpers_match_the_snapshot_in_si_units(
    props: BackendProperties, snapshot: dict[str, Any], helper: str, name: str, factor: float
) -> None:
    checked = 0
    for entry in snapshot["gates"]:
        if not has(entry["parameters"], name):  # e.g. reset has a length but no error
            with pytest.raises(BackendPropertyError, match=name):
                getattr(props, helper)(entry["gate"], entry["qubits"])
            continue
        checked += 1
        expected = figure(entry["parameters"], name)
        assert SCALE[expected["unit"]] == factor
        value = getattr(props, helper)(entry["gate"], entry["qubits"])
        assert value == pytest.approx(expected["value"] * factor, rel=1e-12)
        assert getattr(props, helper)(entry["gate"], tuple(entry["qubits"])) == value
        assert props.gate_property_value(entry["gate"], entry["qubits"], name) == value
        if len(entry["qubits"]) == 1:  # one qubit may be given as a bare int
            assert getattr(props, helper)(entry["gate"], entry["qubits"][0]) == value
    assert checked >= 15


def test_gate_length_of_cx_spelled_out(props: BackendProperties, snapshot: dict[str, Any]) -> None:
    (cx01,) = [e for e in snapshot["gates"] if e["gate"] == "cx" and e["qubits"] == [0, 1]]
    nanoseconds = figure(cx01["parameters"], "gate_length")["value"]
    assert props.gate_length("cx", [0, 1]) == pytest.approx(nanoseconds * 1e-9, rel=1e-12)
    assert props.gate_length("cx", [0, 1]) < 1e-6  # seconds, not nanoseconds


def test_gate_property_with_name_keeps_the_nduv_form(
    props: BackendProperties, snapshot: dict[str, Any]
) -> None:
    for entry in snapshot["gates"]:
        for item in entry["parameters"]:
            found = props.gate_property(entry["gate"], entry["qubits"], item["name"])
            assert isinstance(found, Nduv)
            assert (found.value, found.unit) == (item["value"], item["unit"])
            assert found.date == when(item["date"])
    # Absent figures are None in this form (the transpiler target relies on it).
    assert props.gate_property("cx", [0, 1], "no_such_figure") is None
    assert props.gate_property("cx", [0, 2], "gate_error") is None
    assert props.gate_property("ecr", [0, 1], "gate_error") is None


def test_gate_property_legacy_dict_forms(
    props: BackendProperties, snapshot: dict[str, Any]
) -> None:
    for gate in {entry["gate"] for entry in snapshot["gates"]}:
        entries = [entry for entry in snapshot["gates"] if entry["gate"] == gate]
        table = props.gate_property(gate)
        assert set(table) == {tuple(entry["qubits"]) for entry in entries}
        for entry in entries:
            expected = {
                item["name"]: (item["value"] * SCALE[item["unit"]], when(item["date"]))
                for item in entry["parameters"]
            }
            for per_qubits in (
                table[tuple(entry["qubits"])],
                props.gate_property(gate, entry["qubits"]),
            ):
                assert set(per_qubits) == set(expected)
                for name, (value, date) in per_qubits.items():
                    assert value == pytest.approx(expected[name][0], rel=1e-12)
                    assert date == expected[name][1]


def test_transpiler_target_still_reads_gate_figures(props: BackendProperties) -> None:
    config = BackendConfiguration.model_validate(
        json.loads((MANILA / "conf_manila.json").read_text())
    )
    target = build_target(config, props)
    assert target["cx"][(0, 1)].error == props.gate_error("cx", [0, 1])
    assert target["cx"][(0, 1)].duration == pytest.approx(props.gate_length("cx", [0, 1]))


# -- agreement with qiskit's legacy implementation -------------------------------------------


def test_helpers_agree_with_the_legacy_port(
    props: BackendProperties, snapshot: dict[str, Any]
) -> None:
    legacy_models = pytest.importorskip("qiskit_ibm_runtime.models")
    legacy = legacy_models.BackendProperties.from_dict(copy.deepcopy(snapshot))
    for qubit in range(len(snapshot["qubits"])):
        for helper, _, _ in QUBIT_HELPERS:
            assert getattr(props, helper)(qubit) == getattr(legacy, helper)(qubit), helper
        assert props.is_qubit_operational(qubit) == legacy.is_qubit_operational(qubit)
    for entry in snapshot["gates"]:
        for helper, name, _ in GATE_HELPERS:
            if not has(entry["parameters"], name):
                continue
            ours = getattr(props, helper)(entry["gate"], entry["qubits"])
            assert ours == getattr(legacy, helper)(entry["gate"], entry["qubits"]), helper
    assert props.faulty_qubits() == legacy.faulty_qubits() == []
    assert props.faulty_gates() == legacy.faulty_gates() == []


# -- unknown qubits, gates and figures -------------------------------------------------------


def raises_typed() -> Any:
    return pytest.raises(BackendPropertyError)


@pytest.mark.parametrize("qubit", [5, 100, -1])
def test_unknown_qubit_raises_a_typed_error(props: BackendProperties, qubit: int) -> None:
    calls: list[Callable[[], object]] = [
        lambda: props.t1(qubit),
        lambda: props.t2(qubit),
        lambda: props.frequency(qubit),
        lambda: props.readout_error(qubit),
        lambda: props.readout_length(qubit),
        lambda: props.qubit_property(qubit),
        lambda: props.qubit_property(qubit, "T1"),
        lambda: props.qubit_property_value(qubit, "T1"),
        lambda: props.is_qubit_operational(qubit),
    ]
    for call in calls:
        with raises_typed() as caught:
            call()
        assert isinstance(caught.value, IBMQBackendValueError)
        assert isinstance(caught.value, IBMQError)
        assert not isinstance(caught.value, KeyError | IndexError)
        assert str(qubit) in str(caught.value)


def test_non_integer_qubit_raises_a_typed_error(props: BackendProperties) -> None:
    with raises_typed():
        props.t1("0")  # type: ignore[arg-type]
    with raises_typed():
        props.gate_error("cx", ["0", "1"])  # type: ignore[list-item]


def test_numpy_style_integer_indices_are_accepted(props: BackendProperties) -> None:
    np = pytest.importorskip("numpy")
    assert props.t1(np.int64(2)) == props.t1(2)
    assert props.gate_error("cx", np.array([0, 1])) == props.gate_error("cx", [0, 1])


def test_missing_qubit_figure_raises_a_typed_error(raw: dict[str, Any]) -> None:
    raw["qubits"][3] = [item for item in raw["qubits"][3] if item["name"] != "T1"]
    props = BackendProperties.model_validate(raw)
    assert props.qubit_property(3, "T1") is None
    assert "T1" not in props.qubit_property(3)
    with raises_typed() as caught:
        props.t1(3)
    assert "T1" in str(caught.value)
    assert props.t1(2) > 0


@pytest.mark.parametrize(
    ("gate", "qubits"),
    [("ecr", [0, 1]), ("cx", [0, 2]), ("cx", [0]), ("x", [7]), ("x", 7), ("measure", [0])],
)
def test_unknown_gate_or_qubits_raise_a_typed_error(
    props: BackendProperties, gate: str, qubits: Any
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: props.gate_error(gate, qubits),
        lambda: props.gate_length(gate, qubits),
        lambda: props.gate_property_value(gate, qubits, "gate_error"),
        lambda: props.gate_property(gate, qubits),
        lambda: props.is_gate_operational(gate, qubits),
    ]
    for call in calls:
        with raises_typed() as caught:
            call()
        assert not isinstance(caught.value, KeyError | IndexError)
        assert gate in str(caught.value)


def test_unknown_gate_without_qubits_raises_a_typed_error(props: BackendProperties) -> None:
    with raises_typed():
        props.gate_property("ecr")
    with raises_typed():
        props.is_gate_operational("ecr")


def test_name_without_qubits_raises_a_typed_error(props: BackendProperties) -> None:
    with raises_typed() as caught:
        props.gate_property("cx", name="gate_error")  # type: ignore[call-overload]
    assert "qubits" in str(caught.value)


def test_gate_qubit_order_matters(props: BackendProperties) -> None:
    # Manila calibrates cx both ways; each direction has its own figures.
    assert props.gate_length("cx", [0, 1]) != props.gate_length("cx", [1, 0])


# -- units -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.5, "", 0.5),
        (3.0, "s", 3.0),  # one letter: already a base unit
        (3.0, "m", 3.0),
        (2.0, "us", 2e-6),
        (2.0, "\u00b5s", 2e-6),
        (2.0, "ms", 2e-3),
        (2.0, "ns", 2e-9),
        (2.0, "ps", 2e-12),
        (2.0, "fs", 2e-15),
        (2.0, "kHz", 2e3),
        (2.0, "MHz", 2e6),
        (2.0, "GHz", 2e9),
        (2.0, "THz", 2e12),
        (2.0, "PHz", 2e15),
    ],
)
def test_unit_prefixes(value: float, unit: str, expected: float) -> None:
    item = Nduv(date="2024-01-01T00:00:00Z", name="x", unit=unit, value=value)
    assert item.si_value() == pytest.approx(expected, rel=1e-15)


def test_unknown_unit_raises_a_typed_error_when_read(raw: dict[str, Any]) -> None:
    figure(raw["qubits"][1], "T2")["unit"] = "dB"
    props = BackendProperties.model_validate(raw)  # the model itself still loads
    assert props.qubit_property(1, "T2").unit == "dB"  # type: ignore[union-attr]
    with raises_typed() as caught:
        props.t2(1)
    assert "dB" in str(caught.value)
    with raises_typed():
        props.qubit_property(1)
    assert props.t1(1) > 0
    assert props.is_qubit_operational(1)


# -- operational status ----------------------------------------------------------------------


def test_snapshot_has_nothing_faulty(props: BackendProperties, snapshot: dict[str, Any]) -> None:
    assert props.faulty_qubits() == []
    assert props.faulty_gates() == []
    assert all(props.is_qubit_operational(q) for q in range(len(snapshot["qubits"])))
    for entry in snapshot["gates"]:
        assert props.is_gate_operational(entry["gate"], entry["qubits"])
        assert props.is_gate_operational(entry["gate"])


def test_faulty_qubits(raw: dict[str, Any]) -> None:
    with_operational(raw["qubits"][2], 0)
    with_operational(raw["qubits"][4], 1)
    props = BackendProperties.model_validate(raw)
    assert props.faulty_qubits() == [2]
    assert not props.is_qubit_operational(2)
    assert props.is_qubit_operational(4)
    assert props.qubit_property(2)["operational"][0] == 0.0
    assert props.t1(2) > 0  # a faulty qubit still reports its figures


def test_faulty_gates(raw: dict[str, Any]) -> None:
    (cx12,) = [e for e in raw["gates"] if e["gate"] == "cx" and e["qubits"] == [1, 2]]
    with_operational(cx12["parameters"], 0)
    (x3,) = [e for e in raw["gates"] if e["gate"] == "x" and e["qubits"] == [3]]
    with_operational(x3["parameters"], 1)
    props = BackendProperties.model_validate(raw)
    faulty = props.faulty_gates()
    assert len(faulty) == 1
    assert isinstance(faulty[0], GateProperties)
    assert (faulty[0].gate, faulty[0].qubits, faulty[0].name) == ("cx", [1, 2], cx12["name"])
    assert not props.is_gate_operational("cx", [1, 2])
    assert not props.is_gate_operational("cx", (1, 2))
    assert props.is_gate_operational("cx", [2, 1])
    assert not props.is_gate_operational("cx")  # not operational on every pair
    assert props.is_gate_operational("x", 3)
    assert props.is_gate_operational("x")
    assert props.faulty_qubits() == []


# -- to_dict / from_dict ---------------------------------------------------------------------


def test_to_dict_from_dict_round_trip(props: BackendProperties, snapshot: dict[str, Any]) -> None:
    data = props.to_dict()
    assert set(snapshot) <= set(data)
    assert data["backend_name"] == "ibmq_manila"
    assert isinstance(data["last_update_date"], datetime)
    assert isinstance(data["qubits"][0][0]["date"], datetime)
    assert data["qubits"][0][0]["value"] == snapshot["qubits"][0][0]["value"]  # wire units
    assert data["general_qlists"] == snapshot["general_qlists"]
    again = BackendProperties.from_dict(data)
    assert isinstance(again, BackendProperties)
    assert again == props
    assert again.to_dict() == data
    assert again.t1(0) == props.t1(0)


def test_from_dict_reads_the_wire_json(props: BackendProperties, snapshot: dict[str, Any]) -> None:
    assert BackendProperties.from_dict(copy.deepcopy(snapshot)) == props
    assert BackendProperties.from_dict(json.loads(props.model_dump_json())) == props


def test_from_dict_of_a_malformed_document_raises_a_typed_error(raw: dict[str, Any]) -> None:
    del raw["gates"]
    with raises_typed() as caught:
        BackendProperties.from_dict(raw)
    assert "gates" in str(caught.value)
