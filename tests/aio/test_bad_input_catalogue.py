"""The bad-input catalogue: invalid calls across the public surface (respx, no real server).

Each call raises its documented typed error, with a message that names the bad value or the
argument, and sends no request: the mocked API records every call, and none but the login's
may appear. Run options, job-listing filters, datetimes, tags, job ids, job methods, backend
selection, account arguments, malformed circuits and the job manager's arguments are covered.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import respx
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQBackend,
    AsyncIBMQFactory,
    AsyncIBMQJob,
    AsyncIBMQJobManager,
    IBMQAccountCredentialsInvalidToken,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountValueError,
    IBMQBackendNotFoundError,
    IBMQBackendValueError,
    IBMQError,
    IBMQJobInvalidStateError,
    IBMQJobManagerInvalidStateError,
    RetryPolicy,
)
from ibmq_async._rest import AsyncProjectApi
from ibmq_async.models import JobDocument

AUTH = "https://auth.example.test/api"
HTTP = "https://api.example.test/api"
HGP = f"{HTTP}/Network/h/Groups/g/Projects/p"
TOKEN = "api-token-secret"
ACCESS = "access-token-secret"
FAST = RetryPolicy(backoff=0.001, max_backoff=0.002, jitter=0.0)

DEVICE = {
    "backend_name": "fake_device",
    "backend_version": "1.2.3",
    "n_qubits": 2,
    "basis_gates": ["cx", "rz", "sx", "x"],
    "gates": [{"name": "cx", "parameters": [], "qasm_def": "gate cx q1,q2 { CX q1,q2; }"}],
    "local": False,
    "simulator": False,
    "conditional": False,
    "open_pulse": False,
    "memory": True,
    "max_shots": 8192,
    "max_experiments": 10,
    "coupling_map": [[0, 1], [1, 0]],
    "online_date": "2021-01-01T00:00:00Z",
}
DYNAMIC = {
    **DEVICE,
    "backend_name": "fake_dynamic",
    "dynamic_reprate_enabled": True,
    "rep_delay_range": [0.0, 500.0],
    "default_rep_delay": 250.0,
}
SIMULATOR = {
    **DEVICE,
    "backend_name": "fake_simulator",
    "simulator": True,
    "n_qubits": 5,
    "basis_gates": ["cx", "rz", "sx", "x", "h"],
    "coupling_map": None,
    "max_experiments": 300,
}
QUEUED = {
    "id": "job1",
    "creationDate": "2023-02-01T10:00:00.000Z",
    "status": "QUEUED",
    "kind": "q-object-external-storage",
    "backend": {"name": "fake_device"},
}
LOGIN_ROUTES = 5
"""version, loginWithToken, users/me, Network, devices."""


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """A mocked IBM Quantum API with a working login and three backends."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.get(f"{AUTH}/version").respond(json={"api-auth": "0.1"})
        router.post(f"{AUTH}/users/loginWithToken").respond(json={"id": ACCESS})
        router.get(f"{AUTH}/users/me").respond(
            json={"urls": {"http": HTTP, "ws": "wss://ws.example.test"}}
        )
        router.get(f"{HTTP}/Network").respond(
            json=[{"name": "h", "groups": {"g": {"projects": {"p": {"isDefault": True}}}}}]
        )
        router.get(f"{HGP}/devices/v/1").respond(json=[DEVICE, DYNAMIC, SIMULATOR])
        # ``run()`` reads the job limit to pace concurrent submissions.
        for name in ("fake_device", "fake_dynamic", "fake_simulator"):
            router.get(f"{HGP}/devices/{name}/jobsLimit").respond(
                json={"maximumJobs": 5, "runningJobs": 0}
            )
        yield router


@pytest.fixture
async def mocked(api: respx.MockRouter) -> Any:
    accounts = AsyncIBMQFactory()
    provider = await accounts.enable_account(TOKEN, url=AUTH, retry=FAST)
    yield provider
    await accounts.aclose()


def circuit(qubits: int = 2) -> QuantumCircuit:
    """A circuit every backend of the mock can run (as far as gates go)."""
    qc = QuantumCircuit(qubits, qubits)
    qc.x(0)
    qc.cx(0, 1)
    qc.measure(range(qubits), range(qubits))
    return qc


def with_gate(name: str) -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    getattr(qc, name)(0)
    qc.measure([0, 1], [0, 1])
    return qc


def parametrised() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.rz(Parameter("theta"), 0)
    qc.measure([0, 1], [0, 1])
    return qc


@dataclass
class Ctx:
    """What the catalogue's calls work on."""

    provider: AsyncAccountProvider
    device: AsyncIBMQBackend
    dynamic: AsyncIBMQBackend
    simulator: AsyncIBMQBackend
    job: AsyncIBMQJob
    factory: AsyncIBMQFactory
    manager: AsyncIBMQJobManager


@dataclass(frozen=True)
class Case:
    """One invalid call, the error it must raise, and a text the message must contain."""

    name: str
    call: Callable[[Ctx], Any]
    error: type[IBMQError]
    shows: str


async def _walk(jobs: AsyncIterator[Any]) -> None:
    async for _ in jobs:
        pass


def _run(**options: Any) -> Callable[[Ctx], Any]:
    return lambda c: c.device.run(circuit(), **options)


def _jobs(**filters: Any) -> Callable[[Ctx], Any]:
    return lambda c: c.device.jobs(**filters)


def _enable(**arguments: Any) -> Callable[[Ctx], Any]:
    arguments.setdefault("token", TOKEN)
    arguments.setdefault("url", AUTH)
    return lambda c: c.factory.enable_account(**arguments)


def _save(**arguments: Any) -> Callable[[Ctx], Any]:
    arguments.setdefault("token", TOKEN)
    arguments.setdefault("url", AUTH)
    return lambda c: c.factory.save_account(**arguments)


def _manage(experiments: Any = None, **arguments: Any) -> Callable[[Ctx], Any]:
    def call(c: Ctx) -> Any:
        arguments.setdefault("backend", c.device)
        return c.manager.run([circuit()] if experiments is None else experiments, **arguments)

    return call


V = IBMQBackendValueError
J = IBMQJobInvalidStateError
A = IBMQAccountValueError
M = IBMQJobManagerInvalidStateError
D1 = dt.datetime(2024, 1, 2, 3, 4, 5)
D0 = dt.datetime(2023, 1, 2, 3, 4, 5)

CASES: list[Case] = [
    # -- run(): identity and job-body arguments ------------------------------------------------
    Case("job_name int", _run(job_name=123), V, "123"),
    Case("job_name bytes", _run(job_name=b"n"), V, "b'n'"),
    Case("job_name list", _run(job_name=["n"]), V, "['n']"),
    Case("job_share_level bogus", _run(job_share_level="bogus"), V, "bogus"),
    Case("job_share_level int", _run(job_share_level=5), V, "5"),
    Case("job_tags string", _run(job_tags="tag"), V, "'tag'"),
    Case("job_tags ints", _run(job_tags=[1, 2]), V, "[1, 2]"),
    Case("job_tags tuple", _run(job_tags=("a",)), V, "('a',)"),
    Case("job_tags None item", _run(job_tags=["a", None]), V, "None"),
    Case("experiment_id int", _run(experiment_id=5), V, "experiment_id"),
    Case("header int", _run(header=5), V, "header"),
    Case("header string", _run(header="h"), V, "'h'"),
    Case("header not JSON", _run(header={"k": object()}), V, "header"),
    Case("validate string", _run(validate="yes"), V, "'yes'"),
    Case("wait_for_slot string", _run(wait_for_slot="no"), V, "'no'"),
    # -- run(): option types and ranges --------------------------------------------------------
    Case("shots string", _run(shots="x"), V, "'x'"),
    Case("shots zero", _run(shots=0), V, "0"),
    Case("shots negative", _run(shots=-5), V, "-5"),
    Case("shots float", _run(shots=1.5), V, "1.5"),
    Case("shots bool", _run(shots=True), V, "True"),
    Case("shots over max_shots", _run(shots=10**9), V, str(10**9)),
    Case("memory string", _run(memory="yes"), V, "'yes'"),
    Case("memory int", _run(memory=1), V, "memory"),
    Case("meas_level string", _run(meas_level="2"), V, "'2'"),
    Case("meas_level out of range", _run(meas_level=5), V, "5"),
    Case("meas_level bool", _run(meas_level=True), V, "meas_level"),
    Case("meas_return bogus", _run(meas_return="bogus"), V, "bogus"),
    Case("meas_return int", _run(meas_return=1), V, "meas_return"),
    Case("init_qubits 'no'", _run(init_qubits="no"), V, "'no'"),
    Case("init_qubits int", _run(init_qubits=0), V, "init_qubits"),
    Case("use_measure_esp string", _run(use_measure_esp="x"), V, "'x'"),
    Case("use_measure_esp unsupported", _run(use_measure_esp=True), V, "use_measure_esp"),
    Case("live_data_enabled string", _run(live_data_enabled="x"), V, "'x'"),
    Case("qubit_lo_freq (pulse)", _run(qubit_lo_freq=[5.0]), V, "qubit_lo_freq"),
    Case("qubit_lo_freq string", _run(qubit_lo_freq="5"), V, "qubit_lo_freq"),
    Case("meas_lo_freq (pulse)", _run(meas_lo_freq=[6.0]), V, "meas_lo_freq"),
    Case("schedule_los (pulse)", _run(schedule_los=[{}]), V, "schedule_los"),
    Case("memory_slots", _run(memory_slots=2), V, "memory_slots"),
    Case("memory_slot_size (pulse)", _run(memory_slot_size=100), V, "memory_slot_size"),
    Case("rep_time (pulse)", _run(rep_time=100), V, "rep_time"),
    Case("rep_delay on a device without it", _run(rep_delay=1e-4), V, "rep_delay"),
    Case(
        "rep_delay -1 on a simulator",
        lambda c: c.simulator.run(circuit(), rep_delay=-1),
        V,
        "rep_delay",
    ),
    Case("rep_delay string", lambda c: c.dynamic.run(circuit(), rep_delay="x"), V, "'x'"),
    Case("rep_delay bool", lambda c: c.dynamic.run(circuit(), rep_delay=True), V, "rep_delay"),
    Case("rep_delay negative", lambda c: c.dynamic.run(circuit(), rep_delay=-1), V, "-1"),
    Case("rep_delay too long", lambda c: c.dynamic.run(circuit(), rep_delay=1.0), V, "1.0"),
    Case("rep_delay NaN", lambda c: c.dynamic.run(circuit(), rep_delay=float("nan")), V, "nan"),
    Case("parameter_binds string", _run(parameter_binds="p"), V, "parameter_binds"),
    Case("parameter_binds of ints", _run(parameter_binds=[5]), V, "parameter_binds"),
    Case(
        "parameter_binds of unknown parameters",
        _run(parameter_binds=[{Parameter("phi"): [1.0]}]),
        V,
        "phi",
    ),
    Case("unbound parameter", lambda c: c.device.run(parametrised()), V, "theta"),
    Case("dynamic circuits", _run(dynamic=True), V, "Dynamic"),
    Case("unknown option not JSON", _run(frobnicate=object()), V, "frobnicate"),
    Case(
        "seed_simulator string",
        lambda c: c.simulator.run(circuit(), seed_simulator="s"),
        V,
        "'s'",
    ),
    Case("method int", lambda c: c.simulator.run(circuit(), method=5), V, "method"),
    Case(
        "method unknown",
        lambda c: c.simulator.run(circuit(), method="quantum_magic"),
        V,
        "quantum_magic",
    ),
    Case(
        "noise_model not a model",
        lambda c: c.simulator.run(circuit(), noise_model=5),
        V,
        "noise_model",
    ),
    # -- run(): malformed circuits -------------------------------------------------------------
    Case("circuits string", lambda c: c.device.run("h q[0];"), V, "str"),
    Case("circuits None", lambda c: c.device.run(None), V, "NoneType"),
    Case("circuits int", lambda c: c.device.run(5), V, "int"),
    Case("circuits empty", lambda c: c.device.run([]), V, "empty"),
    Case("circuits of ints", lambda c: c.device.run([circuit(), 1]), V, "int"),
    Case("gate outside the basis", lambda c: c.device.run(with_gate("h")), V, "h"),
    Case("too many qubits", lambda c: c.device.run(circuit(3)), V, "3"),
    Case("too many experiments", lambda c: c.device.run([circuit()] * 11), V, "11"),
    Case("qobj not JSON", lambda c: c.device.run({"config": object()}), V, "JSON"),
    Case("qobj empty", lambda c: c.device.run({}), V, "fake_device"),
    Case(
        "qobj with options beside",
        lambda c: c.device.run({"qobj_id": "q"}, shots=5),
        V,
        "shots",
    ),
    # -- set_options() -------------------------------------------------------------------------
    Case("set_options unknown", lambda c: c.device.set_options(shot=5), V, "shot"),
    Case("set_options shots string", lambda c: c.device.set_options(shots="5"), V, "'5'"),
    Case(
        "set_options meas_return bogus",
        lambda c: c.device.set_options(meas_return="bogus"),
        V,
        "bogus",
    ),
    Case("set_options init_qubits", lambda c: c.device.set_options(init_qubits="no"), V, "'no'"),
    # -- jobs() / iter_jobs() filters ----------------------------------------------------------
    Case("limit string", _jobs(limit="10"), V, "'10'"),
    Case("limit negative", _jobs(limit=-1), V, "-1"),
    Case("limit float", _jobs(limit=1.5), V, "1.5"),
    Case("limit bool", _jobs(limit=True), V, "True"),
    Case("skip negative", _jobs(skip=-1), V, "-1"),
    Case("skip string", _jobs(skip="x"), V, "'x'"),
    Case("status bogus", _jobs(status="bogus"), V, "bogus"),
    Case("status int", _jobs(status=5), V, "5"),
    Case("status list with a bogus one", _jobs(status=["DONE", "nope"]), V, "nope"),
    Case("status dict", _jobs(status={"DONE": 1}), V, "DONE"),
    Case("job_name filter int", _jobs(job_name=5), V, "5"),
    Case("job_name filter bad regexp", _jobs(job_name="(unclosed"), V, "(unclosed"),
    Case("start_datetime string", _jobs(start_datetime="2024-01-01"), V, "2024-01-01"),
    Case("end_datetime int", _jobs(end_datetime=1700000000), V, "1700000000"),
    Case("start_datetime date", _jobs(start_datetime=dt.date(2024, 1, 1)), V, "2024"),
    Case("reversed window", _jobs(start_datetime=D1, end_datetime=D0), V, "start_datetime"),
    Case("job_tags filter string", _jobs(job_tags="a"), V, "'a'"),
    Case("job_tags filter ints", _jobs(job_tags=[1]), V, "[1]"),
    Case("job_tags_operator XOR", _jobs(job_tags=["a"], job_tags_operator="XOR"), V, "XOR"),
    Case("job_tags_operator int", _jobs(job_tags=["a"], job_tags_operator=1), V, "1"),
    Case("experiment_id filter int", _jobs(experiment_id=5), V, "5"),
    Case("descending string", _jobs(descending="yes"), V, "'yes'"),
    Case("db_filter string", _jobs(db_filter="x"), V, "'x'"),
    Case("db_filter not JSON", _jobs(db_filter={"a": object()}), V, "db_filter"),
    Case("db_filter or not a list", _jobs(db_filter={"or": "x"}), V, "or"),
    Case(
        "iter_jobs page_size zero",
        lambda c: _walk(c.device.iter_jobs(page_size=0)),
        V,
        "page_size",
    ),
    Case(
        "iter_jobs page_size string",
        lambda c: _walk(c.device.iter_jobs(page_size="5")),
        V,
        "'5'",
    ),
    Case("iter_jobs limit string", lambda c: _walk(c.device.iter_jobs(limit="x")), V, "'x'"),
    Case("iter_jobs status bogus", lambda c: _walk(c.device.iter_jobs(status="x")), V, "x"),
    Case("provider jobs backend_name int", lambda c: c.provider.jobs(backend_name=5), V, "5"),
    Case("provider jobs limit string", lambda c: c.provider.jobs(limit="x"), V, "'x'"),
    Case("provider jobs status bogus", lambda c: c.provider.jobs(status="bogus"), V, "bogus"),
    Case(
        "provider iter_jobs start string",
        lambda c: _walk(c.provider.iter_jobs(start_datetime="yesterday")),
        V,
        "yesterday",
    ),
    Case("active_jobs limit string", lambda c: c.device.active_jobs(limit="x"), V, "'x'"),
    # -- job ids -------------------------------------------------------------------------------
    Case("retrieve_job int", lambda c: c.device.retrieve_job(5), V, "5"),
    Case("retrieve_job empty", lambda c: c.device.retrieve_job(""), V, "''"),
    Case("retrieve_job None", lambda c: c.device.retrieve_job(None), V, "None"),
    Case("retrieve_job list", lambda c: c.device.retrieve_job(["a"]), V, "['a']"),
    Case("retrieve_job path", lambda c: c.device.retrieve_job("../devices"), V, "../devices"),
    Case("retrieve_job query", lambda c: c.device.retrieve_job("a?b=c"), V, "a?b=c"),
    Case("retrieve_job spaces", lambda c: c.device.retrieve_job("a b"), V, "a b"),
    Case("retrieve_job huge", lambda c: c.device.retrieve_job("a" * 5000), V, "job_id"),
    Case(
        "provider retrieve_job int",
        lambda c: c.provider.backend.retrieve_job(7),
        V,
        "7",
    ),
    Case(
        "provider retrieve_job slash",
        lambda c: c.provider.backend.retrieve_job("a/b"),
        V,
        "a/b",
    ),
    # -- backend methods -----------------------------------------------------------------------
    Case(
        "properties datetime string",
        lambda c: c.device.properties(datetime="2024-01-01"),
        V,
        "2024-01-01",
    ),
    Case("properties datetime int", lambda c: c.device.properties(datetime=5), V, "5"),
    Case("properties refresh string", lambda c: c.device.properties(refresh="yes"), V, "'yes'"),
    Case(
        "simulator properties datetime string",
        lambda c: c.simulator.properties(datetime="2024"),
        V,
        "2024",
    ),
    Case("defaults refresh string", lambda c: c.device.defaults(refresh="yes"), V, "'yes'"),
    Case(
        "reservations start string",
        lambda c: c.device.reservations(start_datetime="now"),
        V,
        "now",
    ),
    Case(
        "reservations reversed",
        lambda c: c.device.reservations(start_datetime=D1, end_datetime=D0),
        V,
        "start_datetime",
    ),
    # -- job methods ---------------------------------------------------------------------------
    Case("result timeout string", lambda c: c.job.result(timeout="x"), J, "'x'"),
    Case("result timeout negative", lambda c: c.job.result(timeout=-1), J, "-1"),
    Case("result timeout NaN", lambda c: c.job.result(timeout=float("nan")), J, "nan"),
    Case("result wait zero", lambda c: c.job.result(wait=0), J, "0"),
    Case("result wait string", lambda c: c.job.result(wait="x"), J, "'x'"),
    Case("result partial string", lambda c: c.job.result(partial="yes"), J, "'yes'"),
    Case("result refresh string", lambda c: c.job.result(refresh="yes"), J, "'yes'"),
    Case(
        "wait_for_final_state timeout string",
        lambda c: c.job.wait_for_final_state(timeout="x"),
        J,
        "'x'",
    ),
    Case(
        "wait_for_final_state timeout negative",
        lambda c: c.job.wait_for_final_state(timeout=-5),
        J,
        "-5",
    ),
    Case(
        "wait_for_final_state wait negative",
        lambda c: c.job.wait_for_final_state(wait=-1),
        J,
        "-1",
    ),
    Case(
        "wait_for_final_state wait string",
        lambda c: c.job.wait_for_final_state(wait="x"),
        J,
        "'x'",
    ),
    Case(
        "wait_for_final_state callback int",
        lambda c: c.job.wait_for_final_state(callback=5),
        J,
        "5",
    ),
    Case("update_name int", lambda c: c.job.update_name(5), J, "5"),
    Case("update_name None", lambda c: c.job.update_name(None), J, "None"),
    Case("update_tags nothing", lambda c: c.job.update_tags(), J, "update_tags"),
    Case(
        "update_tags replacement string",
        lambda c: c.job.update_tags(replacement_tags="a"),
        J,
        "replacement_tags",
    ),
    Case(
        "update_tags additional ints",
        lambda c: c.job.update_tags(additional_tags=[1]),
        J,
        "additional_tags",
    ),
    Case(
        "update_tags removal int",
        lambda c: c.job.update_tags(removal_tags=5),
        J,
        "removal_tags",
    ),
    Case("queue_position refresh string", lambda c: c.job.queue_position("x"), J, "'x'"),
    # -- backends() / get_backend() ------------------------------------------------------------
    Case("backends name int", lambda c: c.provider.backends(name=5), V, "5"),
    Case(
        "backends min_num_qubits string",
        lambda c: c.provider.backends(min_num_qubits="x"),
        V,
        "'x'",
    ),
    Case(
        "backends min_num_qubits bool",
        lambda c: c.provider.backends(min_num_qubits=True),
        V,
        "True",
    ),
    Case(
        "backends input_allowed int",
        lambda c: c.provider.backends(input_allowed=5),
        V,
        "input_allowed",
    ),
    Case(
        "backends input_allowed ints",
        lambda c: c.provider.backends(input_allowed=[1]),
        V,
        "input_allowed",
    ),
    Case("backends filters int", lambda c: c.provider.backends(filters=5), V, "5"),
    Case("backends unknown field", lambda c: c.provider.backends(colour="red"), V, "colour"),
    Case("get_backend name int", lambda c: c.provider.get_backend(5), V, "5"),
    Case(
        "get_backend unknown name",
        lambda c: c.provider.get_backend("fake_devise"),
        IBMQBackendNotFoundError,
        "fake_devise",
    ),
    Case(
        "get_backend unknown field",
        lambda c: c.provider.get_backend("fake_device", colour="red"),
        V,
        "colour",
    ),
    Case(
        "get_backend status field",
        lambda c: c.provider.get_backend("fake_device", operational=True),
        V,
        "configuration",
    ),
    Case(
        "backends_by_status unknown field",
        lambda c: c.provider.backends_by_status(colour="red"),
        V,
        "colour",
    ),
    # -- accounts ------------------------------------------------------------------------------
    Case("enable token int", _enable(token=5), IBMQAccountCredentialsInvalidToken, "token"),
    Case("enable token empty", _enable(token=""), IBMQAccountCredentialsInvalidToken, "token"),
    Case("enable token blank", _enable(token="  "), IBMQAccountCredentialsInvalidToken, "token"),
    Case("enable url ftp", _enable(url="ftp://x/api"), IBMQAccountCredentialsInvalidUrl, "ftp"),
    Case("enable url bare", _enable(url="auth"), IBMQAccountCredentialsInvalidUrl, "auth"),
    Case("enable url int", _enable(url=5), IBMQAccountCredentialsInvalidUrl, "5"),
    Case(
        "enable url query",
        _enable(url=f"{AUTH}?x=1"),
        IBMQAccountCredentialsInvalidUrl,
        "query",
    ),
    Case(
        "enable url bad port",
        _enable(url="https://auth.example.test:port/api"),
        IBMQAccountCredentialsInvalidUrl,
        "URL",
    ),
    Case("enable hub int", _enable(hub=5), A, "5"),
    Case("enable hub empty", _enable(hub=""), A, "hub"),
    Case("enable hub slash", _enable(hub="a/b"), A, "a/b"),
    Case("enable group list", _enable(group=["g"]), A, "['g']"),
    Case("enable project int", _enable(project=3), A, "3"),
    Case("enable verify string", _enable(verify="yes"), A, "verify"),
    Case("enable verify None", _enable(verify=None), A, "verify"),
    Case("enable proxies string", _enable(proxies="http://p:1"), A, "proxies"),
    Case("enable proxies urls string", _enable(proxies={"urls": "x"}), A, "urls"),
    Case(
        "enable proxy scheme",
        _enable(proxies={"urls": {"https": "ftp://proxy:1"}}),
        A,
        "ftp://proxy:1",
    ),
    Case(
        "enable proxy without host",
        _enable(proxies={"urls": {"https": "http://"}}),
        A,
        "http://",
    ),
    Case(
        "enable proxy bad port",
        _enable(proxies={"urls": {"https": "http://proxy:port"}}),
        A,
        "proxy URL",
    ),
    Case("enable proxy key int", _enable(proxies={"urls": {5: "http://p:1"}}), A, "urls"),
    Case("enable proxy ntlm", _enable(proxies={"username_ntlm": "u"}), A, "NTLM"),
    Case("enable timeouts int", _enable(timeouts=5), A, "timeouts"),
    Case("enable retry string", _enable(retry="always"), A, "retry"),
    Case("save token int", _save(token=5), IBMQAccountCredentialsInvalidToken, "token"),
    Case("save url bare", _save(url="auth"), IBMQAccountCredentialsInvalidUrl, "auth"),
    Case("save hub only", _save(hub="h"), A, "hub='h'"),
    Case("save hub int", _save(hub=1, group="g", project="p"), A, "1"),
    Case("save proxies string", _save(proxies="p"), A, "proxies"),
    Case("save verify string", _save(verify="no"), A, "verify"),
    Case("save overwrite string", _save(overwrite="yes"), A, "'yes'"),
    # -- the job manager -----------------------------------------------------------------------
    Case("manager experiments string", _manage("x"), M, "str"),
    Case("manager experiments empty", _manage([]), M, "experiments"),
    Case("manager experiments of ints", _manage([1]), M, "int"),
    Case("manager backend string", _manage(backend="fake_device"), M, "str"),
    Case("manager name int", _manage(name=5), M, "5"),
    Case("manager name empty", _manage(name=""), M, "''"),
    Case("manager max_experiments zero", _manage(max_experiments_per_job=0), M, "0"),
    Case("manager max_experiments string", _manage(max_experiments_per_job="2"), M, "'2'"),
    Case("manager job_share_level bogus", _manage(job_share_level="bogus"), V, "bogus"),
    Case("manager job_tags string", _manage(job_tags="a"), V, "'a'"),
    Case("manager shots string", _manage(shots="x"), V, "'x'"),
    Case("manager meas_return bogus", _manage(meas_return="bogus"), V, "bogus"),
    Case("manager job_name reserved", _manage(job_name="n"), M, "job_name"),
    Case("manager progress string", _manage(progress="yes"), M, "progress"),
    Case("manager callback int", _manage(callback=5), M, "callback"),
    Case(
        "manager retrieve_job_set int",
        lambda c: c.manager.retrieve_job_set(5, c.provider),
        M,
        "5",
    ),
]


def test_the_catalogue_has_at_least_120_distinct_cases() -> None:
    assert len(CASES) >= 120
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case.name) for case in CASES],
)
async def test_invalid_call_raises_a_typed_error_and_sends_nothing(
    api: respx.MockRouter,
    mocked: AsyncAccountProvider,
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QISKITRC", str(tmp_path / "qiskitrc"))
    device = mocked.get_backend("fake_device")
    session = device._api._session
    # No websocket URL: a wait that slipped through would poll, and respx would refuse it.
    job_api = AsyncProjectApi(session, device._api._paths, "")
    context = Ctx(
        provider=mocked,
        device=device,
        dynamic=mocked.get_backend("fake_dynamic"),
        simulator=mocked.get_backend("fake_simulator"),
        job=AsyncIBMQJob(device, job_api, JobDocument.model_validate(QUEUED)),
        factory=AsyncIBMQFactory(),
        manager=AsyncIBMQJobManager(),
    )
    assert len(api.calls) == LOGIN_ROUTES
    with pytest.raises(IBMQError) as raised:
        # unasync: async-only
        outcome = case.call(context)
        if inspect.isawaitable(outcome):
            await outcome
        # unasync: end
        # unasync: sync-only
        # case.call(context)
        # unasync: end
    error = raised.value
    assert isinstance(error, case.error), f"{type(error).__name__}: {error}"
    if issubclass(case.error, ValueError):
        assert isinstance(error, ValueError)
    message = str(error)
    assert case.shows in message, message
    assert TOKEN not in message and ACCESS not in message
    sent = [f"{c.request.method} {c.request.url}" for c in api.calls[LOGIN_ROUTES:]]
    assert sent == [], sent
    assert not (tmp_path / "qiskitrc").exists()


async def test_unknown_options_warn_on_a_device_and_pass_into_the_qobj(
    mocked: AsyncAccountProvider,
) -> None:
    device = mocked.get_backend("fake_device")
    with pytest.warns(UserWarning, match="shot.*not a recognized"):
        _, wire = device._prepare(circuit(), shot=10)
    assert wire["config"]["shot"] == 10


async def test_simulator_options_warn_on_a_device(mocked: AsyncAccountProvider) -> None:
    device = mocked.get_backend("fake_device")
    with pytest.warns(UserWarning, match="seed_simulator is a simulator option"):
        _, wire = device._prepare(circuit(), seed_simulator=3)
    assert wire["config"]["seed_simulator"] == 3


async def test_unknown_options_pass_silently_into_a_simulator_qobj(
    mocked: AsyncAccountProvider, recwarn: pytest.WarningsRecorder
) -> None:
    simulator = mocked.get_backend("fake_simulator")
    _, wire = simulator._prepare(circuit(), max_parallel_threads=2, seed_simulator=7)
    assert wire["config"]["max_parallel_threads"] == 2
    assert wire["config"]["seed_simulator"] == 7
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


async def test_valid_boundary_values_are_accepted(mocked: AsyncAccountProvider) -> None:
    # The checks above must not refuse what is right: the edges of each range pass.
    dynamic = mocked.get_backend("fake_dynamic")
    _, wire = dynamic._prepare(circuit(), rep_delay=0.0005, shots=8192, meas_return="single")
    assert wire["config"]["rep_delay"] == pytest.approx(500.0)
    _, wire = dynamic._prepare(circuit(), shots=1, init_qubits=False, meas_level=2)
    assert wire["config"]["init_qubits"] is False
