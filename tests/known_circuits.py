"""Circuits whose outcomes are known, shared by the tests.

``pythonpath`` in ``pyproject.toml`` puts this folder on ``sys.path``, so a test (async, or its
generated blocking twin) and a child script of a test (``batch_child.py``) import it as
``known_circuits``.
"""

from __future__ import annotations

from qiskit import QuantumCircuit


def bell(name: str = "bell") -> QuantumCircuit:
    """A measured Bell pair: ``00`` and ``11``, about equally often."""
    circuit = QuantumCircuit(2, 2, name=name)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure([0, 1], [0, 1])
    return circuit


def ghz(width: int = 3, name: str = "ghz") -> QuantumCircuit:
    """A measured GHZ state on ``width`` qubits: all zeros and all ones, about equally often."""
    circuit = QuantumCircuit(width, width, name=name)
    circuit.h(0)
    for qubit in range(width - 1):
        circuit.cx(qubit, qubit + 1)
    circuit.measure(range(width), range(width))
    return circuit


def pattern(index: int, width: int = 3) -> QuantumCircuit:
    """Circuit ``index`` prepares the basis state ``index % 2**width``, so its counts say
    which experiment they belong to (:func:`pattern_bits`)."""
    circuit = QuantumCircuit(width, width, name=f"c{index}")
    for bit in range(width):
        if index >> bit & 1:
            circuit.x(bit)
    circuit.measure(range(width), range(width))
    return circuit


def pattern_bits(index: int, width: int = 3) -> str:
    """The one outcome of ``pattern(index, width)`` on a noiseless simulator."""
    return format(index % 2**width, f"0{width}b")
