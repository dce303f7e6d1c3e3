"""``job_monitor``, ``job_set_monitor`` and the HTML reprs, against the real local service."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from known_circuits import bell
from qiskit import QuantumCircuit
from qiskit.providers import JobStatus

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQFactory,
    AsyncIBMQJob,
    AsyncIBMQJobManager,
    AsyncManagedJobSet,
    IBMQJobInvalidStateError,
    IBMQJobManagerInvalidStateError,
    IBMQJobManagerTimeoutError,
    IBMQJobTimeoutError,
    job_monitor,
    job_set_monitor,
)

pytestmark = pytest.mark.integration

SIMULATOR = "ibmq_qasm_simulator"
PAUSED = "ibmq_lima"
"""A backend of the paused service below: it accepts jobs and never runs them."""


def flip(name: str = "flip") -> QuantumCircuit:
    """A circuit in every device's basis gates (no transpiling needed)."""
    circuit = QuantumCircuit(1, 1, name=name)
    circuit.x(0)
    circuit.measure(0, 0)
    return circuit


@pytest.fixture(scope="module")
def paused_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A local service on which ``PAUSED`` queues jobs and never runs them."""
    from ibmq_local.service import LocalService

    data_dir = tmp_path_factory.mktemp("paused")
    (data_dir / "config.json").write_text(
        json.dumps({"backends": {PAUSED: {"status": "internal"}}})
    )
    service = LocalService(data_dir)
    service.start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
async def paused(factory: AsyncIBMQFactory, paused_service: Any) -> AsyncAccountProvider:
    provider = await factory.enable_account(paused_service.token, url=paused_service.auth_url)
    assert provider is not None
    return provider


class Requests:
    """Counts the requests a provider's HTTP client sends while in a ``with`` block."""

    def __init__(self, provider: AsyncAccountProvider) -> None:
        self.client = provider._api._session.client
        self.sent: list[str] = []

    async def _count(self, request: httpx.Request) -> None:
        self.sent.append(f"{request.method} {request.url.path}")

    def __enter__(self) -> list[str]:
        self.client.event_hooks["request"].append(self._count)
        return self.sent

    def __exit__(self, *_: object) -> None:
        self.client.event_hooks["request"].remove(self._count)


def redraws(text: str) -> list[str]:
    """The successive lines a monitor drew: the text between carriage returns, unpadded."""
    assert text.startswith("\r") and text.endswith("\n"), repr(text)
    return [part.rstrip() for part in text[1:-1].split("\r")]


class Page(HTMLParser):
    """The tags and the text of an HTML fragment."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.cells: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.cells.append(data)

    def row(self, label: str) -> str:
        """The value shown beside ``label``."""
        return self.cells[self.cells.index(label) + 1]


async def test_the_monitor_of_a_job_ends_on_its_final_status(
    provider: AsyncAccountProvider, local_service: Any
) -> None:
    backend = provider.get_backend(SIMULATOR)
    job = await backend.run(bell(), shots=100)
    out = io.StringIO()
    with Requests(provider) as sent:
        assert await job_monitor(job, output=out, timeout=120) is JobStatus.DONE
    # The job's own wait followed it: over the status websocket, without a status poll.
    assert not [request for request in sent if request.endswith("/status/v/1")], sent
    lines = redraws(out.getvalue())
    assert lines[-1] == "Job Status: job has successfully run"
    assert all(line.startswith("Job Status: job ") for line in lines)
    assert len(lines) == len(set(lines))  # a line is drawn again only when it changed
    assert local_service.token not in out.getvalue()
    # A final job: one line, no request.
    again = io.StringIO()
    with Requests(provider) as sent:
        assert await job_monitor(job, interval=0.5, output=again) is JobStatus.DONE
    assert again.getvalue() == "\rJob Status: job has successfully run\n" and sent == []
    quiet = io.StringIO()
    other = await backend.run(bell(), shots=10)
    assert await job_monitor(other, output=quiet, quiet=True, timeout=120) is JobStatus.DONE
    assert quiet.getvalue() == "" and await other.done()


async def test_the_monitor_of_a_job_set_counts_its_jobs_by_status(
    provider: AsyncAccountProvider,
) -> None:
    backend = provider.get_backend(SIMULATOR)
    circuits = [bell(f"b{i}") for i in range(3)]
    job_set = await AsyncIBMQJobManager().run(
        circuits, backend, max_experiments_per_job=1, shots=20, progress=False
    )
    out = io.StringIO()
    statuses = await job_set_monitor(job_set, output=out, timeout=120)
    assert statuses == [JobStatus.DONE] * 3
    lines = redraws(out.getvalue())
    assert lines[-1] == "Job Set Status: 3 jobs: 3 done"
    assert all(line.startswith("Job Set Status: 3 jobs: ") for line in lines)
    assert (await job_set.results(timeout=60)).success


async def test_a_queued_job_shows_its_position_until_the_timeout(
    paused: AsyncAccountProvider,
) -> None:
    backend = paused.get_backend(PAUSED)
    job = await backend.run(flip(), shots=10)
    try:
        out = io.StringIO()
        with pytest.raises(IBMQJobTimeoutError):
            await job_monitor(job, interval=0.2, output=out, timeout=1.0)
        lines = redraws(out.getvalue())  # the line is ended even when the wait is not
        assert lines[-1].startswith("Job Status: job is queued (")
        position = await job.queue_position()
        assert position is not None and f"job is queued ({position})" in lines[-1]
    finally:
        await job.cancel()


async def test_the_monitor_of_a_job_set_times_out_with_the_managers_error(
    paused: AsyncAccountProvider,
) -> None:
    backend = paused.get_backend(PAUSED)
    job_set = await AsyncIBMQJobManager().run(
        [flip(f"p{i}") for i in range(2)], backend, max_experiments_per_job=1, progress=False
    )
    try:
        out = io.StringIO()
        with pytest.raises(IBMQJobManagerTimeoutError, match=r"jobs \[0, 1\]"):
            await job_set_monitor(job_set, output=out, timeout=1.0)
        assert redraws(out.getvalue())[-1] == "Job Set Status: 2 jobs: 2 queued"
    finally:
        await job_set.cancel()


async def test_bad_monitor_arguments_send_nothing(provider: AsyncAccountProvider) -> None:
    backend = provider.get_backend(SIMULATOR)
    job = await backend.run(bell(), shots=10)
    with Requests(provider) as sent:
        for bad in ({"interval": 0}, {"timeout": -1}, {"quiet": "yes"}, {"output": "file.txt"}):
            with pytest.raises(IBMQJobInvalidStateError, match=next(iter(bad))):
                await job_monitor(job, **bad)
        with pytest.raises(IBMQJobInvalidStateError, match="str"):
            await job_monitor("job-id")  # type: ignore[arg-type]
        with pytest.raises(IBMQJobManagerInvalidStateError, match="no jobs"):
            await job_set_monitor(AsyncManagedJobSet("empty"))
        with pytest.raises(IBMQJobManagerInvalidStateError, match="interval"):
            await job_set_monitor(AsyncManagedJobSet("empty"), interval=float("nan"))
    assert sent == []
    await job.wait_for_final_state(timeout=120)


async def test_html_reprs_show_what_the_objects_hold_without_a_request(
    provider: AsyncAccountProvider,
) -> None:
    simulator = provider.get_backend(SIMULATOR)
    device = provider.get_backend("ibmq_manila")
    await device.properties()
    name = "<script>alert('x')</script> & co"
    job: AsyncIBMQJob = await simulator.run(
        bell(), shots=10, job_name=name, job_tags=["<b>tag</b>", "plain"]
    )
    await job.wait_for_final_state(timeout=120)
    job_set = await AsyncIBMQJobManager().run(
        [bell("s0"), bell("s1")],
        simulator,
        name="set <i>",
        max_experiments_per_job=1,
        progress=False,
    )
    with Requests(provider) as sent:
        shown = {
            "provider": provider._repr_html_(),
            "simulator": simulator._repr_html_(),
            "device": device._repr_html_(),
            "job": job._repr_html_(),
            "job set": job_set._repr_html_(),
        }
    assert sent == []

    pages = {what: Page(markup) for what, markup in shown.items()}
    for what, page in pages.items():
        assert set(page.tags) <= {"div", "strong", "table", "tr", "th", "td"}, what
    hub = pages["provider"]
    assert (hub.row("hub"), hub.row("group"), hub.row("project")) == (
        provider.hub,
        provider.group,
        provider.project,
    )
    assert hub.row("backends") == str(len(provider.backends()))
    sim = pages["simulator"]
    assert sim.row("name") == SIMULATOR and sim.row("kind") == "simulator"
    config = simulator.configuration()
    assert sim.row("qubits") == str(config.n_qubits)
    assert sim.row("max shots") == str(config.max_shots)
    assert sim.row("basis gates") == ", ".join(config.basis_gates)
    limit = await simulator.job_limit()  # run() learned the limit: the repr shows it
    assert sim.row("job limit").startswith(f"{limit.maximum_jobs} (")
    assert "status" not in sim.cells  # a backend's status is never known without a request
    dev = pages["device"]
    assert dev.row("kind") == "device" and dev.row("qubits") == "5"
    assert "calibrated" in dev.cells and "job limit" not in dev.cells
    shown_job = pages["job"]
    assert shown_job.row("id") == job.job_id() and shown_job.row("backend") == SIMULATOR
    assert shown_job.row("name") == name  # escaped in the markup, whole in the text
    assert "<script>" not in shown["job"] and "&lt;script&gt;" in shown["job"]
    assert shown_job.row("tags") == "<b>tag</b>, plain"
    assert shown_job.row("status").startswith("DONE")
    assert job.creation_date().isoformat(sep=" ", timespec="seconds") == shown_job.row("created")
    shown_set = pages["job set"]
    assert shown_set.row("id") == job_set.job_set_id() and shown_set.row("name") == "set <i>"
    assert shown_set.row("jobs") == "2" and shown_set.row("backend") == SIMULATOR
    assert "<i>" not in shown["job set"]
    await job_set_monitor(job_set, quiet=True, timeout=120)
    assert Page(job_set._repr_html_()).row("jobs by status") == "2 done"
