"""The legacy client's job surface: listing with every filter of protocol 5.2 and its keyset
pagination (5.4), retrieval, cancelling a queued job, job limits, name and tag updates, the
fields an ``IBMQJob`` reads, failed jobs, and pulse defaults."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from compat_helpers import (
    LIMITED_PROJECT,
    MAX_JOBS,
    PAUSED_BACKEND,
    endless,
    flip,
    wait_for_status,
)
from qiskit import IBMQ, QuantumCircuit, assemble, transpile
from qiskit.circuit import Gate
from qiskit.providers.ibmq import (
    IBMQBackendApiError,
    IBMQBackendError,
    IBMQBackendJobLimitError,
    IBMQBackendValueError,
)
from qiskit.providers.ibmq.job import IBMQJob
from qiskit.providers.ibmq.job.exceptions import (
    IBMQJobApiError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
)
from qiskit.providers.jobstatus import JobStatus

SIMULATOR = "ibmq_qasm_simulator"
DEVICE = "ibmq_manila"
QUEUE_DEVICE = "ibm_oslo"
"""Used by nothing else: the queued-cancel test counts every unfinished job on it."""
PULSE_DEFAULTS = Path(__file__).resolve().parents[2] / "ibmq_local/data/pulse_defaults"
SIMULATED = 21
"""Completed jobs of the listing; with one failed and one cancelled: 23, more than a page."""
STEPS = ["CREATING", "CREATED", "VALIDATING", "VALIDATED", "QUEUED", "RUNNING", "COMPLETED"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def ids(jobs) -> list[str]:
    return [job.job_id() for job in jobs]


def newest_first(jobs) -> list[str]:
    return ids(reversed(list(jobs)))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Population:
    """Jobs under one tag, in submission (= creation) order: ``simulated`` then ``failed``
    then ``cancelled``.

    Simulated job ``i`` is named ``<tag>-flip-<ii>``, flips its qubit when ``i`` is odd, runs
    ``10 + i`` shots, has the header ``{"index": i}`` and the tags ``<tag>``, ``<tag>-odd`` or
    ``<tag>-even``, and ``<tag>-three`` when ``i % 3 == 0``; the experiment id ``<tag>-exp``
    when ``i % 4 == 0``.
    """

    tag: str
    simulated: list[IBMQJob]
    failed: IBMQJob
    """Too wide for its device: ERROR_VALIDATING_JOB."""
    cancelled: IBMQJob
    """Cancelled while queued on the paused backend."""

    @property
    def jobs(self) -> list[IBMQJob]:
        return [*self.simulated, self.failed, self.cancelled]

    def where(self, predicate) -> list[IBMQJob]:
        """The simulated jobs whose index satisfies ``predicate``."""
        return [job for i, job in enumerate(self.simulated) if predicate(i)]


def sub_tags(tag: str, i: int) -> list[str]:
    tags = [tag, f"{tag}-odd" if i % 2 else f"{tag}-even"]
    return [*tags, f"{tag}-three"] if i % 3 == 0 else tags


@pytest.fixture(scope="module")
def population(provider) -> Population:
    tag = unique("listing")
    simulator = provider.get_backend(SIMULATOR)
    simulated = [
        simulator.run(
            flip(bool(i % 2)),
            shots=10 + i,
            header={"index": i},
            job_name=f"{tag}-flip-{i:02d}",
            job_tags=sub_tags(tag, i),
            experiment_id=f"{tag}-exp" if i % 4 == 0 else None,
        )
        for i in range(SIMULATED)
    ]
    wide = QuantumCircuit(7, 7, name="wide")
    wide.x(6)
    wide.measure(range(7), range(7))
    failed = provider.get_backend(DEVICE).run(
        wide, shots=10, job_name=f"{tag}-too-wide", job_tags=[tag]
    )
    paused = provider.get_backend(PAUSED_BACKEND)
    cancelled = paused.run(
        transpile(flip(True), paused), shots=10, job_name=f"{tag}-cancelled", job_tags=[tag]
    )
    wait_for_status(cancelled, JobStatus.QUEUED)
    assert cancelled.cancel() is True
    for job in [*simulated, failed]:
        job.wait_for_final_state(timeout=120)
    assert {job.status() for job in simulated} == {JobStatus.DONE}
    assert failed.status() is JobStatus.ERROR
    assert cancelled.status() is JobStatus.CANCELLED
    return Population(tag, simulated, failed, cancelled)


# -- listing: pagination, limit and skip ---------------------------------------------------


def listing_filters(log) -> list[dict]:
    """The ``filter`` of each job-listing request urllib3 logged, in order."""
    filters = []
    for record in log.records:
        found = re.search(r'"GET \S*/Jobs/status/v/1\?(\S+) HTTP', record.getMessage())
        if found:
            (text,) = parse_qs(found.group(1))["filter"]
            filters.append(json.loads(text))
    return filters


def test_listing_longer_than_a_page_is_paged_by_twenty(provider, population, provider_log):
    tag = population.tag
    provider_log.clear()
    listed = provider.backend.jobs(limit=None, job_tags=[tag])
    assert ids(listed) == newest_first(population.jobs)
    assert len(listed) == 23
    # 20, then the 3 older than the 20th (keyset: creationDate lte + id nin), then none.
    first, second, last = listing_filters(provider_log)
    assert (first["limit"], second["limit"], last["limit"]) == (20, 20, 20)
    assert second["where"]["id"] == {"nin": [listed[19].job_id()]}
    assert utc(second["where"]["creationDate"]["lte"]) == listed[19].creation_date()
    assert last["where"]["id"] == {"nin": [listed[22].job_id()]}

    assert ids(provider.backend.jobs(limit=0, job_tags=[tag])) == newest_first(population.jobs)
    # job_ids() pages the same way over GET /Jobs/v/1, projected on three "fields" (5.7).
    projected = provider.backend.job_ids(limit=None, job_tags=[tag])
    assert [item["id"] for item in projected] == newest_first(population.jobs)
    assert {frozenset(item) for item in projected} == {
        frozenset({"id", "liveDataEnabled", "creationDate"})
    }
    ascending = provider.backend.jobs(limit=None, job_tags=[tag], descending=False)
    assert ids(ascending) == ids(population.jobs)
    assert [job.name() for job in ascending[:2]] == [f"{tag}-flip-00", f"{tag}-flip-01"]


def test_limit_and_skip(provider, population):
    tag = population.tag
    newest = newest_first(population.jobs)
    assert ids(provider.backend.jobs(job_tags=[tag])) == newest[:10], "default limit is 10"
    assert ids(provider.backend.jobs(limit=5, job_tags=[tag])) == newest[:5]
    assert ids(provider.backend.jobs(limit=5, skip=5, job_tags=[tag])) == newest[5:10]
    assert ids(provider.backend.jobs(limit=10, skip=20, job_tags=[tag])) == newest[20:]
    assert ids(provider.backend.jobs(limit=25, job_tags=[tag])) == newest
    assert provider.backend.jobs(limit=5, skip=23, job_tags=[tag]) == []
    oldest = ids(population.jobs)
    assert (
        ids(provider.backend.jobs(limit=3, skip=1, job_tags=[tag], descending=False))
        == (oldest[1:4])
    )


# -- listing: each filter ------------------------------------------------------------------


def test_status_filters(provider, population):
    tag, failed, cancelled = population.tag, population.failed, population.cancelled

    def listed(status) -> list[str]:
        return ids(provider.backend.jobs(limit=None, status=status, job_tags=[tag]))

    assert listed(JobStatus.DONE) == newest_first(population.simulated)
    assert listed("done") == newest_first(population.simulated)
    assert listed("ERROR") == [failed.job_id()]
    assert listed(JobStatus.CANCELLED) == [cancelled.job_id()]
    assert listed(["error", JobStatus.CANCELLED]) == [cancelled.job_id(), failed.job_id()]
    assert listed([JobStatus.DONE, "cancelled"]) == newest_first([*population.simulated, cancelled])
    for unfinished in ("initializing", "validating", "queued", "running"):
        assert listed(unfinished) == [], unfinished
    with pytest.raises(IBMQBackendValueError, match="not a valid status"):
        provider.backend.jobs(status="FINISHED")


def test_job_name_filter_is_a_regular_expression(provider, population):
    tag = population.tag
    assert ids(provider.backend.jobs(limit=None, job_name=f"{tag}-flip-1")) == newest_first(
        population.where(lambda i: 10 <= i <= 19)
    )
    assert ids(provider.backend.jobs(job_name=f"^{tag}-flip-0[0-4]$")) == newest_first(
        population.where(lambda i: i <= 4)
    )
    assert ids(provider.backend.jobs(job_name=f"{tag}-cancel")) == [population.cancelled.job_id()]
    assert provider.backend.jobs(job_name=f"{tag}-nothing") == []


def test_creation_date_filters(provider, population, provider_log):
    jobs, tag = population.jobs, population.tag
    created = [job.creation_date() for job in jobs]
    assert created == sorted(created) and len(set(created)) == len(created)

    def listed(**kwargs) -> list[str]:
        return ids(provider.backend.jobs(limit=None, job_tags=[tag], **kwargs))

    # Bounds are inclusive (gte / lte / between).
    assert listed(start_datetime=created[3]) == newest_first(jobs[3:])
    assert listed(end_datetime=created[5]) == newest_first(jobs[:6])
    assert listed(start_datetime=created[2], end_datetime=created[6]) == newest_first(jobs[2:7])
    # Longer than a page: page 2 carries the bare {"lte": end} clause of protocol 5.4.
    provider_log.clear()
    assert listed(end_datetime=created[21]) == newest_first(jobs[:22])
    second_page = listing_filters(provider_log)[1]["where"]
    assert {"lte": created[21].astimezone(UTC).isoformat()} in second_page["and"]
    # ... and ascending from a start, the bare {"gte": start}.
    provider_log.clear()
    assert listed(start_datetime=created[1], descending=False) == ids(jobs[1:])
    second_page = listing_filters(provider_log)[1]["where"]
    assert {"gte": created[1].astimezone(UTC).isoformat()} in second_page["and"]
    assert listed(start_datetime=created[0], end_datetime=created[22], descending=False) == ids(
        jobs
    )
    # Naive datetimes are local time; a window after every job holds none.
    assert listed(start_datetime=datetime.now() + timedelta(days=1)) == []
    assert listed(end_datetime=datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_tag_filters_with_or_and_and(provider, population):
    tag = population.tag

    def listed(tags, operator="OR") -> list[str]:
        return ids(provider.backend.jobs(limit=None, job_tags=tags, job_tags_operator=operator))

    assert listed([f"{tag}-odd", f"{tag}-three"]) == newest_first(
        population.where(lambda i: i % 2 == 1 or i % 3 == 0)
    )
    assert listed([f"{tag}-odd", f"{tag}-three"], "and") == newest_first(
        population.where(lambda i: i % 6 == 3)
    )
    assert listed([tag, f"{tag}-even"], "AND") == newest_first(
        population.where(lambda i: i % 2 == 0)
    )
    assert listed([f"{tag}-even", f"{tag}-odd"], "AND") == []
    assert listed([f"{tag}-nothing"]) == []
    with pytest.raises(IBMQBackendValueError):
        provider.backend.jobs(job_tags=[tag], job_tags_operator="XOR")


def test_experiment_id_filter(provider, population):
    tag = population.tag
    listed = provider.backend.jobs(limit=None, experiment_id=f"{tag}-exp")
    assert ids(listed) == newest_first(population.where(lambda i: i % 4 == 0))
    assert {job.experiment_id for job in listed} == {f"{tag}-exp"}
    assert provider.backend.jobs(experiment_id=f"{tag}-other") == []


def test_db_filter_with_dotted_paths(provider, population):
    tag, failed, cancelled = population.tag, population.failed, population.cancelled

    def listed(db_filter, **kwargs) -> list[str]:
        return ids(provider.backend.jobs(limit=None, job_tags=[tag], db_filter=db_filter, **kwargs))

    assert listed({"backend.name": DEVICE}) == [failed.job_id()]
    assert listed({"backend.name": {"inq": [DEVICE, PAUSED_BACKEND]}}) == [
        cancelled.job_id(),
        failed.job_id(),
    ]
    assert listed({"backend.name": {"nin": [DEVICE, PAUSED_BACKEND]}}) == newest_first(
        population.simulated
    )
    assert listed({"hubInfo.hub.name": "ibm-q"}) == newest_first(population.jobs)
    assert listed({"hubInfo.hub.name": "another-hub"}) == []
    # Equality against the tags array means "contains"; alone, as job_tags would override it.
    three = provider.backend.jobs(limit=None, db_filter={"tags": f"{tag}-three"})
    assert ids(three) == newest_first(population.where(lambda i: i % 3 == 0))
    # A db_filter "or" joins the status list's "or": ERROR or named like the cancelled job.
    assert listed({"or": [{"name": f"{tag}-cancelled"}]}, status=["error"]) == [
        cancelled.job_id(),
        failed.job_id(),
    ]
    # Argument-derived keys win over the db_filter's.
    assert listed({"backend.name": DEVICE}, backend_name=PAUSED_BACKEND) == [cancelled.job_id()]


def test_a_backends_jobs_are_its_own(provider, population):
    tag = population.tag
    simulator = provider.get_backend(SIMULATOR)
    assert ids(simulator.jobs(limit=None, job_tags=[tag])) == newest_first(population.simulated)
    assert ids(simulator.jobs(limit=3, skip=2, job_tags=[tag], descending=False)) == ids(
        population.simulated[2:5]
    )
    assert ids(provider.get_backend(DEVICE).jobs(job_tags=[tag])) == [population.failed.job_id()]
    paused = provider.get_backend(PAUSED_BACKEND)
    assert ids(paused.jobs(job_tags=[tag])) == [population.cancelled.job_id()]
    assert paused.active_jobs() == []
    assert ids(provider.backend.jobs(backend_name=DEVICE, job_tags=[tag])) == [
        population.failed.job_id()
    ]


# -- retrieval and the fields of a job -----------------------------------------------------


def test_retrieve_job(provider, population):
    job = population.simulated[7]
    retrieved = provider.backend.retrieve_job(job.job_id())
    assert retrieved is not job and retrieved.job_id() == job.job_id()
    assert retrieved.backend().name() == SIMULATOR
    assert retrieved.name() == job.name() == f"{population.tag}-flip-07"
    assert sorted(retrieved.tags()) == sorted(sub_tags(population.tag, 7))
    assert retrieved.creation_date() == job.creation_date()
    assert retrieved.status() is JobStatus.DONE
    assert retrieved.result().get_counts() == {"1": 17}

    simulator = provider.get_backend(SIMULATOR)
    assert simulator.retrieve_job(job.job_id()).job_id() == job.job_id()
    with (
        pytest.warns(UserWarning, match="belongs to another backend"),
        pytest.raises(IBMQBackendError, match="does not belong to backend ibmq_manila"),
    ):
        provider.get_backend(DEVICE).retrieve_job(job.job_id())
    failed = provider.get_backend(DEVICE).retrieve_job(population.failed.job_id())
    assert failed.status() is JobStatus.ERROR
    with pytest.raises(IBMQBackendApiError, match="Failed to get job"):
        provider.backend.retrieve_job("0" * 24)


def test_fields_of_a_retrieved_job(provider, population):
    tag = population.tag
    job = provider.backend.retrieve_job(population.simulated[4].job_id())

    steps = job.time_per_step()
    assert list(steps) == STEPS
    assert list(steps.values()) == sorted(steps.values())
    assert steps["CREATING"] == job.creation_date()
    assert job.scheduling_mode() == "fairshare"
    assert job.client_version == {
        "qiskit-ibmq-provider": "0.20.2",
        "qiskit-terra": version("qiskit-terra"),
    }
    assert job.experiment_id == f"{tag}-exp"
    assert provider.backend.retrieve_job(population.simulated[5].job_id()).experiment_id is None
    assert job.queue_position() is None and job.queue_info() is None

    # From the uploaded Qobj, downloaded again.
    (circuit,) = job.circuits()
    assert circuit.name == "flip" and dict(circuit.count_ops()) == {"measure": 1}
    options = job.backend_options()
    assert options["shots"] == 14 and options["memory"] is False
    header = job.header()
    assert header["index"] == 4 and header["backend_name"] == SIMULATOR
    assert job.properties() is None, "the simulator has no calibration"

    result = job.result()
    assert result.job_id == job.job_id() and result.backend_name == SIMULATOR
    assert result.get_counts() == {"0": 14}
    assert result.header.to_dict()["index"] == 4


def test_a_device_jobs_properties_are_its_calibration(provider, population, service_config):
    recalibrated = service_config["backends"][DEVICE]["recalibrations"][-1]["date"]
    job = provider.backend.retrieve_job(population.failed.job_id())
    properties = job.properties()
    assert properties is not None and properties.backend_name == DEVICE
    assert properties.last_update_date == utc(recalibrated)
    current = provider.get_backend(DEVICE).properties(refresh=True)
    assert properties.to_dict() == current.to_dict()


# -- failed jobs ---------------------------------------------------------------------------


def test_a_circuit_too_wide_for_the_device_fails_validation(provider, population):
    for job in (population.failed, provider.backend.retrieve_job(population.failed.job_id())):
        message = job.error_message()
        assert "needs 7 qubits" in message and "ibmq_manila has 5 qubits" in message
        assert message.endswith(".") and "Error code: " in message
        assert job.status() is JobStatus.ERROR
        assert list(job.time_per_step())[-1] == "ERROR_VALIDATING_JOB"
        with pytest.raises(IBMQJobFailureError, match="needs 7 qubits"):
            job.result()


def test_an_unsupported_instruction_fails_validation(provider):
    backend = provider.get_backend(SIMULATOR)
    circuit = QuantumCircuit(1, 1)
    circuit.append(Gate("mystery", 1, []), [0])
    circuit.measure(0, 0)
    job = backend.run(circuit, shots=10)
    job.wait_for_final_state(timeout=60)
    assert job.status() is JobStatus.ERROR
    assert "Instruction 'mystery'" in job.error_message()
    assert "not supported by ibmq_qasm_simulator" in job.error_message()


def test_a_qobj_bypassing_client_validation_is_refused_by_the_service(provider):
    backend = provider.get_backend(DEVICE)
    qobj = assemble(transpile(flip(True), backend), backend, shots=10)
    qobj.config.shots = 1_000_000  # assemble() would refuse this; a Qobj is sent as it is
    job = backend.run(qobj)
    job.wait_for_final_state(timeout=60)
    assert job.status() is JobStatus.ERROR
    message = job.error_message()
    assert "1000000 exceeds max_shots" in message and "100000" in message
    assert job.backend_options()["shots"] == 1_000_000


# -- updates -------------------------------------------------------------------------------


def test_update_name_and_tags(provider):
    tag = unique("update")
    a, b, c, d = (f"{tag}-{letter}" for letter in "abcd")
    job = provider.get_backend(SIMULATOR).run(
        flip(True), shots=5, job_name=f"{tag}-before", job_tags=[a, b]
    )

    assert job.update_name(f"{tag}-after") == f"{tag}-after"
    assert job.name() == f"{tag}-after"
    assert set(job.update_tags(replacement_tags=[b, c])) == {b, c}
    assert set(job.update_tags(additional_tags=[d])) == {b, c, d}
    assert set(job.update_tags(removal_tags=[b])) == {c, d}
    assert set(job.update_tags(replacement_tags=[a], additional_tags=[b], removal_tags=[a])) == {b}
    assert set(job.update_tags(additional_tags=[c, d])) == {b, c, d}
    assert set(job.tags()) == {b, c, d}
    with pytest.raises(IBMQJobInvalidStateError):
        job.update_tags()
    with pytest.raises(IBMQJobInvalidStateError):
        job.update_name(42)

    job.wait_for_final_state(timeout=60)
    assert job.update_name(f"{tag}-final") == f"{tag}-final", "a final job can be renamed"
    retrieved = provider.backend.retrieve_job(job.job_id())
    assert retrieved.name() == f"{tag}-final" and set(retrieved.tags()) == {b, c, d}
    assert ids(provider.backend.jobs(job_name=f"{tag}-final")) == [job.job_id()]
    assert provider.backend.jobs(job_name=f"{tag}-before") == []
    assert ids(provider.backend.jobs(job_tags=[b, d], job_tags_operator="AND")) == [job.job_id()]
    assert provider.backend.jobs(job_tags=[a]) == []
    assert retrieved.result().get_counts() == {"1": 5}


# -- queue, cancel, job limits -------------------------------------------------------------


def test_cancelling_a_queued_job(provider):
    backend = provider.get_backend(QUEUE_DEVICE)
    tag = unique("queue")
    heavy = transpile(endless(qubits=5), backend, seed_transpiler=1)
    running = backend.run(heavy, shots=100_000, job_tags=[tag])
    try:
        wait_for_status(running, JobStatus.RUNNING)
        queued = backend.run(heavy, shots=100_000, job_tags=[tag])
        wait_for_status(queued, JobStatus.QUEUED)
        assert queued.queue_position() == 1
        assert queued.queue_position(refresh=True) == 1
        assert backend.status().pending_jobs == 1

        assert ids(backend.jobs(status=JobStatus.RUNNING, job_tags=[tag])) == [running.job_id()]
        assert ids(backend.jobs(status="queued", job_tags=[tag])) == [queued.job_id()]
        assert ids(backend.active_jobs()) == [queued.job_id(), running.job_id()]
        limit = backend.job_limit()
        assert (limit.maximum_jobs, limit.active_jobs) == (MAX_JOBS, 2)
        assert backend.remaining_jobs_count() == MAX_JOBS - 2

        assert queued.cancel() is True
        assert queued.status() is JobStatus.CANCELLED and queued.cancelled()
        assert queued.queue_position(refresh=True) is None
        steps = list(queued.time_per_step())
        assert steps[-2:] == ["QUEUED", "CANCELLED"] and "RUNNING" not in steps
        assert queued.error_message() is None
        with pytest.raises(IBMQJobInvalidStateError):
            queued.result(timeout=10)
        with pytest.raises(IBMQJobApiError, match="cannot be cancelled"):
            queued.cancel()

        assert running.status() is JobStatus.RUNNING, "the running job goes on"
        assert ids(backend.active_jobs()) == [running.job_id()]
        assert backend.remaining_jobs_count() == MAX_JOBS - 1
        assert backend.status().pending_jobs == 0
    finally:
        running.cancel()
    assert running.status() is JobStatus.CANCELLED
    assert backend.remaining_jobs_count() == MAX_JOBS
    assert ids(backend.jobs(status=JobStatus.CANCELLED, job_tags=[tag])) == [
        queued.job_id(),
        running.job_id(),
    ]


def test_the_job_limit_is_per_project(provider):
    limited = IBMQ.get_provider(project=LIMITED_PROJECT)
    assert limited is not provider
    backend = limited.get_backend(PAUSED_BACKEND)
    limit = backend.job_limit()
    assert (limit.maximum_jobs, limit.active_jobs) == (1, 0)
    held = backend.run(transpile(flip(True), backend), shots=10)
    try:
        wait_for_status(held, JobStatus.QUEUED)
        assert backend.job_limit().active_jobs == 1 and backend.remaining_jobs_count() == 0
        with pytest.raises(IBMQBackendJobLimitError, match="Error code: 3458"):
            backend.run(transpile(flip(False), backend), shots=10)
        # The default project's limit on the same backend is its own.
        assert provider.get_backend(PAUSED_BACKEND).remaining_jobs_count() == MAX_JOBS
        assert ids(limited.backend.jobs(limit=None)) == [held.job_id()]
    finally:
        assert held.cancel() is True
    assert backend.remaining_jobs_count() == 1


# -- pulse defaults ------------------------------------------------------------------------


def test_pulse_defaults_of_a_pulse_device(provider):
    backend = provider.get_backend(DEVICE)
    configuration = backend.configuration()
    assert configuration.open_pulse
    defaults = backend.defaults()
    shipped = json.loads(gzip.decompress((PULSE_DEFAULTS / f"{DEVICE}.json.gz").read_bytes()))

    # terra converts the wire's GHz to Hz.
    assert defaults.qubit_freq_est == pytest.approx([f * 1e9 for f in shipped["qubit_freq_est"]])
    assert defaults.meas_freq_est == pytest.approx([f * 1e9 for f in shipped["meas_freq_est"]])
    for qubit, frequency in enumerate(defaults.qubit_freq_est):
        low, high = configuration.qubit_lo_range[qubit]
        assert low <= frequency <= high
    assert {pulse.name for pulse in defaults.pulse_library} == {
        pulse["name"] for pulse in shipped["pulse_library"]
    }

    schedules = defaults.instruction_schedule_map
    for qubit in range(configuration.n_qubits):
        assert {"x", "sx", "measure"} <= set(schedules.qubit_instructions(qubit))
    for pair in configuration.coupling_map:
        assert schedules.has("cx", pair)
    x_gate = schedules.get("x", 0)
    assert x_gate.duration > 0 and x_gate.channels == (configuration.drive(0),)

    assert backend.defaults() is defaults, "cached"
    refreshed = backend.defaults(refresh=True)
    assert refreshed is not defaults and refreshed.to_dict() == defaults.to_dict()


def test_a_device_without_pulse_defaults_does_not_advertise_pulse(provider):
    backend = provider.get_backend("ibm_brisbane")
    assert not backend.configuration().open_pulse
    assert backend.defaults() is None
    shipped = {path.name.removesuffix(".json.gz") for path in PULSE_DEFAULTS.glob("*.json.gz")}
    advertising = {b.name() for b in provider.backends() if b.configuration().open_pulse}
    assert DEVICE in advertising and advertising <= shipped
