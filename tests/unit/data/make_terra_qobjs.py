"""Regenerate ``terra_0_46_qobjs.json``: reference Qobjs from qiskit-terra 0.46's ``assemble``.

Run with the compat interpreter, which has qiskit-terra 0.46.3 (qiskit 2 has no ``assemble``)::

    /work/.compatvenv/bin/python tests/unit/data/make_terra_qobjs.py

The circuits built here are rebuilt with qiskit 2 in ``tests/unit/test_assemble.py``; keep the two
in step. The JSON encoding follows qiskit-ibmq-provider 0.20.2's upload encoder: complex numbers
become ``[re, im]``, numpy arrays lists, parameter expressions floats.
"""

from __future__ import annotations

import json
import pathlib
import warnings
from typing import Any

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
from qiskit.circuit import Parameter, ParameterExpression
from qiskit.circuit.library import XGate
from qiskit.compiler import assemble

HEADER = {"backend_name": "ibmq_fake", "backend_version": "1.0.0", "foo": "bar"}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, complex):
        return [value.real, value.imag]
    if isinstance(value, ParameterExpression):
        return float(value)
    return value


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
    binds = [{theta: 0.5, phi: 0.25}, {theta: 1.0, phi: -0.5}]
    return [one, two], binds


def conditional_circuit() -> QuantumCircuit:
    q = QuantumRegister(2, "q")
    c = ClassicalRegister(2, "c")
    d = ClassicalRegister(1, "d")
    circ = QuantumCircuit(q, c, d, name="cond")
    circ.h(0)
    circ.measure(0, 0)
    circ.measure(1, 2)
    circ.x(1).c_if(c, 1)
    circ.h(0).c_if(d[0], 1)
    circ.measure([0, 1], [1, 0])
    return circ


def main() -> None:
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out["basic"] = assemble(
            basic_circuits(),
            qobj_id="terra-basic",
            qobj_header=HEADER,
            shots=1000,
            memory=True,
            use_measure_esp=False,
        ).to_dict()
        circuits, binds = bound_circuits()
        out["binds"] = assemble(
            circuits,
            qobj_id="terra-binds",
            qobj_header={**HEADER, "backend_version": "9.9"},
            shots=100,
            meas_level=1,
            meas_return="single",
            parameter_binds=binds,
            init_qubits=False,
            seed_simulator=42,
        ).to_dict()
        out["cond"] = assemble(
            conditional_circuit(), qobj_id="terra-cond", qobj_header=HEADER, shots=10
        ).to_dict()
    path = pathlib.Path(__file__).with_name("terra_0_46_qobjs.json")
    path.write_text(json.dumps(_plain(out), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
