"""Pulse schedules become a PulseQobj where qiskit still has pulse (1.x), against the real
local service: the wire body, the job's failure (the service cannot simulate pulse), reading
the schedules back, and each validation rule refusing before any request.

Tests that build schedules are skipped with qiskit 2 (no ``qiskit.pulse``); there, the
pulse-only options are refused as pulse having left Qiskit in 2.0.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from known_circuits import bell
from qiskit import QuantumCircuit

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQBackend,
    IBMQBackendValueError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
)

pytestmark = pytest.mark.integration

PULSE_DEVICE = "ibmq_manila"
"""5 qubits, open_pulse, pulse defaults served, dynamic rep rate, rep_times [1000] µs,
meas_levels [2] (the service serves classified data only)."""
NO_PULSE_DEVICE = "ibm_brisbane"
HAS_PULSE = importlib.util.find_spec("qiskit.pulse") is not None
needs_pulse = pytest.mark.skipif(not HAS_PULSE, reason="qiskit.pulse left Qiskit in 2.0")


@pytest.fixture
def pulse() -> Any:
    """``qiskit.pulse`` (qiskit 1.x), without its deprecation notices."""
    module = pytest.importorskip("qiskit.pulse")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield module


def schedule(pulse: Any, name: str = "probe", amp: Any = 0.1) -> Any:
    """A Gaussian and a sampled pulse on qubit 0, a phase shift, and an acquire."""
    with pulse.build(name=name) as built:
        pulse.play(pulse.Gaussian(160, amp, 40), pulse.DriveChannel(0))
        pulse.play(pulse.Waveform([0.1, 0.2j, 0.3, 0.0]), pulse.DriveChannel(0))
        pulse.shift_phase(0.5, pulse.DriveChannel(0))
        pulse.acquire(100, pulse.AcquireChannel(0), pulse.MemorySlot(0))
    return built


@contextmanager
def counting(backend: AsyncIBMQBackend) -> Iterator[list[str]]:
    """Every request the backend's session sends meanwhile, as ``METHOD path``."""
    sent: list[str] = []

    async def count(request: Any) -> None:
        sent.append(f"{request.method} {request.url.path}")

    client = backend._api._session.client
    client.event_hooks["request"].append(count)
    try:
        yield sent
    finally:
        client.event_hooks["request"].remove(count)


@pytest.fixture
async def device(provider: AsyncAccountProvider) -> AsyncIterator[AsyncIBMQBackend]:
    """The pulse device, with a fresh backend object (no defaults cached)."""
    found = provider.get_backend(PULSE_DEVICE)
    found._defaults = None
    yield found


@needs_pulse
async def test_a_schedule_runs_as_a_pulse_qobj_and_fails_as_unsimulable(
    device: AsyncIBMQBackend, pulse: Any
) -> None:
    defaults = await device.defaults()
    assert defaults is not None
    job = await device.run(schedule(pulse), shots=321, header={"run": "pulse-1"})
    qobj = job._qobj
    assert qobj is not None
    assert (qobj["type"], qobj["schema_version"]) == ("PULSE", "1.2.0")
    assert qobj["header"] == {
        "backend_name": PULSE_DEVICE,
        "backend_version": device.configuration().backend_version,
        "run": "pulse-1",
    }
    config = qobj["config"]
    assert config["shots"] == 321
    assert config["meas_level"] == 2 and config["meas_return"] == "avg"
    assert config["rep_time"] == 1000  # the first rep_times entry, an int of µs
    assert config["rep_delay"] == 250.0  # manila has a dynamic rep rate: its default, in µs
    assert config["memory_slot_size"] == 100
    assert config["memory_slots"] == 1 and config["n_qubits"] == 5
    assert config["qubit_lo_freq"] == pytest.approx(defaults.qubit_freq_est)  # GHz
    assert config["meas_lo_freq"] == pytest.approx(defaults.meas_freq_est)
    assert config["parametric_pulses"] == device.configuration().parametric_pulses
    (sampled,) = config["pulse_library"]
    assert sampled["samples"] == [[0.1, 0.0], [0.0, 0.2], [0.3, 0.0], [0.0, 0.0]]
    (experiment,) = qobj["experiments"]
    assert experiment["header"]["name"] == "probe"
    names = [instruction["name"] for instruction in experiment["instructions"]]
    assert names == ["parametric_pulse", sampled["name"], "fc", "acquire"]
    gaussian = experiment["instructions"][0]
    assert gaussian["pulse_shape"] == "gaussian" and gaussian["ch"] == "d0"
    assert gaussian["parameters"]["amp"] == [0.1, 0.0]  # complex numbers as [re, im]

    with pytest.raises(IBMQJobFailureError, match="cannot simulate pulse schedules"):
        await job.result(timeout=60)
    assert (await job.status()).name == "ERROR"
    assert job.api_status().value == "ERROR_VALIDATING_JOB"
    assert "cannot simulate pulse schedules" in (await job.error_message() or "")


@needs_pulse
async def test_the_schedules_come_back_from_a_retrieved_pulse_job(
    device: AsyncIBMQBackend, pulse: Any
) -> None:
    sent = [schedule(pulse, "first"), schedule(pulse, "second", amp=0.2)]
    job = await device.run(sent, qubit_lo_freq=[5.0e9, 4.9e9, 5.0e9, 4.9e9, 5.0e9])
    retrieved = await device.retrieve_job(job.job_id())
    assert retrieved._qobj is None  # read from the service, not from memory
    got = await retrieved.circuits()
    assert [s.name for s in got] == ["first", "second"]
    assert all(isinstance(s, pulse.Schedule) for s in got)
    first = [type(i).__name__ for _, i in got[0].instructions]
    assert sorted(first) == ["Acquire", "Play", "Play", "ShiftPhase"]
    gaussians = [
        i.pulse
        for s in got
        for _, i in s.instructions
        if getattr(i.operands[0], "pulse_type", None) == "Gaussian"
    ]
    assert [float(g.amp) for g in gaussians] == pytest.approx([0.1, 0.2])
    options = await retrieved.backend_options()
    assert options["qubit_lo_freq"] == pytest.approx([5.0, 4.9, 5.0, 4.9, 5.0])


@needs_pulse
async def test_parameter_binds_expand_schedules_and_unbound_ones_are_refused(
    device: AsyncIBMQBackend, pulse: Any
) -> None:
    from qiskit.circuit import Parameter

    amp = Parameter("amp")
    parametrised = schedule(pulse, "sweep", amp=amp)
    await device.defaults()
    _, wire = device._prepare(parametrised, parameter_binds=[{amp: 0.1}, {amp: 0.3}])
    amps = [e["instructions"][0]["parameters"]["amp"] for e in wire["experiments"]]
    assert amps == [[0.1, 0.0], [0.3, 0.0]]
    with counting(device) as sent, pytest.raises(IBMQBackendValueError, match="unbound"):
        await device.run(parametrised)
    assert sent == []


@needs_pulse
async def test_the_assembler_deprecations_stay_silent_and_circuits_still_bind(
    device: AsyncIBMQBackend, pulse: Any
) -> None:
    from qiskit.circuit import Parameter

    block = schedule(pulse)
    plain = pulse.Schedule(name="plain")
    plain += pulse.Play(pulse.Constant(64, 0.2), pulse.DriveChannel(1))
    plain += pulse.Acquire(32, pulse.AcquireChannel(1), pulse.MemorySlot(1)) << 64
    await device.defaults()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _, wire = device._prepare([block, plain], shots=10)
    assert wire["type"] == "PULSE"
    assert [str(w.message) for w in seen] == []
    assert [e["header"]["name"] for e in wire["experiments"]] == ["probe", "plain"]
    assert wire["config"]["memory_slots"] == 2
    # Circuits on the same backend keep their path: a QASM Qobj with bound parameters.
    theta = Parameter("theta")
    circuit = QuantumCircuit(1, 1)
    circuit.rz(theta, 0)
    circuit.measure(0, 0)
    _, wire = device._prepare(circuit, parameter_binds=[{theta: 0.5}, {theta: 1.5}])
    assert wire["type"] == "QASM" and len(wire["experiments"]) == 2
    assert [e["instructions"][0]["params"] for e in wire["experiments"]] == [[0.5], [1.5]]


def _bad_lo(n: int = 5, value: float = 6.5e9) -> list[float]:
    return [value] * n


PULSE_REFUSALS: list[tuple[str, str, Callable[[Any], dict[str, Any]], str]] = [
    ("no open_pulse", NO_PULSE_DEVICE, lambda p: {}, "open_pulse"),
    ("no open_pulse (simulator)", "ibmq_qasm_simulator", lambda p: {}, "open_pulse"),
    ("mixed with a circuit", PULSE_DEVICE, lambda p: {"mixed": True}, "not both"),
    ("meas_level not in meas_levels", PULSE_DEVICE, lambda p: {"meas_level": 1}, "meas_level 1"),
    ("rep_time not in rep_times", PULSE_DEVICE, lambda p: {"rep_time": 5e-4}, "rep_times"),
    ("qubit LO out of range", PULSE_DEVICE, lambda p: {"qubit_lo_freq": _bad_lo()}, "range"),
    (
        "meas LO out of range",
        PULSE_DEVICE,
        lambda p: {"meas_lo_freq": _bad_lo(value=5.0e9)},
        "range",
    ),
    ("qubit LO in GHz", PULSE_DEVICE, lambda p: {"qubit_lo_freq": _bad_lo(value=5.0)}, "5.0 Hz"),
    ("LO list too short", PULSE_DEVICE, lambda p: {"qubit_lo_freq": [5e9]}, "per qubit"),
    (
        "schedule_los out of range",
        PULSE_DEVICE,
        lambda p: {"schedule_los": [{p.DriveChannel(0): 9e9}]},
        "range",
    ),
    (
        "schedule_los not channels",
        PULSE_DEVICE,
        lambda p: {"schedule_los": [{"d0": 5e9}]},
        "DriveChannel",
    ),
    ("memory_slots", PULSE_DEVICE, lambda p: {"memory_slots": 2}, "memory_slots"),
    ("rep_delay too long", PULSE_DEVICE, lambda p: {"rep_delay": 1.0}, "rep delay"),
]


@needs_pulse
@pytest.mark.parametrize(
    ("backend_name", "make", "shows"),
    [pytest.param(b, m, s, id=name) for name, b, m, s in PULSE_REFUSALS],
)
async def test_a_bad_pulse_job_is_refused_before_any_request(
    provider: AsyncAccountProvider,
    pulse: Any,
    backend_name: str,
    make: Callable[[Any], dict[str, Any]],
    shows: str,
) -> None:
    backend = provider.get_backend(backend_name)
    backend._defaults = None  # so that a defaults request would show
    options = make(pulse)
    experiments: Any = schedule(pulse)
    if options.pop("mixed", False):
        experiments = [experiments, bell()]
    with counting(backend) as sent, pytest.raises(IBMQBackendValueError) as raised:
        await backend.run(experiments, **options)
    assert shows in str(raised.value), str(raised.value)
    assert sent == []


@needs_pulse
async def test_the_pulse_only_options_are_refused_for_circuits(
    device: AsyncIBMQBackend,
) -> None:
    with counting(device) as sent, pytest.raises(IBMQBackendValueError, match="pulse schedules"):
        await device.run(bell(), rep_time=1e-3)
    assert sent == []


@pytest.mark.skipif(HAS_PULSE, reason="this qiskit still has qiskit.pulse")
@pytest.mark.parametrize(
    "option",
    [
        {"rep_time": 1e-3},
        {"qubit_lo_freq": [5e9] * 5},
        {"meas_lo_freq": [7e9] * 5},
        {"schedule_los": [{}]},
        {"memory_slot_size": 100},
    ],
    ids=lambda option: next(iter(option)),
)
async def test_with_qiskit_2_pulse_options_say_pulse_left_qiskit(
    device: AsyncIBMQBackend, option: dict[str, Any]
) -> None:
    with (
        counting(device) as sent,
        pytest.raises(IBMQBackendValueError, match=r"left Qiskit in 2\.0"),
    ):
        await device.run(bell(), **option)
    assert sent == []
    assert "qiskit.pulse" not in sys.modules


def hand_made_pulse_qobj() -> dict[str, Any]:
    """A small PulseQobj as qiskit 1.x's assembler writes it (no qiskit.pulse needed)."""
    return {
        "qobj_id": "pulse-by-hand",
        "type": "PULSE",
        "schema_version": "1.2.0",
        "header": {"backend_name": PULSE_DEVICE, "backend_version": "1.2.6"},
        "config": {
            "shots": 64,
            "meas_level": 2,
            "meas_return": "avg",
            "memory_slots": 1,
            "memory_slot_size": 100,
            "qubit_lo_freq": [4.96, 4.84, 5.04, 4.95, 5.07],
            "meas_lo_freq": [7.16, 7.28, 7.22, 7.11, 7.35],
            "rep_time": 1000,
            "parametric_pulses": ["gaussian"],
            "pulse_library": [{"name": "w0", "samples": [[0.1, 0.0], [0.0, 0.2]]}],
        },
        "experiments": [
            {
                "header": {"name": "by-hand", "memory_slots": 1},
                "instructions": [
                    {"name": "w0", "t0": 0, "ch": "d0"},
                    {"name": "acquire", "t0": 2, "duration": 16, "qubits": [0], "memory_slot": [0]},
                ],
            }
        ],
    }


async def test_a_pulse_qobj_passed_as_is_runs_and_reads_back_as_qiskit_allows(
    device: AsyncIBMQBackend, provider: AsyncAccountProvider
) -> None:
    with pytest.warns(DeprecationWarning, match="Qobj"):
        job = await device.run(hand_made_pulse_qobj())
    retrieved = await device.retrieve_job(job.job_id())
    with pytest.raises(IBMQJobFailureError, match="cannot simulate pulse schedules"):
        await retrieved.result(timeout=60)
    assert (await retrieved.backend_options())["rep_time"] == 1000
    if HAS_PULSE:
        (rebuilt,) = await retrieved.circuits()
        assert rebuilt.name == "by-hand"
        assert [type(i).__name__ for _, i in rebuilt.instructions] == ["Play", "Acquire"]
    else:
        with pytest.raises(IBMQJobInvalidStateError, match=r"left Qiskit in 2\.0"):
            await retrieved.circuits()
    # A backend without open_pulse refuses it before any request.
    other = provider.get_backend(NO_PULSE_DEVICE)
    with (
        counting(other) as sent,
        pytest.warns(DeprecationWarning),
        pytest.raises(IBMQBackendValueError, match="open_pulse"),
    ):
        await other.run(hand_made_pulse_qobj())
    assert sent == []
