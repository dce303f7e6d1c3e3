"""The HTML summaries shown by Jupyter (``_core/html_reprs.py``), without I/O."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

from qiskit.providers import JobStatus

from ibmq_async._core.html_reprs import (
    backend_html,
    job_html,
    job_set_html,
    managed_results_html,
    provider_html,
    render,
)
from ibmq_async._core.models import (
    ApiJobStatus,
    BackendConfiguration,
    JobDocument,
    QueueInfo,
)

ALLOWED_TAGS = {"div", "strong", "table", "tr", "th", "td"}
HOSTILE = "<script>alert(\"x\")</script><img src=x onerror='y'> & co"


class Page(HTMLParser):
    """The tags, attributes and text of an HTML fragment."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self.cells: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.cells.append(data)

    def row(self, label: str) -> str:
        return self.cells[self.cells.index(label) + 1]


def plain(markup: str) -> Page:
    """Parse ``markup``; it may hold only a plain table with inline styles."""
    page = Page(markup)
    assert set(page.tags) <= ALLOWED_TAGS, page.tags
    assert page.attributes <= {"style"}, page.attributes
    return page


def config(**fields: object) -> BackendConfiguration:
    base: dict[str, object] = {
        "backend_name": "ibmq_manila",
        "backend_version": "1.0.8",
        "n_qubits": 5,
        "basis_gates": ["cx", "id", "rz", "sx", "x"],
        "max_shots": 100000,
        "max_experiments": 300,
    }
    return BackendConfiguration.model_validate({**base, **fields})


def test_every_value_and_label_is_escaped() -> None:
    markup = render(HOSTILE, [(HOSTILE, HOSTILE), ("list", [HOSTILE, "b"]), ("gone", None)])
    page = plain(markup)
    assert "<script>" not in markup and "<img" not in markup
    assert page.cells[0] == HOSTILE and page.row(HOSTILE) == HOSTILE
    assert page.row("list") == f"{HOSTILE}, b"
    assert "gone" not in page.cells  # a None row is left out


def test_a_job_with_a_hostile_name_comes_out_escaped() -> None:
    document = JobDocument.model_validate(
        {
            "id": "abc123",
            "creationDate": "2030-01-01T12:00:00Z",
            "status": "QUEUED",
            "name": HOSTILE,
            "tags": ["<b>t</b>"],
            "backend": {"name": "ibmq_manila"},
        }
    )
    markup = job_html(
        "AsyncIBMQJob",
        document,
        api_status=ApiJobStatus.QUEUED,
        backend="ibmq_manila",
        tags=["<b>t</b>", "plain"],
        queue_info=QueueInfo(position=4, estimated_start_time=datetime(2030, 1, 1, tzinfo=UTC)),
    )
    assert "<script>" not in markup and "&lt;script&gt;" in markup and "<b>" not in markup
    page = plain(markup)
    assert page.cells[0] == "AsyncIBMQJob"
    assert page.row("name") == HOSTILE and page.row("tags") == "<b>t</b>, plain"
    assert page.row("id") == "abc123" and page.row("backend") == "ibmq_manila"
    assert page.row("status") == "QUEUED (QUEUED)" and page.row("queue position") == "4"
    created = datetime(2030, 1, 1, 12, tzinfo=UTC).astimezone()
    assert page.row("created") == created.isoformat(sep=" ", timespec="seconds")
    assert "estimated start" in page.cells and "error" not in page.cells


def test_a_job_shows_the_status_seen_last_and_its_error() -> None:
    document = JobDocument.model_validate(
        {
            "id": "j1",
            "creationDate": "2030-01-01T12:00:00Z",
            "status": "ERROR_RUNNING_JOB",
            "error": {"code": 1234, "message": "Too deep"},
        }
    )
    page = plain(
        job_html(
            "IBMQJob",
            document,
            api_status=ApiJobStatus.ERROR_RUNNING_JOB,
            backend="b",
            tags=[],
            queue_info=QueueInfo(position=2),  # stale: the job is no longer queued
        )
    )
    assert page.row("status") == "ERROR (ERROR_RUNNING_JOB)"
    assert page.row("error") == "Too deep. Error code: 1234."
    assert page.row("tags") == "none" and "queue position" not in page.cells
    assert "name" not in page.cells


def test_a_backend_shows_its_kind_and_what_is_known_without_a_request() -> None:
    device = plain(backend_html("AsyncIBMQBackend", config(), provider="ibm-q/open/main"))
    assert device.row("name") == "ibmq_manila" and device.row("kind") == "device"
    assert device.row("qubits") == "5" and device.row("basis gates") == "cx, id, rz, sx, x"
    assert device.row("max shots") == "100000" and device.row("provider") == "ibm-q/open/main"
    assert "status" not in device.cells and "job limit" not in device.cells
    limited = plain(backend_html("B", config(simulator=True), job_limit=5, unfinished_jobs=2))
    assert limited.row("kind") == "simulator" and limited.row("job limit") == "5 (2 unfinished)"
    unlimited = plain(backend_html("B", config(), job_limit=-1))
    assert unlimited.row("job limit") == "none"
    retired = plain(backend_html("B", config(basis_gates=[], max_shots=0), retired=True))
    assert retired.row("kind") == "retired" and retired.row("status").startswith("not operational")
    assert "max shots" not in retired.cells and retired.row("basis gates") == "none"


def test_a_provider_a_job_set_and_its_results() -> None:
    hub = plain(provider_html("AsyncAccountProvider", "ibm-q", "open", "<main>", 12))
    assert hub.row("project") == "<main>" and hub.row("backends") == "12"
    job_set = plain(
        job_set_html(
            "AsyncManagedJobSet",
            "set-1",
            "<nightly>",
            backend=None,
            tags=["a"],
            statuses=[JobStatus.DONE, None, JobStatus.QUEUED, JobStatus.DONE],
        )
    )
    assert job_set.row("name") == "<nightly>" and job_set.row("jobs") == "4"
    assert job_set.row("jobs by status") == "1 not submitted, 1 queued, 2 done"
    assert "backend" not in job_set.cells and "results" not in job_set.cells
    results = plain(managed_results_html("ManagedResults", "sim", 500, 7, 6, False))
    assert results.row("experiments") == "500" and results.row("jobs with results") == "6 of 7"
    assert results.row("success") == "no"
