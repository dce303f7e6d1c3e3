"""The benchmarks' circuits: a Bell pair and a GHZ state of known outcomes, and seeded random
circuits in a device's basis, identical under qiskit 1.4 and qiskit 2.

The random ones are imported by ``bench/serialization.py`` (qiskit 2) and by
``bench/_assemble_baseline.py`` (run by an interpreter with qiskit 1.4): QPY written by qiskit 2
may not load in qiskit 1.4, so each side builds the circuits itself from the same recipe, and
the caller checks that every circuit has the same instruction count on both sides. Only
``QuantumCircuit`` calls that both versions share, and Python's ``random.Random``, are used.

The recipe, per circuit ``seed``: ``depth`` layers; in each layer the coupling-map edges among
the first ``num_qubits`` qubits are visited in a random order and each edge whose two qubits
are still free this layer gets the device's two-qubit gate with probability 0.4; every other
qubit gets one single-qubit gate: ``rz`` (a random angle, probability 0.5), ``sx`` (0.4) or
``x`` (0.1). So each layer is one moment and the circuit has depth ``depth`` before a final
barrier and a measurement of every qubit into its own clbit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any


def bell(name: str = "bell") -> Any:
    """A measured 2-qubit Bell circuit: only ``00`` and ``11`` on an ideal simulator."""
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2, 2, name=name)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuit


def ghz(name: str = "ghz") -> Any:
    """A measured 3-qubit GHZ circuit: only ``000`` and ``111`` on an ideal simulator."""
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(3, 3, name=name)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    return circuit


def device_edges(coupling_map: Sequence[Sequence[int]], num_qubits: int) -> list[list[int]]:
    """The directed edges of ``coupling_map`` whose two qubits are both below ``num_qubits``."""
    return sorted(
        [int(a), int(b)] for a, b in coupling_map if int(a) < num_qubits and int(b) < num_qubits
    )


def layered_circuit(
    seed: int,
    num_qubits: int,
    depth: int,
    edges: Sequence[Sequence[int]],
    two_qubit_gate: str,
) -> Any:
    """One circuit of the recipe above (a ``QuantumCircuit`` named ``rand-<seed>``)."""
    from qiskit import QuantumCircuit

    rng = random.Random(seed)
    circuit = QuantumCircuit(num_qubits, num_qubits, name=f"rand-{seed}")
    two_qubit = getattr(circuit, two_qubit_gate)
    pairs = [tuple(edge) for edge in edges]
    for _ in range(depth):
        busy: set[int] = set()
        for a, b in rng.sample(pairs, len(pairs)):
            if a not in busy and b not in busy and rng.random() < 0.4:
                busy.update((a, b))
                two_qubit(a, b)
        for qubit in range(num_qubits):
            if qubit in busy:
                continue
            draw = rng.random()
            if draw < 0.5:
                circuit.rz(rng.uniform(-math.pi, math.pi), qubit)
            elif draw < 0.9:
                circuit.sx(qubit)
            else:
                circuit.x(qubit)
    circuit.barrier()
    circuit.measure(range(num_qubits), range(num_qubits))
    return circuit


def build(spec: dict[str, Any]) -> list[Any]:
    """Every circuit of a workload ``spec`` (``seeds``, ``num_qubits``, ``depth``, ``edges``,
    ``two_qubit_gate``), in seed order."""
    return [
        layered_circuit(
            seed, spec["num_qubits"], spec["depth"], spec["edges"], spec["two_qubit_gate"]
        )
        for seed in spec["seeds"]
    ]
