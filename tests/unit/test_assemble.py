"""Circuit to QasmQobj serialization (``_core.assemble``, ``_core.models.qobj``)."""

from __future__ import annotations

import copy
import json
import pathlib
import re
import uuid
from typing import Any

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit, Parameter, ParameterVector, Qubit
from qiskit.circuit.classical import expr
from qiskit.circuit.library import UnitaryGate, XGate
from qiskit.quantum_info import Clifford

from ibmq_async._core.assemble import QobjAssemblyError, circuits_to_qobj
from ibmq_async._core.models.qobj import (
    QasmQobj,
    QasmQobjConfig,
    QasmQobjExperimentHeader,
    QasmQobjInstruction,
    QobjHeader,
    json_ready,
)

DATA = pathlib.Path(__file__).parent / "data"
TERRA_HEADER = {"backend_name": "ibmq_fake", "backend_version": "1.0.0", "foo": "bar"}


@pytest.fixture(scope="module")
def terra() -> dict[str, Any]:
    """Qobjs written by qiskit-terra 0.46.3's ``assemble`` (see data/make_terra_qobjs.py)."""
    loaded: dict[str, Any] = json.loads((DATA / "terra_0_46_qobjs.json").read_text())
    return loaded


def assemble(circuits: Any, **kwargs: Any) -> dict[str, Any]:
    """Assemble with test defaults and return the wire dict after a JSON round trip."""
    kwargs.setdefault("backend_name", "ibmq_fake")
    kwargs.setdefault("backend_version", "1.0.0")
    kwargs.setdefault("shots", 1024)
    wire = circuits_to_qobj(circuits, **kwargs).to_wire()
    loaded: dict[str, Any] = json.loads(json.dumps(wire, allow_nan=False))
    return loaded


def instructions(wire: dict[str, Any], experiment: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = wire["experiments"][experiment]["instructions"]
    return found


def one_qubit(name: str = "c1") -> QuantumCircuit:
    circuit = QuantumCircuit(1, 1, name=name)
    circuit.x(0)
    circuit.measure(0, 0)
    return circuit


# -- circuits mirrored from data/make_terra_qobjs.py ------------------------------------------


def basic_circuits() -> list[QuantumCircuit]:
    bell = QuantumCircuit(2, 2, name="bell")
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])

    a = QuantumRegister(2, "a")
    b = QuantumRegister(1, "b")
    x = ClassicalRegister(1, "x")
    y = ClassicalRegister(2, "y")
    regs = QuantumCircuit(a, b, x, y, name="regs", global_phase=0.25)
    regs.metadata = {"k": "v", "n": 1}
    regs.sx(a[0])
    regs.rz(0.3, a[1])
    regs.append(XGate(label="lbl"), [b[0]])
    regs.barrier()
    regs.measure(b[0], x[0])
    regs.reset(b[0])
    regs.delay(160, a[0])
    regs.id(a[1])
    regs.cx(a[0], b[0])
    regs.barrier(a[0], b[0])
    regs.measure(a[1], y[0])
    regs.measure(a[0], y[1])
    regs.u(0.1, 0.2, 0.3, b[0])
    regs.measure(b[0], y[0])

    wide = QuantumCircuit(3, name="wide")
    wide.h([0, 1, 2])
    return [bell, regs, wide]


def bound_circuits() -> tuple[list[QuantumCircuit], list[dict[Parameter, float]]]:
    theta = Parameter("theta")
    phi = Parameter("phi")
    one = QuantumCircuit(1, 1, name="pc")
    one.rz(theta, 0)
    one.ry(2 * phi, 0)
    one.measure(0, 0)
    two = QuantumCircuit(2, 1, name="pc2")
    two.rx(theta, 0)
    two.rzz(phi, 0, 1)
    two.measure(1, 0)
    return [one, two], [{theta: 0.5, phi: 0.25}, {theta: 1.0, phi: -0.5}]


def conditional_circuit() -> QuantumCircuit:
    """terra's ``x(1).c_if(c, 1)`` and ``h(0).c_if(d[0], 1)``, as qiskit 2 ``if_test``s."""
    q = QuantumRegister(2, "q")
    c = ClassicalRegister(2, "c")
    d = ClassicalRegister(1, "d")
    circuit = QuantumCircuit(q, c, d, name="cond")
    circuit.h(0)
    circuit.measure(0, 0)
    circuit.measure(1, 2)
    with circuit.if_test((c, 1)):
        circuit.x(1)
    with circuit.if_test((d[0], 1)):
        circuit.h(0)
    circuit.measure([0, 1], [1, 0])
    return circuit


# -- wire fidelity against terra 0.46 ---------------------------------------------------------


def test_basic_circuits_match_terra(terra: dict[str, Any]) -> None:
    wire = assemble(
        basic_circuits(),
        qobj_id="terra-basic",
        header={"foo": "bar"},
        shots=1000,
        memory=True,
        use_measure_esp=False,
    )
    assert wire == terra["basic"]


def test_parameter_binds_match_terra_except_names(terra: dict[str, Any]) -> None:
    circuits, binds = bound_circuits()
    wire = assemble(
        circuits,
        qobj_id="terra-binds",
        header={"backend_version": "9.9", "foo": "bar"},
        shots=100,
        meas_level=1,
        meas_return="single",
        parameter_binds=binds,
        init_qubits=False,
        extra_config={"seed_simulator": 42},
    )
    expected = copy.deepcopy(terra["binds"])
    # terra renamed bound copies "<name>-<counter>"; we keep the circuit's own name.
    for experiment in expected["experiments"]:
        header = experiment["header"]
        assert re.fullmatch(r"pc2?-\d+", header["name"])
        header["name"] = header["name"].rsplit("-", 1)[0]
    assert wire == expected
    assert [e["header"]["name"] for e in wire["experiments"]] == ["pc", "pc", "pc2", "pc2"]


def test_if_test_matches_terra_c_if(terra: dict[str, Any]) -> None:
    wire = assemble(conditional_circuit(), qobj_id="terra-cond", header={"foo": "bar"}, shots=10)
    assert wire == terra["cond"]


def test_terra_qobjs_round_trip_through_models(terra: dict[str, Any]) -> None:
    for name, document in terra.items():
        assert QasmQobj.model_validate(document).to_wire() == document, name


def test_unknown_fields_survive_parse_and_dump(terra: dict[str, Any]) -> None:
    document = copy.deepcopy(terra["cond"])
    document["future_top"] = {"a": [1, 2]}
    document["header"]["future_header"] = "h"
    document["config"]["noise_model"] = {"errors": []}
    document["config"]["method"] = "statevector"
    experiment = document["experiments"][0]
    experiment["future_experiment"] = True
    experiment["header"]["future_exp_header"] = [1]
    experiment["config"]["calibrations"] = {"gates": []}
    experiment["instructions"][0]["snapshot_type"] = "statevector"

    qobj = QasmQobj.model_validate(document)

    assert qobj.to_wire() == document
    assert qobj.config.model_extra == {"noise_model": {"errors": []}, "method": "statevector"}


# -- top level and header ---------------------------------------------------------------------


def test_qobj_id_is_a_fresh_uuid4_unless_given() -> None:
    first = assemble(one_qubit())["qobj_id"]
    second = assemble(one_qubit())["qobj_id"]
    assert uuid.UUID(first).version == 4
    assert first != second
    assert assemble(one_qubit(), qobj_id="mine")["qobj_id"] == "mine"


def test_type_and_schema_version() -> None:
    wire = assemble(one_qubit())
    assert (wire["type"], wire["schema_version"]) == ("QASM", "1.3.0")


def test_header_backend_keys_first_then_user_keys_which_may_override() -> None:
    wire = assemble(
        one_qubit(),
        backend_name="ibmq_a",
        backend_version="2.0",
        header={"zeta": 1, "backend_version": "override", "dropped": None},
    )
    assert list(wire["header"].items()) == [
        ("backend_name", "ibmq_a"),
        ("backend_version", "override"),
        ("zeta", 1),
    ]


def test_header_without_user_keys() -> None:
    assert assemble(one_qubit())["header"] == {
        "backend_name": "ibmq_fake",
        "backend_version": "1.0.0",
    }


# -- config -----------------------------------------------------------------------------------


def test_default_config() -> None:
    assert assemble(one_qubit(), shots=4000)["config"] == {
        "shots": 4000,
        "memory": False,
        "parameter_binds": [],
        "meas_level": 2,
        "n_qubits": 1,
        "memory_slots": 1,
        "init_qubits": True,
        "parametric_pulses": [],
    }


@pytest.mark.parametrize(
    ("meas_level", "meas_return", "expected"),
    [(2, "single", None), (1, "single", "single"), (1, "avg", "avg"), (0, "avg", "avg")],
)
def test_meas_return_only_when_meas_level_is_not_2(
    meas_level: int, meas_return: str, expected: str | None
) -> None:
    config = assemble(one_qubit(), meas_level=meas_level, meas_return=meas_return)["config"]
    assert config["meas_level"] == meas_level
    assert config.get("meas_return") == expected
    assert ("meas_return" in config) == (expected is not None)


def test_rep_delay_is_sent_as_given_in_microseconds_only_when_given() -> None:
    config = assemble(one_qubit(), rep_delay=250)["config"]
    assert config["rep_delay"] == 250.0
    assert type(config["rep_delay"]) is float
    assert "rep_delay" not in assemble(one_qubit())["config"]


@pytest.mark.parametrize(("value", "present"), [(None, False), (False, True), (True, True)])
def test_use_measure_esp_sent_only_when_given(value: bool | None, present: bool) -> None:
    config = assemble(one_qubit(), use_measure_esp=value)["config"]
    assert ("use_measure_esp" in config) is present
    if present:
        assert config["use_measure_esp"] is value


def test_init_qubits_memory_and_parametric_pulses_are_passed() -> None:
    config = assemble(
        one_qubit(), init_qubits=False, memory=True, parametric_pulses=("gaussian", "drag")
    )["config"]
    assert config["init_qubits"] is False
    assert config["memory"] is True
    assert config["parametric_pulses"] == ["gaussian", "drag"]


def test_extra_config_keys_are_added_json_ready_and_none_dropped() -> None:
    config = assemble(
        one_qubit(),
        extra_config={
            "seed_simulator": np.int64(7),
            "method": "statevector",
            "noise_model": {"x": (1, 2j)},
            "skip": None,
        },
    )["config"]
    assert config["seed_simulator"] == 7
    assert config["method"] == "statevector"
    assert config["noise_model"] == {"x": [1, [0.0, 2.0]]}
    assert "skip" not in config


def test_extra_config_may_not_override_computed_keys() -> None:
    with pytest.raises(QobjAssemblyError, match="memory_slots, shots"):
        circuits_to_qobj(
            one_qubit(),
            backend_name="b",
            backend_version="1",
            shots=1,
            extra_config={"shots": 5, "memory_slots": 3},
        )


def test_n_qubits_is_widest_circuit_and_memory_slots_the_maximum() -> None:
    narrow = QuantumCircuit(1, 3, name="narrow")
    narrow.measure(0, 2)
    wide = QuantumCircuit(4, 1, name="wide")
    wide.measure(3, 0)
    middle = QuantumCircuit(2, name="middle")
    middle.h(1)
    wire = assemble([narrow, wide, middle])
    assert (wire["config"]["n_qubits"], wire["config"]["memory_slots"]) == (4, 3)
    per_experiment = [
        (e["config"]["n_qubits"], e["config"]["memory_slots"], e["header"]["memory_slots"])
        for e in wire["experiments"]
    ]
    assert per_experiment == [(1, 3, 3), (4, 1, 1), (2, 0, 0)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shots": 0}, "at least 1"),
        ({"shots": 10.0}, "type 'int'"),
        ({"shots": True}, "type 'int'"),
        ({"meas_level": 3}, "meas_level"),
        ({"meas_level": 1, "meas_return": "median"}, "meas_return"),
        ({"dt": 0.0}, "dt"),
    ],
)
def test_invalid_options_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(QobjAssemblyError, match=message):
        assemble(one_qubit(), **kwargs)


def test_shots_accepts_numpy_integers() -> None:
    config = assemble(one_qubit(), shots=np.int64(321))["config"]
    assert config["shots"] == 321
    assert type(config["shots"]) is int


@pytest.mark.parametrize("circuits", [[], [one_qubit(), "not a circuit"]])
def test_bad_circuit_input_is_rejected(circuits: Any) -> None:
    with pytest.raises(QobjAssemblyError):
        assemble(circuits)


def test_error_is_a_value_error() -> None:
    assert issubclass(QobjAssemblyError, ValueError)


# -- experiments: header ----------------------------------------------------------------------


def test_single_circuit_and_list_give_the_same_experiments() -> None:
    single = assemble(one_qubit(), qobj_id="x")
    listed = assemble([one_qubit()], qobj_id="x")
    assert single == listed
    assert len(single["experiments"]) == 1


def test_several_registers_labels_and_sizes() -> None:
    qa, qb = QuantumRegister(2, "qa"), QuantumRegister(3, "qb")
    ca, cb = ClassicalRegister(1, "ca"), ClassicalRegister(2, "cb")
    circuit = QuantumCircuit(qa, qb, ca, cb, name="regs")
    circuit.cx(qa[1], qb[2])
    circuit.measure(qb[2], cb[1])
    experiment = assemble(circuit)["experiments"][0]
    header = experiment["header"]
    assert header["qubit_labels"] == [
        ["qa", 0],
        ["qa", 1],
        ["qb", 0],
        ["qb", 1],
        ["qb", 2],
    ]
    assert header["clbit_labels"] == [["ca", 0], ["cb", 0], ["cb", 1]]
    assert header["qreg_sizes"] == [["qa", 2], ["qb", 3]]
    assert header["creg_sizes"] == [["ca", 1], ["cb", 2]]
    assert (header["n_qubits"], header["memory_slots"]) == (5, 3)
    assert experiment["instructions"] == [
        {"name": "cx", "qubits": [1, 4]},
        {"name": "measure", "qubits": [4], "memory": [2]},
    ]


def test_bits_in_no_register_get_a_synthesized_register() -> None:
    circuit = QuantumCircuit([Qubit(), Qubit()], [Clbit()], name="loose")
    circuit.measure(1, 0)
    header = assemble(circuit)["experiments"][0]["header"]
    assert header["qubit_labels"] == [["q", 0], ["q", 1]]
    assert header["qreg_sizes"] == [["q", 2]]
    assert header["clbit_labels"] == [["c", 0]]
    assert header["creg_sizes"] == [["c", 1]]
    assert (header["n_qubits"], header["memory_slots"]) == (2, 1)


def test_loose_bits_beside_registers_use_a_free_name_and_follow_bit_order() -> None:
    q = QuantumRegister(1, "q")
    circuit = QuantumCircuit([Qubit()], q, name="mixed")
    circuit.x(1)
    header = assemble(circuit)["experiments"][0]["header"]
    assert header["qubit_labels"] == [["q_1", 0], ["q", 0]]
    assert header["qreg_sizes"] == [["q", 1], ["q_1", 1]]
    assert header["n_qubits"] == 2
    assert instructions(assemble(circuit)) == [{"name": "x", "qubits": [1]}]


def test_bit_in_two_registers_is_labelled_by_the_first() -> None:
    bits = [Clbit(), Clbit()]
    first = ClassicalRegister(name="first", bits=bits)
    second = ClassicalRegister(name="second", bits=bits[1:])
    circuit = QuantumCircuit(QuantumRegister(1, "q"), first, second, name="overlap")
    circuit.measure(0, 1)
    experiment = assemble(circuit)["experiments"][0]
    assert experiment["header"]["clbit_labels"] == [["first", 0], ["first", 1]]
    assert experiment["header"]["memory_slots"] == 2
    assert experiment["instructions"][0]["memory"] == [1]


def test_global_phase_is_a_float_and_metadata_defaults_to_empty() -> None:
    plain = assemble(one_qubit())["experiments"][0]["header"]
    assert plain["metadata"] == {}
    assert plain["global_phase"] == 0.0
    assert isinstance(plain["global_phase"], float)

    phased = QuantumCircuit(1, global_phase=np.float64(1.25), name="phased")
    phased.metadata = {"run": np.int64(3), "amp": 1 + 2j, "none": None, "tags": ("a", "b")}
    header = assemble(phased)["experiments"][0]["header"]
    assert header["global_phase"] == 1.25
    assert header["metadata"] == {"run": 3, "amp": [1.0, 2.0], "none": None, "tags": ["a", "b"]}


def test_metadata_without_json_form_is_rejected() -> None:
    circuit = one_qubit()
    circuit.metadata = {"obj": object()}
    with pytest.raises(QobjAssemblyError, match="metadata"):
        assemble(circuit)


def test_circuit_names_are_kept_even_when_duplicated() -> None:
    wire = assemble([one_qubit("same"), one_qubit("same"), one_qubit("other")])
    assert [e["header"]["name"] for e in wire["experiments"]] == ["same", "same", "other"]


# -- experiments: instructions ----------------------------------------------------------------


def test_measurements_in_any_order_and_mid_circuit() -> None:
    circuit = QuantumCircuit(3, 2, name="order")
    circuit.measure(2, 0)
    circuit.x(2)
    circuit.measure(0, 1)
    circuit.measure(2, 1)
    circuit.h(0)
    assert instructions(assemble(circuit)) == [
        {"name": "measure", "qubits": [2], "memory": [0]},
        {"name": "x", "qubits": [2]},
        {"name": "measure", "qubits": [0], "memory": [1]},
        {"name": "measure", "qubits": [2], "memory": [1]},
        {"name": "h", "qubits": [0]},
    ]


def test_barrier_reset_id_and_labels() -> None:
    circuit = QuantumCircuit(3, name="misc")
    circuit.barrier()
    circuit.barrier(0, 2)
    circuit.reset(1)
    circuit.id(2)
    circuit.append(XGate(label="flip"), [0])
    assert instructions(assemble(circuit)) == [
        {"name": "barrier", "qubits": [0, 1, 2]},
        {"name": "barrier", "qubits": [0, 2]},
        {"name": "reset", "qubits": [1]},
        {"name": "id", "qubits": [2]},
        {"name": "x", "qubits": [0], "label": "flip"},
    ]


def test_gate_params_are_python_floats() -> None:
    circuit = QuantumCircuit(2, name="params")
    circuit.rz(np.float64(0.5), 0)
    circuit.rx(1, 1)
    circuit.u(0.1, np.float32(0.25), 2, 0)
    ops = instructions(assemble(circuit))
    assert ops[0] == {"name": "rz", "qubits": [0], "params": [0.5]}
    assert ops[1]["params"] == [1.0]
    assert ops[2]["params"] == [0.1, 0.25, 2.0]
    wire = circuits_to_qobj(circuit, backend_name="b", backend_version="1", shots=1).to_wire()
    raw = wire["experiments"][0]["instructions"]
    assert all(type(p) is float for op in raw for p in op["params"])


def test_complex_matrix_params_become_re_im_pairs() -> None:
    circuit = QuantumCircuit(1, name="unitary")
    circuit.append(UnitaryGate(np.array([[0, 1j], [1j, 0]])), [0])
    op = instructions(assemble(circuit))[0]
    assert op["name"] == "unitary"
    assert op["params"] == [[[[0.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 0.0]]]]


def test_delay_in_dt_is_an_integer_param() -> None:
    circuit = QuantumCircuit(1, name="delay")
    circuit.delay(160, 0)
    assert instructions(assemble(circuit)) == [{"name": "delay", "qubits": [0], "params": [160]}]


@pytest.mark.parametrize(
    ("duration", "unit", "samples"), [(1.0, "us", 4500), (100, "ns", 450), (2e-7, "s", 900)]
)
def test_delay_in_si_units_is_converted_with_dt(duration: float, unit: str, samples: int) -> None:
    circuit = QuantumCircuit(1, name="delay")
    circuit.delay(duration, 0, unit=unit)
    op = instructions(assemble(circuit, dt=2.2222222222222221e-10))[0]
    assert op == {"name": "delay", "qubits": [0], "params": [samples]}
    assert type(op["params"][0]) is int


def test_delay_in_si_units_without_dt_is_rejected() -> None:
    circuit = QuantumCircuit(1, name="delay")
    circuit.delay(1.0, 0, unit="us")
    with pytest.raises(QobjAssemblyError, match="needs the backend's dt"):
        assemble(circuit)


@pytest.mark.skipif(
    not hasattr(QuantumCircuit, "add_stretch"), reason="stretches came with qiskit 2.0"
)
def test_delay_with_a_stretch_is_rejected() -> None:
    circuit = QuantumCircuit(1, name="stretchy")
    circuit.delay(circuit.add_stretch("s"), 0)
    with pytest.raises(QobjAssemblyError, match="unit 'expr'"):
        assemble(circuit)


def test_parameterized_delay_is_bound() -> None:
    length = Parameter("length")
    circuit = QuantumCircuit(1, name="pdelay")
    circuit.delay(length, 0)
    op = instructions(assemble(circuit, parameter_binds=[{length: 64}]))[0]
    assert op == {"name": "delay", "qubits": [0], "params": [64]}


# -- parameters -------------------------------------------------------------------------------


def test_parameters_bound_with_assign_parameters() -> None:
    theta = Parameter("theta")
    circuit = QuantumCircuit(1, name="bound", global_phase=theta / 2)
    circuit.rz(2 * theta, 0)
    wire = assemble(circuit.assign_parameters({theta: 0.25}))
    assert instructions(wire) == [{"name": "rz", "qubits": [0], "params": [0.5]}]
    assert wire["experiments"][0]["header"]["global_phase"] == pytest.approx(0.125)


def test_parameter_binds_expand_circuit_major() -> None:
    theta = Parameter("theta")
    first = QuantumCircuit(1, name="first")
    first.rz(theta, 0)
    second = QuantumCircuit(1, name="second")
    second.rx(theta, 0)
    wire = assemble([first, second], parameter_binds=[{theta: 1}, {theta: 2}, {theta: 3}])
    got = [
        (e["header"]["name"], e["instructions"][0]["name"], e["instructions"][0]["params"])
        for e in wire["experiments"]
    ]
    assert got == [
        ("first", "rz", [1.0]),
        ("first", "rz", [2.0]),
        ("first", "rz", [3.0]),
        ("second", "rx", [1.0]),
        ("second", "rx", [2.0]),
        ("second", "rx", [3.0]),
    ]
    assert wire["config"]["parameter_binds"] == []


def test_parameter_binds_accept_parameter_vectors() -> None:
    angles = ParameterVector("a", 2)
    circuit = QuantumCircuit(1, name="vec")
    circuit.rz(angles[0] + angles[1], 0)
    wire = assemble(circuit, parameter_binds=[{angles: [0.25, 0.5]}])
    assert instructions(wire)[0]["params"] == [0.75]


def test_parameter_binds_do_not_modify_the_input_circuit() -> None:
    theta = Parameter("theta")
    circuit = QuantumCircuit(1, name="keep")
    circuit.rz(theta, 0)
    assemble(circuit, parameter_binds=[{theta: 1.0}])
    assert set(circuit.parameters) == {theta}


def test_empty_parameter_binds_leave_circuits_as_they_are() -> None:
    wire = assemble([one_qubit("a"), one_qubit("b")], parameter_binds=[{}, {}])
    assert [e["header"]["name"] for e in wire["experiments"]] == ["a", "b"]


def test_unbound_parameter_is_rejected_with_its_name() -> None:
    theta = Parameter("theta")
    circuit = QuantumCircuit(1, name="open")
    circuit.rz(theta, 0)
    with pytest.raises(QobjAssemblyError, match=r"'open' has unbound parameters: theta"):
        assemble(circuit)


def test_unbound_global_phase_is_rejected() -> None:
    circuit = QuantumCircuit(1, name="phase", global_phase=Parameter("gamma"))
    with pytest.raises(QobjAssemblyError, match="gamma"):
        assemble(circuit)


def test_binding_that_leaves_a_parameter_unbound_is_rejected() -> None:
    theta, phi = Parameter("theta"), Parameter("phi")
    circuit = QuantumCircuit(1, name="half")
    circuit.rz(theta, 0)
    circuit.rx(phi, 0)
    with pytest.raises(QobjAssemblyError, match="unbound parameters: phi"):
        assemble(circuit, parameter_binds=[{theta: 1.0}])


def test_binding_an_unknown_parameter_is_rejected() -> None:
    theta = Parameter("theta")
    circuit = QuantumCircuit(1, name="known")
    circuit.rz(theta, 0)
    with pytest.raises(QobjAssemblyError, match="Cannot bind parameter_binds to circuit 0"):
        assemble(circuit, parameter_binds=[{theta: 1.0, Parameter("other"): 2.0}])


# -- conditionals and unsupported instructions ------------------------------------------------


def test_if_test_on_a_register_becomes_bfunc_and_conditional() -> None:
    q = QuantumRegister(2, "q")
    low, high = ClassicalRegister(2, "low"), ClassicalRegister(3, "high")
    circuit = QuantumCircuit(q, low, high, name="cond")
    circuit.measure(0, 4)
    with circuit.if_test((high, 0b101)):
        circuit.x(1)
        circuit.measure(1, 0)
    with circuit.if_test((low[1], False)):
        circuit.reset(0)
    assert instructions(assemble(circuit)) == [
        {"name": "measure", "qubits": [0], "memory": [4], "register": [4]},
        {"name": "bfunc", "register": 5, "mask": "0x1C", "relation": "==", "val": "0x14"},
        {"name": "x", "qubits": [1], "conditional": 5},
        {"name": "measure", "qubits": [1], "memory": [0], "register": [0], "conditional": 5},
        {"name": "bfunc", "register": 6, "mask": "0x2", "relation": "==", "val": "0x0"},
        {"name": "reset", "qubits": [0], "conditional": 6},
    ]


def test_measure_has_no_register_without_conditionals() -> None:
    assert "register" not in instructions(assemble(one_qubit()))[1]


def test_empty_if_test_body_emits_nothing() -> None:
    circuit = QuantumCircuit(1, 1, name="empty-if")
    with circuit.if_test((circuit.clbits[0], 1)):
        pass
    circuit.x(0)
    assert instructions(assemble(circuit)) == [{"name": "x", "qubits": [0]}]


def _else_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1, 1)
    with circuit.if_test((circuit.clbits[0], 1)) as orelse:
        circuit.x(0)
    with orelse:
        circuit.h(0)
    return circuit


def _expr_condition_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1, 1)
    with circuit.if_test(expr.logic_not(circuit.clbits[0])):
        circuit.x(0)
    return circuit


def _nested_if_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1, 2)
    with circuit.if_test((circuit.clbits[0], 1)), circuit.if_test((circuit.clbits[1], 1)):
        circuit.x(0)
    return circuit


def _barrier_in_if_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1, 1)
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.barrier()
    return circuit


def _for_loop_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1, 1)
    with circuit.for_loop(range(2)):
        circuit.x(0)
    return circuit


def _while_loop_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1, 1)
    with circuit.while_loop((circuit.clbits[0], 0)):
        circuit.x(0)
    return circuit


def _store_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1, 1)
    circuit.add_var("flag", expr.lift(True))
    return circuit


def _clifford_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(1)
    circuit.append(Clifford(QuantumCircuit(1)), [0])
    return circuit


def _register_value_too_big_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(QuantumRegister(1), ClassicalRegister(1, "c"))
    with circuit.if_test((circuit.cregs[0], 1)):
        circuit.x(0)
    # qiskit checks the value when the block is built; change it afterwards.
    operation = circuit.data[0].operation
    operation.condition = (circuit.cregs[0], 2)
    return circuit


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_else_circuit, "else branch"),
        (_expr_condition_circuit, "only \\(classical bit, value\\)"),
        (_nested_if_circuit, "only gates, measurements and resets"),
        (_barrier_in_if_circuit, "only gates, measurements and resets"),
        (_for_loop_circuit, "control flow cannot be sent"),
        (_while_loop_circuit, "control flow cannot be sent"),
        (_store_circuit, "classical variables"),
        (_clifford_circuit, "not a circuit instruction"),
        (_register_value_too_big_circuit, "does not fit register"),
    ],
)
def test_unsupported_instructions_are_rejected(build: Any, message: str) -> None:
    with pytest.raises(QobjAssemblyError, match=message):
        assemble(build())


def test_instruction_params_without_json_form_are_rejected() -> None:
    from qiskit.circuit import Instruction

    class Odd(Instruction):  # type: ignore[misc]
        def validate_parameter(self, parameter: Any) -> Any:
            return parameter

    circuit = QuantumCircuit(1, name="odd")
    circuit.append(Odd("odd", 1, 0, [object()]), [0])
    with pytest.raises(QobjAssemblyError, match=r"'odd'.*no JSON form"):
        assemble(circuit)


def test_custom_gate_integer_params_become_floats() -> None:
    from qiskit.circuit import Gate

    circuit = QuantumCircuit(1, name="custom")
    circuit.append(Gate("g", 1, [3]), [0])
    op = instructions(assemble(circuit))[0]
    assert op == {"name": "g", "qubits": [0], "params": [3.0]}
    assert type(op["params"][0]) is float


def test_non_gate_instruction_keeps_integer_params() -> None:
    from qiskit.circuit import Instruction

    circuit = QuantumCircuit(1, name="custom")
    circuit.append(Instruction("custom", 1, 0, [3, 0.5, "tag"]), [0])
    op = instructions(assemble(circuit))[0]
    assert op == {"name": "custom", "qubits": [0], "params": [3, 0.5, "tag"]}
    assert type(op["params"][0]) is int


# -- models -----------------------------------------------------------------------------------


def test_to_wire_omits_none_fields_but_keeps_empty_values() -> None:
    qobj = QasmQobj(
        qobj_id="id",
        header=QobjHeader(backend_name="b"),
        config=QasmQobjConfig(shots=1, parameter_binds=[], parametric_pulses=[]),
    )
    assert qobj.to_wire() == {
        "qobj_id": "id",
        "type": "QASM",
        "schema_version": "1.3.0",
        "header": {"backend_name": "b"},
        "config": {"shots": 1, "parameter_binds": [], "parametric_pulses": []},
        "experiments": [],
    }


def test_to_wire_keeps_none_inside_user_dicts() -> None:
    header = QasmQobjExperimentHeader(name="n", metadata={"kept": None})
    assert header.model_dump() == {"name": "n", "metadata": {"kept": None}}


def test_to_wire_encodes_complex_and_numpy_values_in_user_built_models() -> None:
    instruction = QasmQobjInstruction(name="u", params=[np.float64(0.5), 1 + 1j, np.arange(2)])
    qobj = QasmQobj.model_validate(
        {"qobj_id": "id", "experiments": [{"instructions": [instruction.model_dump()]}]}
    )
    params = qobj.to_wire()["experiments"][0]["instructions"][0]["params"]
    assert params == [0.5, [1.0, 1.0], [0, 1]]
    json.dumps(qobj.to_wire(), allow_nan=False)


def test_instruction_register_is_a_list_for_measure_and_an_int_for_bfunc() -> None:
    measure = QasmQobjInstruction.model_validate(
        {"name": "measure", "qubits": [0], "memory": [0], "register": [0]}
    )
    bfunc = QasmQobjInstruction.model_validate(
        {"name": "bfunc", "register": 3, "mask": "0x1", "relation": "==", "val": "0x1"}
    )
    assert measure.register == [0]
    assert bfunc.register == 3


def test_qobj_type_must_be_qasm() -> None:
    with pytest.raises(ValueError, match="QASM"):
        QasmQobj.model_validate({"qobj_id": "x", "type": "PULSE"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({1: (1, 2)}, {"1": [1, 2]}),
        (np.bool_(True), True),
        (np.array([1.5, 2.5]), [1.5, 2.5]),
        (2 - 1j, [2.0, -1.0]),
        ([np.int32(4)], [4]),
    ],
)
def test_json_ready(value: Any, expected: Any) -> None:
    result = json_ready(value)
    assert result == expected
    assert json.loads(json.dumps(result)) == expected


def test_json_ready_rejects_unknown_objects() -> None:
    with pytest.raises(TypeError, match="no JSON form"):
        json_ready({"x": object()})
