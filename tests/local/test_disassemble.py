"""Unit tests of Qobj experiment -> QuantumCircuit conversion."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import IfElseOp
from qiskit.quantum_info import Operator

from ibmq_async._core.disassemble import QobjFormatError, experiment_to_circuit, qobj_to_circuits


def exp(instructions: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    return {"header": header, "config": {}, "instructions": instructions}


def test_gates_with_params_match_the_same_circuit_built_in_qiskit() -> None:
    circuit = experiment_to_circuit(
        exp(
            [
                {"name": "h", "qubits": [0]},
                {"name": "cx", "qubits": [0, 2]},
                {"name": "u", "qubits": [1], "params": [0.1, 0.2, 0.3]},
                {"name": "rzz", "qubits": [2, 1], "params": [0.7]},
                {"name": "ecr", "qubits": [1, 0]},
                {"name": "id", "qubits": [2]},
            ],
            n_qubits=3,
            name="bell",
            global_phase=0.25,
            metadata={"k": "v"},
        )
    )
    expected = QuantumCircuit(3, global_phase=0.25)
    expected.h(0)
    expected.cx(0, 2)
    expected.u(0.1, 0.2, 0.3, 1)
    expected.rzz(0.7, 2, 1)
    expected.ecr(1, 0)
    expected.id(2)
    assert circuit.name == "bell"
    assert circuit.metadata == {"k": "v"}
    assert Operator(circuit).equiv(Operator(expected))
    assert Operator(circuit) == Operator(expected)  # global phase included


def test_measure_barrier_reset_delay() -> None:
    circuit = experiment_to_circuit(
        exp(
            [
                {"name": "x", "qubits": [1]},
                {"name": "barrier", "qubits": [0, 1]},
                {"name": "reset", "qubits": [0]},
                {"name": "delay", "qubits": [1], "params": [160.0]},
                {"name": "measure", "qubits": [1], "memory": [2]},
                {"name": "measure", "qubits": [0, 1], "memory": [0, 1]},
            ],
            n_qubits=2,
            memory_slots=3,
        )
    )
    names = [instruction.operation.name for instruction in circuit.data]
    assert names == ["x", "barrier", "reset", "delay", "measure", "measure", "measure"]
    delay = circuit.data[3].operation
    assert (delay.duration, delay.unit) == (160, "dt")
    measured = [
        (circuit.find_bit(i.qubits[0]).index, circuit.find_bit(i.clbits[0]).index)
        for i in circuit.data
        if i.operation.name == "measure"
    ]
    assert measured == [(1, 2), (0, 0), (1, 1)]
    assert circuit.num_clbits == 3


def test_sizes_are_widened_to_what_is_used() -> None:
    circuit = experiment_to_circuit(
        exp([{"name": "measure", "qubits": [4], "memory": [3]}], n_qubits=2, memory_slots=1)
    )
    assert (circuit.num_qubits, circuit.num_clbits) == (5, 4)


def test_bfunc_on_one_bit_becomes_if_test() -> None:
    circuit = experiment_to_circuit(
        exp(
            [
                {"name": "x", "qubits": [0]},
                {"name": "measure", "qubits": [0], "memory": [0], "register": [0]},
                {"name": "bfunc", "mask": "0x1", "relation": "==", "val": "0x1", "register": 2},
                {"name": "x", "qubits": [1], "conditional": 2},
            ],
            n_qubits=2,
            memory_slots=2,
        )
    )
    op = circuit.data[-1].operation
    assert isinstance(op, IfElseOp)
    target, value = op.condition
    assert circuit.find_bit(target).index == 0 and value == 1
    assert [i.operation.name for i in op.blocks[0].data] == ["x"]


def test_bfunc_on_several_bits_uses_an_alias_register() -> None:
    circuit = experiment_to_circuit(
        exp(
            [
                {"name": "bfunc", "mask": "0x5", "relation": "==", "val": "0x4", "register": 3},
                {"name": "x", "qubits": [0], "conditional": 3},
                {"name": "bfunc", "mask": "0x3", "relation": "!=", "val": "0x1", "register": 4},
                {"name": "x", "qubits": [0], "conditional": 4},
            ],
            n_qubits=1,
            memory_slots=3,
        )
    )
    first, second = (i.operation for i in circuit.data)
    register, value = first.condition
    assert [circuit.find_bit(bit).index for bit in register] == [0, 2]
    assert value == 0b10  # bit 0 must be 0, bit 2 must be 1
    assert isinstance(second, IfElseOp)
    assert len(second.blocks[0].data) == 0 and len(second.blocks[1].data) == 1


def test_unitary_and_initialize() -> None:
    hadamard = [
        [[1 / math.sqrt(2), 0], [1 / math.sqrt(2), 0]],
        [[1 / math.sqrt(2), 0], [-1 / math.sqrt(2), 0]],
    ]
    circuit = experiment_to_circuit(
        exp(
            [
                {"name": "initialize", "qubits": [0], "params": [[0, 0], [1, 0]]},
                {"name": "unitary", "qubits": [1], "params": [hadamard]},
            ],
            n_qubits=2,
        )
    )
    names = [i.operation.name for i in circuit.data]
    assert names == ["initialize", "unitary"]
    assert np.allclose(
        circuit.data[1].operation.to_matrix(), np.array([[1, 1], [1, -1]]) / math.sqrt(2)
    )


def test_qobj_to_circuits_converts_every_experiment() -> None:
    qobj = {
        "config": {"n_qubits": 2, "memory_slots": 1},
        "experiments": [exp([{"name": "x", "qubits": [0]}]), exp([{"name": "y", "qubits": [1]}])],
    }
    circuits = qobj_to_circuits(qobj)
    assert [c.num_qubits for c in circuits] == [2, 2]


@pytest.mark.parametrize(
    "instruction",
    [
        {"name": "not_a_gate", "qubits": [0]},
        {"name": "rz", "qubits": [0]},
        {"name": "rz", "qubits": [0], "params": ["theta"]},
        {"name": "x", "qubits": [0], "conditional": 7},
        {"name": "measure", "qubits": [0], "memory": [0, 1]},
        {"name": "cx", "qubits": [0]},
        {"name": "unitary", "qubits": [0], "params": [[[1, 0], [1, 0]]]},
        {"name": "bfunc", "mask": "zz", "val": "0x1", "register": 1},
    ],
)
def test_malformed_instructions_raise_qobj_format_error(instruction: dict[str, Any]) -> None:
    with pytest.raises(QobjFormatError):
        experiment_to_circuit(exp([instruction], n_qubits=2, memory_slots=1))
