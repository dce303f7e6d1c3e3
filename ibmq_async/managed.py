"""The job manager: a batch of experiments run as a set of jobs, and found again later.

``AsyncIBMQJobManager.run()`` splits the experiments into jobs of at most the backend's
``max_experiments`` (or the caller's ``max_experiments_per_job``), checks and assembles every job
before anything is sent, then submits them all concurrently. The backend's job-limit gate paces
the submissions, so a set larger than the job limit waits for slots instead of failing. The
jobs carry the set's id in their tags (see ``_core/jobsets.py``), so ``retrieve_job_set()`` can
rebuild a set from the server alone, even after its submitter died half-way, and ``resume()``
submits only the jobs that never reached the server.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from qiskit.circuit import QuantumCircuit
from qiskit.providers import JobStatus
from qiskit.result import Result

from ._acompat import Limiter, TaskGroup, monotonic
from ._core.exceptions import (
    IBMQError,
    IBMQJobApiError,
    IBMQJobError,
    IBMQJobManagerInvalidStateError,
    IBMQJobManagerJobNotFound,
    IBMQJobManagerTimeoutError,
    IBMQJobManagerUnknownJobSet,
    IBMQJobTimeoutError,
)
from ._core.html_reprs import job_set_html
from ._core.jobs import new_tags
from ._core.jobsets import (
    Layout,
    job_set_tag,
    new_job_set_id,
    parse_part_name,
    part_name,
    user_tags,
)
from ._core.managed_results import Experiment, ManagedResults
from ._core.models import JobCreateRequest
from ._core.run_options import check_tags
from ._core.statuses import ApiJobStatus, to_job_status
from ._core.submission import never_got_its_qobj
from .backend import AsyncIBMQBackend
from .job import AsyncIBMQJob
from .progress import Progress, ProgressCallback

if TYPE_CHECKING:
    from .provider import AsyncAccountProvider

logger = logging.getLogger(__name__)

MAX_CONCURRENT_PARTS = 32
"""At most this many jobs of one set are submitted or waited for at the same time (the
job-limit gate paces them further)."""

_RESERVED_OPTIONS = frozenset({"job_name", "wait_for_slot"})
"""``run()`` options the manager sets itself."""


class AsyncManagedJob:
    """One job of a set: the experiments it holds, and the job once it reached the server.

    Attributes:
        index: the job's index in the set.
        experiments: the global indexes of its experiments.
        job: the submitted job, or ``None`` (not submitted, or the submission failed).
        submit_error: why the submission failed, or ``None``.
    """

    def __init__(self, index: int, experiments: range, job: AsyncIBMQJob | None = None) -> None:
        self.index = index
        self.experiments = experiments
        self.job = job
        self.submit_error: str | None = None

    def __repr__(self) -> str:
        job = self.job.job_id() if self.job is not None else None
        return (
            f"<{type(self).__name__} {self.index} experiments "
            f"{self.start_index}-{self.end_index} job={job}>"
        )

    @property
    def start_index(self) -> int:
        """The global index of the job's first experiment."""
        return self.experiments.start

    @property
    def end_index(self) -> int:
        """The global index of the job's last experiment."""
        return self.experiments.stop - 1


class AsyncManagedJobSet:
    """A batch of experiments run as several jobs of one backend (protocol.md 8.4)."""

    def __init__(self, name: str | None = None, short_id: str | None = None) -> None:
        self._name = name if name is not None else datetime.now(UTC).isoformat()
        self._id = short_id or new_job_set_id()
        self._tags: list[str] = []
        self._layout: Layout | None = None
        self._backend: AsyncIBMQBackend | None = None
        self._managed: list[AsyncManagedJob] = []
        self._results: ManagedResults | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._id} {self._name!r} jobs={len(self._managed)}>"

    def job_set_id(self) -> str:
        """The set's id: give it to ``retrieve_job_set()`` to find the set again."""
        return self._id

    def name(self) -> str:
        """The set's name."""
        return self._name

    def tags(self) -> list[str]:
        """The user's tags of the set's jobs (without the manager's own)."""
        return list(self._tags)

    def backend(self) -> AsyncIBMQBackend | None:
        """The backend the set runs on."""
        return self._backend

    def managed_jobs(self) -> list[AsyncManagedJob]:
        """The set's jobs, in order."""
        return list(self._managed)

    def jobs(self) -> list[AsyncIBMQJob | None]:
        """The submitted jobs in order, ``None`` where a submission failed or is missing."""
        return [managed.job for managed in self._managed]

    def _layout_or_fail(self) -> Layout:
        if self._layout is None:
            raise IBMQJobManagerInvalidStateError(
                "The job set has no jobs yet: run it or retrieve its jobs first."
            )
        return self._layout

    def _prepare(
        self,
        experiments: Sequence[QuantumCircuit],
        backend: AsyncIBMQBackend,
        layout: Layout,
        job_tags: list[str],
        run_config: dict[str, Any],
    ) -> list[tuple[AsyncManagedJob, JobCreateRequest, dict[str, Any]]]:
        """Check and assemble every job not on the server yet; nothing is sent, and the set
        is left as it was when any job is refused."""
        managed_jobs = self._managed or [
            AsyncManagedJob(i, layout.part(i)) for i in range(layout.jobs)
        ]
        tags = [*job_tags, job_set_tag(self._id), layout.tag(self._id)]
        prepared = [
            (
                managed,
                *backend._prepare(
                    list(experiments[managed.start_index : managed.end_index + 1]),
                    job_name=part_name(self._name, managed.index),
                    job_tags=tags,
                    **run_config,
                ),
            )
            for managed in managed_jobs
            if managed.job is None
        ]
        self._managed = managed_jobs
        self._layout = layout
        self._backend = backend
        self._tags = list(job_tags)
        return prepared

    async def _submit_all(
        self,
        backend: AsyncIBMQBackend,
        prepared: list[tuple[AsyncManagedJob, JobCreateRequest, dict[str, Any]]],
        progress: Progress,
    ) -> None:
        """Submit the prepared jobs concurrently (the job-limit gate paces them)."""
        progress.start("submitted", already=len(self._managed) - len(prepared))
        try:
            workers = min(max(len(prepared), 1), MAX_CONCURRENT_PARTS)
            async with TaskGroup(max_workers=workers) as group:
                for managed, request, wire in prepared:
                    group.start_soon(self._submit_one, backend, managed, request, wire, progress)
        finally:
            progress.close()

    async def _submit_one(
        self,
        backend: AsyncIBMQBackend,
        managed: AsyncManagedJob,
        request: JobCreateRequest,
        wire: dict[str, Any],
        progress: Progress,
    ) -> None:
        try:
            managed.job = await backend._submit(request, wire)
            managed.submit_error = None
        except IBMQError as exc:
            managed.submit_error = str(exc)
            logger.warning(
                "Unable to submit job %d (experiments %d-%d) of job set %s: %s",
                managed.index,
                managed.start_index,
                managed.end_index,
                self._id,
                exc,
            )
        job_id = managed.job.job_id() if managed.job is not None else None
        progress.step("submitted", managed.index, job_id, managed.submit_error)

    async def statuses(self) -> list[JobStatus | None]:
        """Each job's status in order; ``None`` where it was not submitted or the status
        request failed."""
        found: list[JobStatus | None] = []
        for managed in self._managed:
            status = None
            if managed.job is not None:
                try:
                    status = await managed.job.status()
                except IBMQError as exc:
                    logger.warning("No status for job %s: %s", managed.job.job_id(), exc)
            found.append(status)
        return found

    async def report(self, detailed: bool = True) -> str:
        """A text summary of the set's statuses; ``detailed`` adds one line per job."""
        statuses = await self.statuses()
        counts: dict[str, int] = {}
        for status in statuses:
            key = status.name if status is not None else "NOT SUBMITTED"
            counts[key] = counts.get(key, 0) + 1
        lines = [
            f"Job set name: {self._name}",
            f"Job set ID: {self._id}",
            f"Summary report: {len(self._managed)} jobs",
            *(
                f"  {key.lower().replace('_', ' ')}: {count}"
                for key, count in sorted(counts.items())
            ),
        ]
        if detailed:
            lines.append("Detail report:")
            for managed, status in zip(self._managed, statuses, strict=True):
                job_id = managed.job.job_id() if managed.job is not None else None
                state = status.name if status is not None else "NOT SUBMITTED"
                lines.append(
                    f"  experiments {managed.start_index}-{managed.end_index}: job index "
                    f"{managed.index}, job ID {job_id}, status {state}"
                    + (f", submit error: {managed.submit_error}" if managed.submit_error else "")
                )
        return "\n".join(lines)

    async def results(
        self,
        timeout: float | None = None,
        partial: bool = False,
        refresh: bool = False,
        *,
        progress: bool | None = None,
        callback: ProgressCallback | None = None,
    ) -> ManagedResults:
        """Wait for every job of the set and return their results.

        The jobs are waited for concurrently, under one overall ``timeout`` (seconds).

        Args:
            timeout: seconds to wait at most; ``None`` waits as long as it takes.
            partial: keep the successful experiments of a job that partly failed.
            refresh: fetch the results again instead of returning the cached ones.
            progress: show a progress bar (default: when standard error is a terminal).
            callback: called with a :class:`~ibmq_async.progress.ProgressEvent` per job.

        Raises:
            IBMQJobManagerTimeoutError: some jobs did not finish in time.
        """
        if self._results is not None and not refresh:
            return self._results
        layout = self._layout_or_fail()
        deadline = None if timeout is None else monotonic() + timeout
        outcomes: list[Result | None] = [None] * len(self._managed)
        late: list[int] = []
        meter = Progress(len(self._managed), self._name, show=progress, callback=callback)
        meter.start("finished", already=sum(m.job is None for m in self._managed))
        workers = min(max(len(self._managed), 1), MAX_CONCURRENT_PARTS)
        waiting = Limiter(workers)
        try:
            async with TaskGroup(max_workers=workers) as group:
                for managed in self._managed:
                    if managed.job is not None:
                        group.start_soon(
                            self._result_of,
                            managed,
                            outcomes,
                            late,
                            deadline,
                            partial,
                            meter,
                            waiting,
                        )
        finally:
            meter.close()
        if late:
            raise IBMQJobManagerTimeoutError(
                f"Timeout while waiting for the results of jobs {sorted(late)} of job set "
                f"{self._id}."
            )
        backend = self._backend.name() if self._backend is not None else ""
        self._results = ManagedResults(layout, outcomes, backend)
        return self._results

    async def _result_of(
        self,
        managed: AsyncManagedJob,
        outcomes: list[Result | None],
        late: list[int],
        deadline: float | None,
        partial: bool,
        meter: Progress,
        waiting: Limiter,
    ) -> None:
        assert managed.job is not None
        error = None
        try:
            async with waiting.hold():
                # One poll first: a job that already finished (most of them, when a batch's
                # results are collected) then needs no status websocket.
                with contextlib.suppress(IBMQJobApiError):
                    await managed.job.status()
                remaining = None if deadline is None else max(deadline - monotonic(), 0.0)
                outcomes[managed.index] = await managed.job.result(
                    timeout=remaining, partial=partial
                )
        except IBMQJobTimeoutError:
            late.append(managed.index)
            error = "timeout"
        except IBMQJobError as exc:
            error = str(exc)
            logger.debug("Job %s of set %s has no result: %s", managed.job.job_id(), self._id, exc)
        meter.step("finished", managed.index, managed.job.job_id(), error)

    async def error_messages(self) -> str | None:
        """What went wrong, per job, or ``None`` when nothing did."""
        parts: list[str] = []
        for managed in self._managed:
            message = managed.submit_error
            job = managed.job
            if message is None and job is not None and await job.status() is JobStatus.ERROR:
                message = await job.error_message()
            if message:
                job_id = managed.job.job_id() if managed.job is not None else None
                parts.append(
                    f"Experiments {managed.start_index}-{managed.end_index}, job index="
                    f"{managed.index}, job ID={job_id}:\n  " + message.replace("\n", "\n  ")
                )
        return "\n".join(parts) if parts else None

    async def cancel(self) -> None:
        """Cancel every job of the set that has not finished; failures are logged."""
        for managed in self._managed:
            job = managed.job
            if job is None or await job.in_final_state():
                continue
            try:
                await job.cancel()
            except IBMQError as exc:
                logger.warning("Unable to cancel job %s: %s", job.job_id(), exc)

    async def update_name(self, name: str) -> str:
        """Rename the set: each job becomes ``<name>_<index>_``. Return the new name."""
        if not isinstance(name, str) or not name:
            raise IBMQJobManagerInvalidStateError(f"A job set name is a string, not {name!r}.")
        for managed in self._managed:
            if managed.job is not None:
                await managed.job.update_name(part_name(name, managed.index))
        self._name = name
        return name

    async def update_tags(
        self,
        replacement_tags: list[str] | None = None,
        additional_tags: list[str] | None = None,
        removal_tags: list[str] | None = None,
    ) -> list[str]:
        """Change the user's tags of every job of the set; the set's own tags stay.

        Returns:
            The new user tags.
        """
        tags = new_tags(self._tags, replacement_tags, additional_tags, removal_tags)
        layout = self._layout_or_fail()
        internal = [job_set_tag(self._id), layout.tag(self._id)]
        for managed in self._managed:
            if managed.job is not None:
                await managed.job.update_tags(replacement_tags=[*tags, *internal])
        self._tags = tags
        return list(tags)

    async def job(self, experiment: Experiment) -> tuple[AsyncIBMQJob, int]:
        """The job holding ``experiment`` (a global index, a name or a circuit) and the
        experiment's index inside it.

        Raises:
            IBMQJobManagerJobNotFound: no submitted job holds it.
        """
        layout = self._layout_or_fail()
        if isinstance(experiment, int) and not isinstance(experiment, bool):
            try:
                part, inner = layout.locate(experiment)
            except IndexError as exc:
                raise IBMQJobManagerJobNotFound(str(exc)) from None
            job = self._managed[part].job
            if job is None:
                raise IBMQJobManagerJobNotFound(
                    f"Experiment {experiment} belongs to job {part}, which was not submitted."
                )
            return job, inner
        name = experiment.name if isinstance(experiment, QuantumCircuit) else experiment
        for managed in self._managed:
            if managed.job is None:
                continue
            for inner, circuit in enumerate(await managed.job.circuits()):
                if circuit.name == name:
                    return managed.job, inner
        raise IBMQJobManagerJobNotFound(f"No job of the set holds experiment {experiment!r}.")

    async def retrieve_jobs(self, provider: AsyncAccountProvider, refresh: bool = False) -> None:
        """Rebuild the set from the server: its jobs found by the set's tag.

        Jobs that never got their Qobj (the submitter died half-way) are cancelled and count as
        missing; :meth:`resume` submits the missing ones.

        Raises:
            IBMQJobManagerUnknownJobSet: no job carries the set's id.
            IBMQJobManagerInvalidStateError: the jobs found do not form one set.
        """
        if self._managed and not refresh:
            return
        tag = job_set_tag(self._id)
        found = [job async for job in provider.iter_jobs(job_tags=[tag], descending=False)]
        if not found:
            raise IBMQJobManagerUnknownJobSet(f"No job belongs to job set {self._id}.")
        by_index: dict[int, list[AsyncIBMQJob]] = {}
        names: set[str] = set()
        backends: set[str] = set()
        for job in found:
            parsed = parse_part_name(job.name())
            if parsed is None:
                raise IBMQJobManagerInvalidStateError(
                    f"Job {job.job_id()} of job set {self._id} has a name that is not a set "
                    f"job's: {job.name()!r}."
                )
            names.add(parsed[0])
            backends.add(job.backend().name())
            by_index.setdefault(parsed[1], []).append(job)
        if len(names) != 1 or len(backends) != 1:
            raise IBMQJobManagerInvalidStateError(
                f"The jobs of job set {self._id} disagree on the set's name ({sorted(names)}) "
                f"or backend ({sorted(backends)})."
            )
        layout = Layout.from_tags(self._id, found[0].tags()) or await _measured_layout(by_index)
        if max(by_index) >= layout.jobs:
            raise IBMQJobManagerInvalidStateError(
                f"Job set {self._id} has a job index {max(by_index)} beyond its {layout.jobs} jobs."
            )
        managed_jobs = []
        for index in range(layout.jobs):
            managed = AsyncManagedJob(index, layout.part(index))
            managed.job = await _usable(by_index.get(index, []))
            if managed.job is None:
                managed.submit_error = "The job never reached the server."
            managed_jobs.append(managed)
        self._managed = managed_jobs
        self._layout = layout
        self._name = names.pop()
        self._backend = found[0].backend()
        self._tags = user_tags(found[0].tags())
        self._results = None

    async def resume(
        self,
        experiments: Sequence[QuantumCircuit],
        *,
        progress: bool | None = None,
        callback: ProgressCallback | None = None,
        **run_config: Any,
    ) -> None:
        """Submit the jobs of a retrieved set that never reached the server.

        ``experiments`` must be the set's experiments as first given to ``run()``, and
        ``run_config`` its options; jobs already on the server are left alone.

        Raises:
            IBMQJobManagerInvalidStateError: the set is not retrieved, or ``experiments`` do
                not match its layout.
        """
        layout = self._layout_or_fail()
        circuits = _experiment_list(experiments)
        if len(circuits) != layout.experiments:
            raise IBMQJobManagerInvalidStateError(
                f"Job set {self._id} has {layout.experiments} experiments; "
                f"{len(circuits)} were given."
            )
        if self._backend is None:
            raise IBMQJobManagerInvalidStateError("The job set's backend is not known.")
        _check_run_config(run_config)
        self._results = None
        prepared = self._prepare(circuits, self._backend, layout, self._tags, run_config)
        meter = Progress(layout.jobs, self._name, show=progress, callback=callback)
        await self._submit_all(self._backend, prepared, meter)

    def _repr_html_(self) -> str:
        """A summary for Jupyter: the set's jobs by the status last seen (no request)."""
        return job_set_html(
            type(self).__name__,
            self._id,
            self._name,
            backend=self._backend.name() if self._backend is not None else None,
            tags=self._tags,
            statuses=[
                to_job_status(m.job.api_status()) if m.job is not None else None
                for m in self._managed
            ],
            has_results=self._results is not None,
        )


async def _usable(candidates: list[AsyncIBMQJob]) -> AsyncIBMQJob | None:
    """The job that stands for one index of a set: the newest that got its Qobj.

    A job still ``CREATING`` never will (its submitter is gone): it is cancelled so it does not
    hold a job-limit slot, and the index counts as missing, as it does for a job cancelled
    that way before.
    """
    chosen = None
    for job in candidates:
        status = job.api_status()
        if status is ApiJobStatus.CREATING:
            try:
                await job.cancel()
            except IBMQError as exc:
                logger.warning("Unable to cancel the half-created job %s: %s", job.job_id(), exc)
            continue
        if status is ApiJobStatus.CANCELLED:
            await job.refresh()  # listings leave out the record of steps
            if never_got_its_qobj(job.document().time_per_step):
                continue
        if chosen is None or status is not ApiJobStatus.CANCELLED:
            chosen = job
    return chosen


async def _measured_layout(by_index: dict[int, list[AsyncIBMQJob]]) -> Layout:
    """The layout of a set made without a layout tag (by the original client): measured by
    downloading its jobs' Qobjs, whose indexes must then be exactly ``0..n-1``."""
    if sorted(by_index) != list(range(len(by_index))):
        raise IBMQJobManagerInvalidStateError(
            f"The set's job indexes {sorted(by_index)} are not 0..{len(by_index) - 1}."
        )
    sizes = [len(await jobs[0].circuits()) for _, jobs in sorted(by_index.items())]
    return Layout(sum(sizes), sizes[0])


def _experiment_list(experiments: Any) -> list[QuantumCircuit]:
    if isinstance(experiments, QuantumCircuit):
        return [experiments]
    if not isinstance(experiments, Sequence) or isinstance(experiments, str):
        raise IBMQJobManagerInvalidStateError(
            "experiments must be a circuit or a list of circuits, not "
            f"{type(experiments).__name__}."
        )
    circuits = list(experiments)
    for item in circuits:
        if not isinstance(item, QuantumCircuit):
            raise IBMQJobManagerInvalidStateError(
                f"Every experiment must be a QuantumCircuit, not {type(item).__name__}."
            )
    return circuits


def _check_run_config(run_config: dict[str, Any]) -> None:
    reserved = sorted(_RESERVED_OPTIONS & run_config.keys())
    if reserved:
        raise IBMQJobManagerInvalidStateError(
            f"The job manager sets {', '.join(reserved)} itself; do not pass it."
        )


class AsyncIBMQJobManager:
    """Runs batches of experiments as job sets (the seed's ``IBMQJobManager``)."""

    def __init__(self) -> None:
        self._job_sets: list[AsyncManagedJobSet] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__} job_sets={len(self._job_sets)}>"

    async def run(
        self,
        experiments: QuantumCircuit | Sequence[QuantumCircuit],
        backend: AsyncIBMQBackend,
        name: str | None = None,
        max_experiments_per_job: int | None = None,
        job_share_level: str | None = None,
        job_tags: list[str] | None = None,
        *,
        progress: bool | None = None,
        callback: ProgressCallback | None = None,
        **run_config: Any,
    ) -> AsyncManagedJobSet:
        """Split ``experiments`` into jobs and submit them all; return the job set once every
        job reached the server (or failed to).

        The jobs are submitted concurrently and wait for free slots of the account's job
        limit, so a set larger than the limit goes through without a job-limit error. The set
        is listed in :meth:`job_sets` before the first submission, so an interrupted ``run()``
        leaves its id behind for :meth:`retrieve_job_set`.

        Args:
            experiments: circuits that fit the backend (``transpile`` them first).
            backend: the backend to run on.
            name: the set's name (default: the current UTC time).
            max_experiments_per_job: at most this many experiments per job (never more than
                the backend's ``max_experiments``).
            job_share_level: who may see the jobs (see ``backend.run``).
            job_tags: tags for every job of the set.
            progress: show progress bars (default: when standard error is a terminal).
            callback: called with a :class:`~ibmq_async.progress.ProgressEvent` per job.
            **run_config: options for every job (``shots``, ``memory``...).

        Raises:
            IBMQJobManagerInvalidStateError: bad arguments; nothing was sent.
            IBMQBackendValueError: a job cannot run on the backend; nothing was sent.
        """
        circuits = _experiment_list(experiments)
        if not isinstance(backend, AsyncIBMQBackend):
            raise IBMQJobManagerInvalidStateError(
                f"backend must be a backend of this SDK, not {type(backend).__name__}."
            )
        _check_run_config(run_config)
        if progress is not None and not isinstance(progress, bool):
            raise IBMQJobManagerInvalidStateError(
                f"progress must be None, True or False, not {progress!r}."
            )
        if callback is not None and not callable(callback):
            raise IBMQJobManagerInvalidStateError(f"callback must be a callable, not {callback!r}.")
        tags = check_tags(job_tags) or []
        if name is not None and (not isinstance(name, str) or not name):
            raise IBMQJobManagerInvalidStateError(f"A job set name is a string, not {name!r}.")
        config = backend.configuration()
        layout = Layout.plan(len(circuits), config.max_experiments, max_experiments_per_job)
        job_set = AsyncManagedJobSet(name)
        prepared = job_set._prepare(
            circuits, backend, layout, tags, {**run_config, "job_share_level": job_share_level}
        )
        # Listed before the first submission: an interrupted run() leaves the set's id here.
        self._job_sets.append(job_set)
        meter = Progress(layout.jobs, job_set.name(), show=progress, callback=callback)
        await job_set._submit_all(backend, prepared, meter)
        return job_set

    def job_sets(self, name: str | None = None) -> list[AsyncManagedJobSet]:
        """The sets this manager ran or retrieved, optionally only those named ``name``."""
        return [s for s in self._job_sets if name is None or s.name() == name]

    async def report(self, detailed: bool = True) -> str:
        """A text summary of every set of this manager."""
        reports = [await job_set.report(detailed) for job_set in self._job_sets]
        return "\n\n".join([f"Job sets: {len(self._job_sets)}", *reports])

    async def retrieve_job_set(
        self, job_set_id: str, provider: AsyncAccountProvider, refresh: bool = False
    ) -> AsyncManagedJobSet:
        """Find a job set by its id, from this manager or from the server.

        Raises:
            IBMQJobManagerUnknownJobSet: no job carries the set's id.
            IBMQJobManagerInvalidStateError: the jobs found do not form one set.
        """
        if not isinstance(job_set_id, str) or not job_set_id:
            raise IBMQJobManagerInvalidStateError(f"A job set id is a string, not {job_set_id!r}.")
        for job_set in self._job_sets:
            if job_set.job_set_id() == job_set_id:
                await job_set.retrieve_jobs(provider, refresh=refresh)
                return job_set
        job_set = AsyncManagedJobSet(short_id=job_set_id)
        await job_set.retrieve_jobs(provider)
        self._job_sets.append(job_set)
        return job_set
