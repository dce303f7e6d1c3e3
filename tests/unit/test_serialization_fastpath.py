"""The fast serialization path sends what the model-per-instruction path sent (issue 8).

``data/serialization_golden.json`` was frozen from ``circuits_to_qobj(...).to_wire()`` as it was
before the fast path existed (commit d8bbd0a), for the corpus below. The corpus is built with
plain ``QuantumCircuit`` calls and a seeded ``random.Random``, never with ``transpile`` or
``random_circuit``, so it does not change with the qiskit version. Bodies are compared as JSON
text with sorted keys, so ``1`` and ``1.0`` differ, as they do on the wire.

Refreeze (only to extend the corpus, with a reviewed reference implementation):
``python tests/unit/test_serialization_fastpath.py --freeze``.
"""

from __future__ import annotations

import copy
import json
import math
import pathlib
import pickle
import random
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Clbit, Instruction, Parameter, ParameterVector, Qubit
from qiskit.circuit import library as lib
from qiskit.circuit.library import UnitaryGate
from qiskit.quantum_info import random_unitary

from ibmq_async._core.assemble import circuits_to_qobj
from ibmq_async._core.models.qobj import QasmQobj, QasmQobjInstruction
from ibmq_async._core.validate import JobValidationError, validate_qobj

GOLDEN = pathlib.Path(__file__).parent / "data" / "serialization_golden.json"

# name, class, number of qubits, number of params
_GATES: list[tuple[type[Any], int, int]] = [
    (lib.HGate, 1, 0),
    (lib.XGate, 1, 0),
    (lib.YGate, 1, 0),
    (lib.ZGate, 1, 0),
    (lib.SGate, 1, 0),
    (lib.SdgGate, 1, 0),
    (lib.TGate, 1, 0),
    (lib.TdgGate, 1, 0),
    (lib.SXGate, 1, 0),
    (lib.SXdgGate, 1, 0),
    (lib.IGate, 1, 0),
    (lib.RXGate, 1, 1),
    (lib.RYGate, 1, 1),
    (lib.RZGate, 1, 1),
    (lib.PhaseGate, 1, 1),
    (lib.UGate, 1, 3),
    (lib.CXGate, 2, 0),
    (lib.CZGate, 2, 0),
    (lib.CYGate, 2, 0),
    (lib.SwapGate, 2, 0),
    (lib.ECRGate, 2, 0),
    (lib.RZZGate, 2, 1),
    (lib.CPhaseGate, 2, 1),
    (lib.CRXGate, 2, 1),
    (lib.CUGate, 2, 4),
    (lib.CCXGate, 3, 0),
    (lib.CSwapGate, 3, 0),
]


def _param(rng: random.Random) -> Any:
    kind = rng.random()
    if kind < 0.6:
        return rng.uniform(-math.pi, math.pi)
    if kind < 0.8:
        return np.float64(rng.uniform(-4, 4))
    if kind < 0.9:
        return rng.randint(-3, 3)
    return np.int64(rng.randint(0, 5))


def random_native(seed: int, n_qubits: int = 6, n_ops: int = 120) -> QuantumCircuit:
    """Gates of many kinds, with float, numpy and integer params, labels, barriers, resets,
    delays and measurements, over two quantum and two classical registers."""
    rng = random.Random(seed)
    qa = QuantumRegister(n_qubits // 2, "qa")
    qb = QuantumRegister(n_qubits - n_qubits // 2, "qb")
    ca = ClassicalRegister(3, "ca")
    cb = ClassicalRegister(n_qubits - 3, "cb")
    circuit = QuantumCircuit(qa, qb, ca, cb, name=f"native-{seed}", global_phase=seed * 0.1)
    circuit.metadata = {"seed": seed, "layout": (1, 2)}
    for _ in range(n_ops):
        choice = rng.random()
        if choice < 0.8:
            cls, width, n_params = rng.choice(_GATES)
            qubits = rng.sample(range(n_qubits), width)
            params = [_param(rng) for _ in range(n_params)]
            label = f"g{rng.randint(0, 9)}" if rng.random() < 0.05 else None
            gate = cls(*params, label=label) if label else cls(*params)
            circuit.append(gate, qubits)
        elif choice < 0.85:
            circuit.barrier(*rng.sample(range(n_qubits), rng.randint(1, n_qubits)))
        elif choice < 0.9:
            circuit.reset(rng.randrange(n_qubits))
        elif choice < 0.93:
            circuit.delay(rng.randint(0, 400), rng.randrange(n_qubits))
        else:
            circuit.measure(rng.randrange(n_qubits), rng.randrange(n_qubits))
    circuit.measure(range(n_qubits), range(n_qubits))
    return circuit


def device_layers(seed: int, n_qubits: int = 8, depth: int = 30) -> QuantumCircuit:
    """The benchmark's shape: layers of ``rz``/``sx``/``x`` and ``ecr`` on a line."""
    rng = random.Random(seed)
    circuit = QuantumCircuit(n_qubits, n_qubits, name=f"device-{seed}")
    for _ in range(depth):
        busy: set[int] = set()
        for a in rng.sample(range(n_qubits - 1), n_qubits - 1):
            if a not in busy and a + 1 not in busy and rng.random() < 0.4:
                busy.update((a, a + 1))
                circuit.ecr(a, a + 1)
        for q in range(n_qubits):
            if q in busy:
                continue
            r = rng.random()
            if r < 0.5:
                circuit.rz(rng.uniform(-math.pi, math.pi), q)
            elif r < 0.9:
                circuit.sx(q)
            else:
                circuit.x(q)
    circuit.barrier()
    circuit.measure(range(n_qubits), range(n_qubits))
    return circuit


def bound_circuits() -> tuple[list[QuantumCircuit], list[dict[Any, Any]]]:
    theta = Parameter("theta")
    vec = ParameterVector("v", 3)
    one = QuantumCircuit(2, 2, name="p1", global_phase=theta / 2)
    one.rx(theta, 0)
    one.ry(2 * vec[0] + 1, 1)
    one.rzz(vec[1] * vec[2], 0, 1)
    one.u(vec[0], vec[1], theta, 1)
    one.delay(10 * vec[2], 0)
    one.measure([0, 1], [0, 1])
    two = QuantumCircuit(1, 1, name="p2")
    two.rz(theta - vec[2], 0)
    two.p(vec[0] + vec[1], 0)
    two.measure(0, 0)
    binds: list[dict[Any, Any]] = [
        {theta: 0.5, vec[0]: 1, vec[1]: np.float64(0.25), vec[2]: 3},
        {theta: -1.25, vec[0]: 0.0, vec[1]: 2.5, vec[2]: 7},
    ]
    return [one, two], binds


def assigned_circuit() -> QuantumCircuit:
    alpha = Parameter("alpha")
    circuit = QuantumCircuit(2, 2, name="assigned")
    circuit.crx(alpha * 3, 0, 1)
    circuit.cp(alpha, 1, 0)
    circuit.measure([0, 1], [1, 0])
    bound = circuit.assign_parameters({alpha: 0.125})
    bound.name = "assigned"  # qiskit names a bound copy "<name>-<counter>"
    return bound


def conditional_circuit() -> QuantumCircuit:
    q = QuantumRegister(3, "q")
    c = ClassicalRegister(2, "c")
    d = ClassicalRegister(2, "d")
    circuit = QuantumCircuit(q, c, d, name="cond")
    circuit.h(0)
    circuit.measure(0, 0)
    circuit.measure(1, 3)
    with circuit.if_test((c, 2)):
        circuit.x(1)
        circuit.rz(0.5, 2)
        circuit.measure(2, 1)
    with circuit.if_test((d[1], 1)):
        circuit.cx(0, 2)
        circuit.reset(1)
    with circuit.if_test((d, 0)):
        pass
    with circuit.if_test((c[0], 0)):
        circuit.sx(2)
    circuit.barrier()
    circuit.measure([0, 1, 2], [2, 1, 0])
    return circuit


def simulator_circuit() -> QuantumCircuit:
    circuit = QuantumCircuit(3, 3, name="sim")
    circuit.append(UnitaryGate(random_unitary(4, seed=7), label="U"), [0, 2])
    circuit.append(UnitaryGate(np.eye(2)), [1])
    circuit.initialize([0.6, 0.8j], 1)
    circuit.initialize([1, 0], 2)
    circuit.delay(0.5, 0, unit="us")
    circuit.delay(7, 1, unit="dt")
    circuit.append(Instruction("custom", 1, 0, [3, 2.5, np.int64(4)]), [0])
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


def loose_bits_circuit() -> QuantumCircuit:
    reg = QuantumRegister(2, "q")
    creg = ClassicalRegister(2, "c")
    circuit = QuantumCircuit([Qubit()], reg, [Clbit()], creg, name="loose")
    circuit.add_register(ClassicalRegister(bits=[creg[1], circuit.clbits[0]], name="alias"))
    circuit.h(0)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [2, 0, 1])
    return circuit


def empty_circuits() -> list[QuantumCircuit]:
    bare = QuantumCircuit(2, name="bare")
    only_barrier = QuantumCircuit(3, 1, name="barrier")
    only_barrier.barrier()
    return [bare, only_barrier]


def _with_binds(
    circuits: list[QuantumCircuit], binds: list[dict[Any, Any]], **kwargs: Any
) -> tuple[list[QuantumCircuit], dict[str, Any]]:
    return circuits, {"parameter_binds": binds, **kwargs}


Case = Callable[[], tuple[list[QuantumCircuit], dict[str, Any]]]

CASES: dict[str, Case] = {
    "random_native": lambda: ([random_native(seed) for seed in range(6)], {"shots": 1000}),
    "device_layers": lambda: (
        [device_layers(seed) for seed in range(4)],
        {"shots": 4000, "memory": True, "rep_delay": 250.0, "use_measure_esp": True},
    ),
    "parameter_binds": lambda: _with_binds(
        *bound_circuits(), shots=100, meas_level=1, meas_return="single", init_qubits=False
    ),
    "assigned": lambda: ([assigned_circuit()], {"shots": 7, "meas_level": 0}),
    "conditional": lambda: ([conditional_circuit(), random_native(99, 4, 30)], {"shots": 10}),
    "simulator": lambda: (
        [simulator_circuit()],
        {
            "shots": 2048,
            "dt": 2.2222222222222221e-10,
            "header": {"user": "me", "tags": ("a", "b"), "n": np.int64(3), "skip": None},
            "extra_config": {
                "seed_simulator": np.int64(42),
                "method": "statevector",
                "noise": None,
                "weights": np.array([0.5, 0.25]),
            },
            "parametric_pulses": ["gaussian", "drag"],
        },
    ),
    "loose_bits": lambda: ([loose_bits_circuit()], {"shots": 1}),
    "empty": lambda: (empty_circuits(), {"shots": 5}),
}


def assemble_case(name: str) -> dict[str, Any]:
    circuits, kwargs = CASES[name]()
    wire = circuits_to_qobj(
        circuits,
        backend_name="ibmq_golden",
        backend_version="1.2.3",
        qobj_id=f"golden-{name}",
        **kwargs,
    ).to_wire()
    return wire


def canonical(wire: Any) -> str:
    return json.dumps(wire, sort_keys=True, allow_nan=False)


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GOLDEN.read_text())
    return loaded


def test_the_corpus_is_frozen_for_every_case(golden: dict[str, Any]) -> None:
    assert sorted(golden) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_sends_the_frozen_body(name: str, golden: dict[str, Any]) -> None:
    assert canonical(assemble_case(name)) == canonical(golden[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_typed_models_give_the_same_body(name: str, golden: dict[str, Any]) -> None:
    """Reading the typed models of an assembled Qobj, then dumping them, changes nothing."""
    circuits, kwargs = CASES[name]()
    qobj = circuits_to_qobj(
        circuits,
        backend_name="ibmq_golden",
        backend_version="1.2.3",
        qobj_id=f"golden-{name}",
        **kwargs,
    )
    assert all(isinstance(e.instructions, list) for e in qobj.experiments)
    assert canonical(qobj.to_wire()) == canonical(golden[name])
    assert canonical(QasmQobj.model_validate(golden[name]).to_wire()) == canonical(golden[name])


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_body_has_the_key_order_of_the_models(name: str) -> None:
    """Same bytes, not only the same meaning: keys come in the order the models dump them."""
    wire = assemble_case(name)
    assert json.dumps(wire) == json.dumps(QasmQobj.model_validate(wire).to_wire())


def _small_qobj() -> QasmQobj:
    circuit = QuantumCircuit(2, 2, name="small")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuits_to_qobj(circuit, backend_name="b", backend_version="1", shots=3, qobj_id="s")


def test_assembled_qobj_is_a_typed_model() -> None:
    qobj = _small_qobj()
    instruction = qobj.experiments[0].instructions[1]
    assert isinstance(instruction, QasmQobjInstruction)
    assert (instruction.name, instruction.qubits) == ("cx", [0, 1])
    assert qobj.experiments[0].header.name == "small"
    assert qobj.config.shots == 3


def test_edits_to_the_models_reach_the_body() -> None:
    qobj = _small_qobj()
    qobj.experiments[0].instructions[0].name = "x"
    qobj.config.shots = 9
    qobj.header.backend_name = "other"
    wire = qobj.to_wire()
    assert wire["experiments"][0]["instructions"][0]["name"] == "x"
    assert wire["config"]["shots"] == 9
    assert wire["header"]["backend_name"] == "other"


def test_assembled_qobj_dumps_copies_compares_and_pickles_like_a_built_one() -> None:
    built = QasmQobj.model_validate(_small_qobj().to_wire())
    for make in (
        _small_qobj,
        lambda: _small_qobj().model_copy(),
        lambda: copy.deepcopy(_small_qobj()),
        lambda: pickle.loads(pickle.dumps(_small_qobj())),
    ):
        assert make() == built
        assert built == make()
        assert make().model_dump() == built.model_dump()
        assert make().model_dump_json() == built.model_dump_json()
        assert dict(make()) == dict(built)
        assert repr(make()) == repr(built)


def test_two_bodies_of_one_qobj_are_independent_at_the_top() -> None:
    qobj = _small_qobj()
    first = qobj.to_wire()
    first["config"]["shots"] = 1
    first["experiments"].append({})
    assert qobj.to_wire()["config"]["shots"] == 3
    assert len(qobj.to_wire()["experiments"]) == 1


# -- validation: the fast checks give the same verdicts --------------------------------------


DEVICE = {
    "backend_name": "fake_line",
    "n_qubits": 8,
    "simulator": False,
    "basis_gates": ["ecr", "id", "rz", "sx", "x"],
    "coupling_map": [[a, a + 1] for a in range(7)],
    "max_experiments": 10,
    "max_shots": 100000,
    "memory": True,
}


def test_device_circuits_validate_through_the_fast_check(monkeypatch: pytest.MonkeyPatch) -> None:
    from ibmq_async._core import validate

    passed: list[bool] = []
    real = validate._plain_gate_passes

    def counting(*args: Any) -> bool:
        passed.append(real(*args))
        return passed[-1]

    monkeypatch.setattr(validate, "_plain_gate_passes", counting)
    wire = assemble_case("device_layers")
    summary = validate_qobj(wire, DEVICE)
    assert summary.n_experiments == 4
    gates = sum(
        i["name"] in ("ecr", "rz", "sx", "x")
        for e in wire["experiments"]
        for i in e["instructions"]
    )
    assert passed.count(True) == gates == len(passed)


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda i: i.update(qubits=[1, 0]), "not in the coupling map"),
        (lambda i: i.update(qubits=[6, 8]), "has 8 qubits"),
        (lambda i: i.update(name="cx"), "not supported"),
        (lambda i: i.update(qubits=[1, 1]), "repeated qubit"),
        (lambda i: i.update(qubits=[1]), "acts on 2 qubit"),
        (lambda i: i.update(params=[0.5]), "takes 0 parameter"),
        (lambda i: i.update(qubits=[True, 1]), "non-negative integers"),
        (lambda i: i.update(conditional=3), "no preceding bfunc"),
    ],
)
def test_bad_two_qubit_instruction_is_caught(mutate: Any, fragment: str) -> None:
    wire = assemble_case("device_layers")
    instructions = wire["experiments"][2]["instructions"]
    target = next(i for i in instructions if i["name"] == "ecr")
    mutate(target)
    with pytest.raises(JobValidationError, match=fragment):
        validate_qobj(wire, DEVICE)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [([math.nan], "bound to numbers"), ([True], "bound to numbers"), ([], "takes 1 parameter")],
)
def test_bad_rz_params_are_caught(params: list[Any], fragment: str) -> None:
    wire = assemble_case("device_layers")
    target = next(i for i in wire["experiments"][1]["instructions"] if i["name"] == "rz")
    target["params"] = params
    with pytest.raises(JobValidationError, match=fragment):
        validate_qobj(wire, DEVICE)


@pytest.mark.parametrize("name", [["ecr"], {"n": 1}, None, 3])
def test_an_instruction_name_that_is_no_string_is_malformed(name: Any) -> None:
    wire = assemble_case("device_layers")
    wire["experiments"][0]["instructions"][0]["name"] = name
    with pytest.raises(JobValidationError, match="has no name"):
        validate_qobj(wire, DEVICE)


def test_integer_params_and_explicit_none_conditional_take_the_full_check() -> None:
    wire = assemble_case("device_layers")
    rz = next(i for i in wire["experiments"][0]["instructions"] if i["name"] == "rz")
    rz["params"] = [1]
    rz["conditional"] = None
    assert validate_qobj(wire, DEVICE).n_experiments == 4


SIMULATOR = {
    "backend_name": "fake_sim",
    "n_qubits": 8,
    "simulator": True,
    "basis_gates": sorted({cls().name if not n else cls(*[0.1] * n).name for cls, _, n in _GATES}),
    "supported_instructions": ["unitary", "initialize", "custom"],
    "max_shots": 100000,
}
TIGHT = {
    "backend_name": "fake_ring",
    "n_qubits": 5,
    "simulator": False,
    "basis_gates": ["cx", "ecr", "rz", "sx", "x", "ccx"],
    "coupling_map": [[a, (a + 1) % 5] for a in range(5)],
    "gates": [{"name": "ecr", "parameters": [], "coupling_map": [[0, 1], [2, 3]]}],
}
_BAD_VALUES: list[Any] = [-1, 9, 2**70, 1.0, True, None, "1", math.inf, math.nan, [0], 0.5, 3]


def _verdict(wire: dict[str, Any], configuration: dict[str, Any]) -> tuple[Any, ...]:
    try:
        return ("ok", validate_qobj(wire, configuration).n_experiments)
    except JobValidationError as exc:
        return (exc.code, exc.message)


@pytest.mark.parametrize(
    "configuration", [DEVICE, SIMULATOR, TIGHT], ids=lambda c: c["backend_name"]
)
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_fast_check_agrees_with_the_full_check(
    name: str, configuration: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the corpus and on 40 damaged copies of it, validation with the fast check gives
    exactly the verdict (code and message) of the full check alone."""
    from ibmq_async._core import validate

    rng = random.Random(name)
    wires = [assemble_case(name)]
    for _ in range(40):
        wire = copy.deepcopy(wires[0])
        instructions = [i for e in wire["experiments"] for i in e["instructions"]]
        if not instructions:
            continue
        target = rng.choice(instructions)
        key = rng.choice(["qubits", "params", "name", "conditional", "extra"])
        value = rng.choice(_BAD_VALUES)
        if key in ("qubits", "params") and isinstance(target.get(key), list) and target[key]:
            target[key][rng.randrange(len(target[key]))] = value
        elif key == "name":
            target["name"] = rng.choice(["cx", "ecr", "rz", "ccx", "u", 7])
        elif key == "extra":
            target[key] = value
        else:
            target[key] = value
        wires.append(wire)
    fast = [_verdict(wire, configuration) for wire in wires]
    monkeypatch.setattr(validate, "_plain_gate_passes", lambda *args: False)
    assert fast == [_verdict(wire, configuration) for wire in wires]


def _freeze() -> None:
    frozen = {name: json.loads(canonical(assemble_case(name))) for name in sorted(CASES)}
    GOLDEN.write_text(json.dumps(frozen, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size} bytes)")


if __name__ == "__main__":
    if sys.argv[1:] == ["--freeze"]:
        _freeze()
