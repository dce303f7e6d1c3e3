"""Qiskit's transpiler, primitives and plots on our backends, against the real local service.

The blocking backend is a ``BackendV2``: ``transpile``, the preset pass manager,
``BackendSamplerV2``, ``BackendEstimatorV2`` and ``plot_error_map`` take it as they take any
qiskit backend. On the ideal simulator the primitives' results match an exact statevector
computation; on a noisy device snapshot they are close to it, not equal. The async backend
offers the same ``target`` and a ``name`` that is a string as well as callable, so
``transpile`` and the plots take it too.
"""

from __future__ import annotations

import io
import math
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter
from qiskit.quantum_info import SparsePauliOp, Statevector

from ibmq_async import AsyncIBMQFactory
from ibmq_sync import IBMQFactory

pytestmark = pytest.mark.integration

SHOTS = 2000
DEVICE = "ibmq_manila"
SIMULATOR = "ibmq_qasm_simulator"


@pytest.fixture(scope="module")
def provider(local_service: Any) -> Iterator[Any]:
    factory = IBMQFactory()
    provider = factory.enable_account(local_service.token, url=local_service.auth_url)
    assert provider is not None
    yield provider
    factory.close()


def rotated_bell() -> tuple[QuantumCircuit, Parameter]:
    theta = Parameter("theta")
    circuit = QuantumCircuit(2)
    circuit.ry(theta, 0)
    circuit.cx(0, 1)
    return circuit, theta


def ideal_probabilities(circuit: QuantumCircuit) -> dict[str, float]:
    probabilities: dict[str, float] = Statevector(circuit).probabilities_dict()
    return probabilities


def need_plotting() -> None:
    """Skip without matplotlib, or without Graphviz's ``dot`` (qiskit draws coupling maps with
    it) unless under CI, where ``.ci/run`` installs it and its absence is a failure."""
    pytest.importorskip("matplotlib")
    if shutil.which("dot") is None:
        if os.environ.get("CI"):
            pytest.fail("Graphviz (dot) is missing: .ci/run installs Debian's graphviz")
        pytest.skip("Graphviz (dot) is not installed")
    import matplotlib

    matplotlib.use("Agg")


def total_variation(counts: dict[str, int], ideal: dict[str, float]) -> float:
    shots = sum(counts.values())
    keys = set(counts) | set(ideal)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - ideal.get(k, 0.0)) for k in keys)


def test_transpile_and_the_preset_pass_manager_use_the_backends_target(provider: Any) -> None:
    from qiskit.transpiler import generate_preset_pass_manager

    device = provider.get_backend(DEVICE)
    circuit, theta = rotated_bell()
    circuit.measure_all()
    bound = circuit.assign_parameters({theta: 0.7})
    for compiled in (
        transpile(bound, device, seed_transpiler=3),
        generate_preset_pass_manager(optimization_level=2, backend=device, seed_transpiler=3).run(
            bound
        ),
    ):
        assert set(compiled.count_ops()) <= {*device.operation_names, "barrier"}
        for instruction in compiled.data:
            if instruction.operation.num_qubits == 2 and instruction.operation.name != "barrier":
                pair = tuple(compiled.find_bit(q).index for q in instruction.qubits)
                assert pair in device.target[instruction.operation.name]
        counts = device.run(compiled, shots=200).result(timeout=180).get_counts()
        assert sum(counts.values()) == 200


def test_sampler_v2_matches_the_ideal_simulation_on_the_simulator_and_is_close_on_a_device(
    provider: Any,
) -> None:
    from qiskit.primitives import BackendSamplerV2

    circuit, theta = rotated_bell()
    angles = [0.0, 1.1, math.pi / 2]
    measured = circuit.copy()
    measured.measure_all()
    for name, tolerance in ((SIMULATOR, 0.05), (DEVICE, 0.15)):
        backend = provider.get_backend(name)
        sampler = BackendSamplerV2(backend=backend, options={"default_shots": SHOTS})
        compiled = transpile(measured, backend, seed_transpiler=5)
        (result,) = sampler.run([(compiled, [[a] for a in angles])]).result()
        for index, angle in enumerate(angles):
            counts = result.data.meas[index].get_counts()
            assert sum(counts.values()) == SHOTS
            ideal = ideal_probabilities(circuit.assign_parameters({theta: angle}))
            distance = total_variation(counts, ideal)
            assert distance < tolerance, (name, angle, counts)
            if name == SIMULATOR:
                assert set(counts) <= {"00", "11"}  # exact support: no noise


def test_estimator_v2_matches_the_ideal_expectation_on_the_simulator_and_is_close_on_a_device(
    provider: Any,
) -> None:
    from qiskit.primitives import BackendEstimatorV2

    circuit, theta = rotated_bell()
    observables = [SparsePauliOp("ZZ"), SparsePauliOp("IZ"), SparsePauliOp("XX")]
    angle = 0.9
    bound = circuit.assign_parameters({theta: angle})
    ideal = [Statevector(bound).expectation_value(o).real for o in observables]
    for name, tolerance in ((SIMULATOR, 0.08), (DEVICE, 0.25)):
        backend = provider.get_backend(name)
        estimator = BackendEstimatorV2(backend=backend, options={"default_precision": 0.02})
        compiled = transpile(bound, backend, seed_transpiler=5)
        layout_observables = [o.apply_layout(compiled.layout) for o in observables]
        (result,) = estimator.run([(compiled, layout_observables)]).result()
        values = [float(v) for v in result.data.evs]
        for value, expected in zip(values, ideal, strict=True):
            assert abs(value - expected) < tolerance, (name, values, ideal)
        if name == DEVICE:
            assert values != pytest.approx(ideal, abs=1e-9)  # noisy, not exact


def test_plot_error_map_and_gate_map_render_for_a_device(provider: Any) -> None:
    need_plotting()
    from qiskit.visualization import plot_error_map, plot_gate_map

    device = provider.get_backend(DEVICE)
    for figure in (plot_error_map(device), plot_gate_map(device)):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        assert buffer.getvalue().startswith(b"\x89PNG") and len(buffer.getvalue()) > 2_000


async def test_the_async_backend_works_with_transpile_and_the_plots(local_service: Any) -> None:
    factory = AsyncIBMQFactory()
    try:
        provider = await factory.enable_account(local_service.token, url=local_service.auth_url)
        assert provider is not None
        device = provider.get_backend(DEVICE)
        circuit, theta = rotated_bell()
        circuit.measure_all()
        compiled = transpile(
            circuit.assign_parameters({theta: 0.3}), target=device.target, seed_transpiler=3
        )
        assert set(compiled.count_ops()) <= {*device.target.operation_names, "barrier"}
        assert set(transpile(circuit, device).count_ops()) <= {
            *device.target.operation_names,
            "barrier",
        }
        job = await device.run(compiled, shots=100)
        assert sum((await job.result(timeout=180)).get_counts().values()) == 100
        need_plotting()
        from qiskit.visualization import plot_error_map

        await device.properties()  # the error figures come from the calibration
        buffer = io.BytesIO()
        plot_error_map(device).savefig(buffer, format="png")
        assert buffer.getvalue().startswith(b"\x89PNG")
        assert device.name == DEVICE and device.name() == DEVICE
    finally:
        await factory.aclose()
