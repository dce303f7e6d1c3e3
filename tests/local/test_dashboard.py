"""The dashboard at the service's root URL, driven in a real headless Chromium.

Debian's Chromium (``/usr/bin/chromium``) is driven by Playwright for Python, pointed at that
executable: nothing downloads a browser. The session-wide service of ``conftest.py`` runs on a
loopback port; the default user submits jobs with the blocking client, bob (another user of the
same project) submits jobs of his own, and the page, signed in with the default user's API
token, must show the default user's jobs with their live status, a job's counts as a
histogram with qiskit's bars, a failed job's error, a device's coupling map coloured by its
calibration, and filters that work; never bob's private job, a console error, or a token in a
URL. A screenshot is kept under pytest's tmp dir and in ``.artifacts/dashboard.png``.

Without ``/usr/bin/chromium`` the tests are skipped, except under ``CI``, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from known_circuits import ghz
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister

from ibmq_local import LocalService
from ibmq_sync import AccountProvider, IBMQFactory, IBMQJob

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"
SIMULATOR = "ibmq_qasm_simulator"
DEVICE = "ibmq_manila"
"""A device whose configuration has qubit coordinates."""
PAUSED = "ibmq_lima"
"""Configured ``internal`` by conftest.py (jobs stay QUEUED); it has no coordinates."""
WAIT_MS = 60_000
RUN = uuid.uuid4().hex[:8]


def two_registers() -> QuantumCircuit:
    """Uniform over 8 outcomes, counted in two registers (qiskit spaces them: ``"01 1"``)."""
    qubits = QuantumRegister(3, "q")
    first, second = ClassicalRegister(1, "a"), ClassicalRegister(2, "b")
    circuit = QuantumCircuit(qubits, first, second, name="registers")
    circuit.h(qubits)
    circuit.measure(qubits[0], first[0])
    circuit.measure(qubits[1], second[0])
    circuit.measure(qubits[2], second[1])
    return circuit


def chromium_path() -> str:
    """Debian's Chromium; skip without it, except under CI, where it must be there."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: CI must install it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return str(CHROMIUM)


@dataclass
class Jobs:
    """What the test submitted before opening the page."""

    done: IBMQJob
    counts: list[dict[str, int]]
    failed: IBMQJob
    queued: IBMQJob
    bob_private: str
    bob_shared: str


@dataclass
class Browser:
    """The signed-in page, and what the browser saw."""

    page: Any
    base_url: str
    console: list[str] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)

    def errors(self) -> list[str]:
        return [text for text in self.console if text.startswith(("error", "pageerror"))]

    def row(self, job_id: str) -> Any:
        return self.page.locator(f'#job-rows tr[data-job-id="{job_id}"]')

    def listed_ids(self) -> set[str]:
        return set(
            self.page.eval_on_selector_all("#job-rows tr", "rows => rows.map(r => r.dataset.jobId)")
        )


def test_page_and_files_are_served_without_a_token_under_the_policy(
    service: LocalService, http: httpx.Client, expect_error: Any
) -> None:
    origin = service.auth_url.removesuffix("/api")
    kinds = {
        "/": "text/html",
        "/dashboard/dashboard.js": "text/javascript",
        "/dashboard/dashboard.css": "text/css",
        "/dashboard/favicon.svg": "image/svg+xml",
    }
    bodies = {}
    for path, kind in kinds.items():
        response = http.get(origin + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(kind), path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.headers["x-content-type-options"] == "nosniff"
        bodies[path] = response.text
    # Offline: the page loads only its own files, the script names no other origin.
    linked = re.findall(r'(?:src|href)="([^"]*)"', bodies["/"])
    assert sorted(linked) == sorted(p for p in kinds if p != "/")
    assert re.findall(r"https?://[^\s\"'`]*", bodies["/dashboard/dashboard.js"]) == [
        "http://www.w3.org/2000/svg"  # the SVG namespace name, never fetched
    ]
    expect_error(http.get(origin + "/dashboard/config.json"), 404)


@pytest.fixture(scope="module")
def provider(service: LocalService) -> Iterator[AccountProvider]:
    """The default user's provider (ibm-q/open/main) on the blocking client."""
    accounts = IBMQFactory()
    provider = accounts.enable_account(service.token, url=service.auth_url)
    assert provider is not None
    try:
        yield provider
    finally:
        accounts.disable_account()


@pytest.fixture(scope="module")
def jobs(provider: AccountProvider, bob: Any, build: Any) -> Iterator[Jobs]:
    """A completed two-circuit job, a failed job, a job held in a paused queue (the default
    user's, through the client) and two of bob's jobs in the same project."""
    simulator = provider.get_backend(SIMULATOR)
    done = simulator.run([ghz(), two_registers()], shots=600, job_name=f"dash-counts-{RUN}")
    # h is not a manila basis gate: the job is accepted and fails when it runs.
    failing = QuantumCircuit(2, 2)
    failing.h(0)
    failing.measure([0, 1], [0, 1])
    failed = provider.get_backend(DEVICE).run(
        failing, shots=10, job_name=f"dash-broken-{RUN}", validate=False
    )
    native = QuantumCircuit(2, 2)  # lima's own gates
    native.sx(0)
    native.cx(0, 1)
    native.measure([0, 1], [0, 1])
    queued = provider.get_backend(PAUSED).run(native, shots=10, job_name=f"dash-queued-{RUN}")
    result = done.result(timeout=120)
    counts = [dict(result.get_counts(i)) for i in range(2)]
    failed.wait_for_final_state(timeout=120)
    qobj = build.qobj([build.ghz(2)])
    bob_private = bob.submit(qobj, name=f"dash-bob-private-{RUN}")
    bob_shared = bob.submit(qobj, name=f"dash-bob-shared-{RUN}", shareLevel="project")
    yield Jobs(done, counts, failed, queued, bob_private, bob_shared)
    if queued.status().name not in ("DONE", "CANCELLED", "ERROR"):
        queued.cancel()  # the live-status test did not get to it


@pytest.fixture(scope="module")
def browser(
    service: LocalService, jobs: Jobs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """Chromium on the dashboard, signed in as the default user."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")  # a new, empty user-data-dir
    base_url = service.auth_url.removesuffix("/api")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            seen = Browser(page, base_url)
            page.on(
                "console", lambda message: seen.console.append(f"{message.type}: {message.text}")
            )
            page.on("pageerror", lambda error: seen.console.append(f"pageerror: {error}"))
            page.on("request", lambda request: seen.requests.append(request))
            response = page.goto(base_url + "/")
            assert response is not None and response.status == 200
            policy = response.headers.get("content-security-policy", "")
            assert policy.startswith("default-src 'self'"), policy
            page.fill("#api-token", service.token)
            page.click("#sign-in-button")
            page.wait_for_selector("#dashboard:not([hidden])", timeout=WAIT_MS)
            yield seen
        finally:
            context.close()


def test_lists_the_users_jobs_newest_first_with_status(
    browser: Browser, jobs: Jobs, api: Any
) -> None:
    from playwright.sync_api import expect

    row = browser.row(jobs.done.job_id())
    expect(row).to_have_attribute("data-status", "COMPLETED", timeout=WAIT_MS)
    expect(row.locator(".badge")).to_have_text("COMPLETED")
    expect(row.locator(".name")).to_have_text(f"dash-counts-{RUN}")
    failed = browser.row(jobs.failed.job_id())
    expect(failed).to_have_attribute("data-status", api.job(jobs.failed.job_id())["status"])
    ids = browser.page.eval_on_selector_all(
        "#job-rows tr", "rows => rows.map(r => r.dataset.jobId)"
    )
    # Newest first: the paused-queue job was submitted after the other two.
    order = [ids.index(job.job_id()) for job in (jobs.queued, jobs.failed, jobs.done)]
    assert order == sorted(order)
    assert not browser.errors()


def test_shows_no_job_of_another_user_unless_shared(browser: Browser, jobs: Jobs) -> None:
    from playwright.sync_api import expect

    expect(browser.row(jobs.done.job_id())).to_have_count(1, timeout=WAIT_MS)
    listed = browser.listed_ids()
    assert jobs.bob_private not in listed
    assert jobs.bob_shared not in listed
    browser.page.check("#filter-shared")
    expect(browser.row(jobs.bob_shared)).to_have_count(1, timeout=WAIT_MS)
    assert jobs.bob_private not in browser.listed_ids()
    browser.page.uncheck("#filter-shared")
    expect(browser.row(jobs.bob_shared)).to_have_count(0, timeout=WAIT_MS)
    assert not browser.errors()


def test_histogram_has_the_results_bars(browser: Browser, jobs: Jobs) -> None:
    from playwright.sync_api import expect

    page = browser.page
    browser.row(jobs.done.job_id()).click()
    expect(page.locator("#detail-id")).to_have_text(jobs.done.job_id(), timeout=WAIT_MS)
    for index, counts in enumerate(jobs.counts):
        bars = page.locator(f'#histograms [data-experiment="{index}"] rect.bar')
        expect(bars).to_have_count(len(counts), timeout=WAIT_MS)
        shown = {
            bar.get_attribute("data-outcome"): int(bar.get_attribute("data-count") or -1)
            for bar in bars.all()
        }
        assert shown == counts
    # Taller bars for larger counts.
    heights = {
        bar.get_attribute("data-outcome"): float(bar.get_attribute("height") or 0)
        for bar in page.locator('#histograms [data-experiment="1"] rect.bar').all()
    }
    ranked = sorted(jobs.counts[1], key=jobs.counts[1].__getitem__)
    assert [heights[k] for k in ranked] == sorted(heights.values())
    assert " " in next(iter(jobs.counts[1]))  # two registers, spaced as qiskit does
    expect(page.locator("#detail-error")).to_be_hidden()
    assert not browser.errors()


def test_failed_job_shows_its_error_message(browser: Browser, jobs: Jobs, api: Any) -> None:
    from playwright.sync_api import expect

    document = api.job(jobs.failed.job_id())
    assert str(document["status"]).startswith("ERROR")
    browser.row(jobs.failed.job_id()).click()
    expect(browser.page.locator("#detail-id")).to_have_text(jobs.failed.job_id(), timeout=WAIT_MS)
    error = browser.page.locator("#detail-error")
    expect(error).to_be_visible(timeout=WAIT_MS)
    expect(error).to_contain_text(
        f"{document['error']['message']}. Error code: {document['error']['code']}."
    )
    assert not browser.errors()


def test_status_is_live(browser: Browser, jobs: Jobs) -> None:
    """A job held in a paused queue shows QUEUED, then CANCELLED once cancelled, without a
    reload."""
    from playwright.sync_api import expect

    row = browser.row(jobs.queued.job_id())
    expect(row).to_have_attribute("data-status", "QUEUED", timeout=WAIT_MS)
    assert jobs.queued.cancel()
    expect(row).to_have_attribute("data-status", "CANCELLED", timeout=WAIT_MS)
    expect(row.locator(".badge")).to_have_text("CANCELLED")
    assert not browser.errors()


def test_filters_by_status_backend_and_name(browser: Browser, jobs: Jobs) -> None:
    from playwright.sync_api import expect

    page = browser.page
    done, failed = jobs.done.job_id(), jobs.failed.job_id()
    page.select_option("#filter-status", "ERROR")
    expect(browser.row(done)).to_have_count(0, timeout=WAIT_MS)
    expect(browser.row(failed)).to_have_count(1)
    statuses = page.eval_on_selector_all("#job-rows tr", "rows => rows.map(r => r.dataset.status)")
    assert statuses and all(status.startswith("ERROR") for status in statuses)

    page.select_option("#filter-status", "")
    page.select_option("#filter-backend", SIMULATOR)
    expect(browser.row(failed)).to_have_count(0, timeout=WAIT_MS)
    expect(browser.row(done)).to_have_count(1)

    page.select_option("#filter-backend", "")
    page.fill("#filter-name", f"COUNTS-{RUN}")  # a case-insensitive part of the name
    expect(page.locator("#job-rows tr")).to_have_count(1, timeout=WAIT_MS)
    expect(browser.row(done)).to_have_count(1)
    page.fill("#filter-name", "")
    expect(browser.row(failed)).to_have_count(1, timeout=WAIT_MS)
    assert not browser.errors()


def test_coupling_map_coloured_by_calibration(browser: Browser, api: Any) -> None:
    from playwright.sync_api import expect

    page = browser.page
    for name in (DEVICE, PAUSED):  # with coordinates, and laid out by the page
        configuration = next(c for c in api.get("/devices/v/1").json() if c["backend_name"] == name)
        properties = api.get(f"/devices/{name}/properties?version=1").json()
        page.select_option("#device-select", name)
        chart = page.locator(f'#coupling-map svg[data-backend="{name}"]')
        expect(chart).to_have_count(1, timeout=WAIT_MS)
        qubits = chart.locator("circle.qubit")
        expect(qubits).to_have_count(configuration["n_qubits"])
        pairs = {tuple(sorted(pair)) for pair in configuration["coupling_map"]}
        edges = chart.locator("line.edge")
        expect(edges).to_have_count(len(pairs))
        drawn = {
            tuple(int(q) for q in (e.get_attribute("data-qubits") or "").split("-"))
            for e in edges.all()
        }
        assert drawn == pairs
        for qubit, circle in enumerate(qubits.all()):
            readout = next(
                p["value"] for p in properties["qubits"][qubit] if p["name"] == "readout_error"
            )
            assert float(circle.get_attribute("data-readout-error") or "nan") == readout
        fills = {circle.get_attribute("fill") for circle in qubits.all()}
        assert len(fills) > 1  # coloured by readout error, which differs between qubits
        assert all(e.get_attribute("data-error") for e in edges.all())
        centres = {(c.get_attribute("cx"), c.get_attribute("cy")) for c in qubits.all()}
        assert len(centres) == configuration["n_qubits"]
    assert not browser.errors()


def test_page_is_clean_and_keeps_a_screenshot(
    browser: Browser, service: LocalService, jobs: Jobs, tmp_path: Path
) -> None:
    """No console error; no token in any URL; storage requests carry no access token."""
    from playwright.sync_api import expect

    page = browser.page
    browser.row(jobs.done.job_id()).click()
    expect(page.locator("#histograms rect.bar").first).to_be_visible(timeout=WAIT_MS)
    page.select_option("#device-select", DEVICE)
    expect(page.locator(f'#coupling-map svg[data-backend="{DEVICE}"]')).to_have_count(
        1, timeout=WAIT_MS
    )
    access_token = page.evaluate("sessionStorage.getItem('ibmq-local.accessToken')")
    assert access_token
    assert page.locator("#api-token").input_value() == ""
    storage = [r for r in browser.requests if "/storage/" in r.url]
    assert storage, "the result was not downloaded through object storage"
    assert all("x-access-token" not in r.headers for r in storage)
    for request in browser.requests:
        assert service.token not in request.url and access_token not in request.url
        assert request.url.startswith(browser.base_url)  # nothing fetched from elsewhere
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    try:
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(shot, ARTIFACTS / "dashboard.png")
    except OSError:
        pass  # a read-only checkout: the copy under tmp_path is kept
    assert not browser.errors(), browser.errors()
