"""``AsyncIBMQBackend``: one backend of a provider, and the ``run()`` that submits jobs to it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

from qiskit.circuit import QuantumCircuit
from qiskit.providers import JobStatus, Options
from qiskit.transpiler import CouplingMap, InstructionDurations, Target

from ._acompat import BackendBase, shielded
from ._core.assemble import QobjAssemblyError, circuits_to_qobj
from ._core.dates import user_time_to_utc
from ._core.exceptions import (
    IBMQApiError,
    IBMQBackendError,
    IBMQBackendJobLimitError,
    IBMQBackendValueError,
)
from ._core.filters import check_properties_arguments, check_refresh
from ._core.html_reprs import backend_html
from ._core.job_filters import ACTIVE_STATUSES, PAGE_SIZE, check_job_id, jobs_where
from ._core.models import (
    BackendConfiguration,
    BackendJobLimit,
    BackendProperties,
    BackendRef,
    BackendReservation,
    BackendStatus,
    JobCreated,
    JobCreateRequest,
    JobDocument,
    PulseDefaults,
    QasmQobj,
)
from ._core.pulse import PulsePlan, is_pulse_qobj, plan_pulse_job, pulse_experiments
from ._core.run_options import (
    check_circuits,
    check_option_values,
    check_run_arguments,
    check_share_level,
    check_tags,
    default_options,
    merge_options,
    qobj_upload,
    split_for_qobj,
)
from ._core.statuses import FINAL_API_STATUSES
from ._core.submission import (
    internal_tags,
    is_ambiguous,
    is_half_created,
    new_run_token,
    user_tags,
)
from ._core.target import build_target
from ._core.validate import JobValidationError, validate_qobj
from ._listing import walk_jobs
from ._rest import AsyncProjectApi
from ._slots import AsyncSlotGate
from .job import AsyncIBMQJob

if TYPE_CHECKING:
    from .provider import AsyncAccountProvider

logger = logging.getLogger(__name__)


class AsyncIBMQBackend(BackendBase):
    """A backend reachable through an IBM Quantum provider, with an awaitable API.

    The surface follows ``qiskit-ibmq-provider``'s ``IBMQBackend``: ``configuration()`` and
    ``name()`` are local (backends are discovered at login); ``status()``, ``properties()``,
    ``defaults()``, ``job_limit()`` and ``run()`` are coroutines that ask the server. The
    ``target`` property makes the backend usable with ``qiskit.transpile(circuits, backend)``.
    """

    version = 2
    """The qiskit backend interface version whose attributes (``target``, ``num_qubits``,
    ``coupling_map``, ...) the backend offers, so that ``transpile(qc, backend)`` uses them."""
    id_warning_issued = False
    """Seed API flag; ``id`` gates are never rewritten here, so it stays ``False``."""
    qobj_warning_issued = False
    """Seed API flag, kept for code that reads it; a Qobj given to :meth:`run` (deprecated)
    warns each time, so it stays ``False``."""

    def __init__(
        self,
        configuration: BackendConfiguration,
        api: AsyncProjectApi,
        provider: AsyncAccountProvider | None = None,
    ) -> None:
        super().__init__(configuration)
        self._api = api
        self._provider_of = provider
        self._options = default_options(configuration)
        self._properties: BackendProperties | None = None
        self._defaults: PulseDefaults | None = None
        self._target: Target | None = None
        self._own_gates: dict[str, AsyncSlotGate] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__}('{self.name()}') from {self._api.hgp}>"

    def provider(self) -> AsyncAccountProvider | None:
        """The provider (hub/group/project) the backend was found in."""
        return self._provider_of

    def configuration(self) -> BackendConfiguration:
        """The backend's configuration, as discovered at login (no request)."""
        return self._configuration

    @property
    def options(self) -> Options:
        """The default run options; ``run()`` arguments override them."""
        return self._options

    def set_options(self, **fields: Any) -> None:
        """Change default run options.

        Raises:
            IBMQBackendValueError: an option is unknown or its value has the wrong type.
        """
        check_option_values(fields, known_only=True)
        self._options.update_options(**fields)

    @property
    def target(self) -> Target:
        """The transpiler target: basis gates on the coupling map, with calibration figures
        once ``properties()`` has been fetched."""
        if self._target is None:
            self._target = build_target(self._configuration, self._properties)
        return self._target

    @property
    def max_circuits(self) -> int | None:
        """The most circuits one job may hold, or ``None`` when unlimited."""
        return self._configuration.max_experiments

    @property
    def num_qubits(self) -> int:
        """The number of qubits of the backend."""
        return self._configuration.n_qubits

    @property
    def coupling_map(self) -> CouplingMap | None:
        """The backend's coupling map, or ``None`` when all qubits are connected."""
        edges = self._configuration.coupling_map
        return CouplingMap(edges) if edges else None

    @property
    def operation_names(self) -> list[str]:
        """Names of the instructions the backend runs."""
        return list(self.target.operation_names)

    @property
    def instruction_durations(self) -> InstructionDurations:
        """Instruction durations known from the calibration properties fetched so far."""
        return self.target.durations()

    @property
    def dt(self) -> float | None:
        """The sample time in seconds, if the backend has one."""
        dt = self.target.dt
        return float(dt) if dt is not None else None

    async def status(self) -> BackendStatus:
        """The backend's current status (always asks the server).

        Raises:
            IBMQBackendApiError: the request failed.
            IBMQBackendApiProtocolError: the reply is malformed.
        """
        return await self._api.backend_status(self.name())

    async def properties(
        self, refresh: bool = False, datetime: datetime | None = None
    ) -> BackendProperties | None:
        """The backend's calibration properties, or ``None`` if it has none.

        Args:
            refresh: fetch again instead of returning the cached properties.
            datetime: return the newest properties older than this time (a naive datetime is
                local time); such properties are not cached.

        Raises:
            IBMQBackendValueError: ``refresh`` is not a bool or ``datetime`` not a datetime;
                nothing was sent.
            IBMQBackendApiError: the request failed.
        """
        check_properties_arguments(refresh, datetime)
        if datetime is None and self._properties is not None and not refresh:
            return self._properties
        properties = await self._api.backend_properties(self.name(), datetime)
        if datetime is None and properties is not None:
            self._properties = properties
            self._target = None
        return properties

    async def defaults(self, refresh: bool = False) -> PulseDefaults | None:
        """The backend's pulse defaults, or ``None`` if it has none."""
        check_refresh(refresh)
        if self._defaults is not None and not refresh:
            return self._defaults
        self._defaults = await self._api.backend_defaults(self.name())
        return self._defaults

    async def job_limit(self) -> BackendJobLimit:
        """How many unfinished jobs this account may have on the backend, and has."""
        return await self._api.backend_job_limit(self.name())

    async def remaining_jobs_count(self) -> int | None:
        """How many more jobs can be submitted now, or ``None`` when unlimited."""
        return (await self.job_limit()).remaining_jobs

    async def reservations(
        self, start_datetime: datetime | None = None, end_datetime: datetime | None = None
    ) -> list[BackendReservation]:
        """The backend's reservations that overlap the window given (naive: local time).

        Raises:
            IBMQBackendValueError: a bound is not a datetime, or the window is reversed;
                nothing was sent.
            IBMQBackendApiError: the request failed.
        """
        for bound in (start_datetime, end_datetime):
            if bound is not None and not isinstance(bound, datetime):
                raise IBMQBackendValueError(
                    f"A reservation window bound must be a datetime, not {bound!r}."
                )
        if (
            start_datetime is not None
            and end_datetime is not None
            and user_time_to_utc(start_datetime) > user_time_to_utc(end_datetime)
        ):
            raise IBMQBackendValueError("start_datetime is after end_datetime.")
        return await self._api.backend_reservations(self.name(), start_datetime, end_datetime)

    async def jobs(
        self,
        limit: int | None = 10,
        skip: int = 0,
        status: JobStatus | str | list[JobStatus | str] | None = None,
        job_name: str | None = None,
        start_datetime: datetime | None = None,
        end_datetime: datetime | None = None,
        job_tags: list[str] | None = None,
        job_tags_operator: str = "OR",
        experiment_id: str | None = None,
        descending: bool = True,
        db_filter: dict[str, Any] | None = None,
    ) -> list[AsyncIBMQJob]:
        """Jobs submitted to this backend, newest first unless ``descending`` is false.

        Args:
            limit: how many jobs at most; ``None`` (or 0) for all of them.
            skip: how many matching jobs to leave out first.
            status: one status (a ``JobStatus`` or its name) or a list of them.
            job_name: a regular expression the job name must match.
            start_datetime: only jobs created at or after this time (naive: local time).
            end_datetime: only jobs created at or before this time (naive: local time).
            job_tags: only jobs with these tags.
            job_tags_operator: ``"OR"``: any of the tags; ``"AND"``: all of them.
            experiment_id: only jobs of this experiment.
            descending: newest first.
            db_filter: a LoopBack ``where`` filter, merged with the arguments above.

        Raises:
            IBMQBackendValueError: an argument is invalid; nothing was sent.
            IBMQBackendApiError: the server failed a request.
        """
        found = []
        async for job in self.iter_jobs(
            limit=limit,
            skip=skip,
            status=status,
            job_name=job_name,
            start_datetime=start_datetime,
            end_datetime=end_datetime,
            job_tags=job_tags,
            job_tags_operator=job_tags_operator,
            experiment_id=experiment_id,
            descending=descending,
            db_filter=db_filter,
        ):
            found.append(job)
        return found

    def iter_jobs(
        self,
        limit: int | None = None,
        skip: int = 0,
        status: JobStatus | str | list[JobStatus | str] | None = None,
        job_name: str | None = None,
        start_datetime: datetime | None = None,
        end_datetime: datetime | None = None,
        job_tags: list[str] | None = None,
        job_tags_operator: str = "OR",
        experiment_id: str | None = None,
        descending: bool = True,
        db_filter: dict[str, Any] | None = None,
        page_size: int = PAGE_SIZE,
    ) -> AsyncIterator[AsyncIBMQJob]:
        """Like :meth:`jobs`, but fetches ``page_size`` jobs at a time as the caller walks on,
        so any number of jobs can be walked with flat memory. Every job is listed once."""
        where = jobs_where(
            backend_name=self.name(),
            status=status,
            job_name=job_name,
            start_datetime=start_datetime,
            end_datetime=end_datetime,
            job_tags=job_tags,
            job_tags_operator=job_tags_operator,
            experiment_id=experiment_id,
            db_filter=db_filter,
        )
        return walk_jobs(
            self._api,
            where,
            lambda _document: self,
            limit=limit,
            skip=skip,
            descending=descending,
            page_size=page_size,
        )

    async def active_jobs(self, limit: int | None = 10) -> list[AsyncIBMQJob]:
        """Jobs on this backend that are not final yet (initializing, validating, queued or
        running), newest first."""
        return await self.jobs(limit=limit, status=list(ACTIVE_STATUSES))

    async def retrieve_job(self, job_id: str) -> AsyncIBMQJob:
        """The job with this id, which must have been submitted to this backend.

        Raises:
            IBMQBackendValueError: ``job_id`` cannot be a job id; nothing was sent.
            IBMQBackendError: the job belongs to another backend.
            IBMQBackendApiError: the server failed the request (e.g. no such job).
        """
        check_job_id(job_id)
        document = await self._api.job_get(job_id, retrieving=True)
        owner = document.backend.name if document.backend is not None else None
        if owner != self.name():
            raise IBMQBackendError(
                f"Job {job_id} belongs to another backend than the one queried. The query was "
                f"made on backend {self.name()}, but the job actually belongs to backend "
                f"{owner}."
            )
        return AsyncIBMQJob(self, self._api, document)

    async def run(
        self,
        circuits: QuantumCircuit | list[QuantumCircuit] | Any,
        job_name: str | None = None,
        job_share_level: str | None = None,
        job_tags: list[str] | None = None,
        experiment_id: str | None = None,
        header: dict[str, Any] | None = None,
        shots: int | None = None,
        memory: bool | None = None,
        qubit_lo_freq: list[float] | None = None,
        meas_lo_freq: list[float] | None = None,
        schedule_los: list[Any] | dict[Any, Any] | None = None,
        meas_level: int | None = None,
        meas_return: str | None = None,
        memory_slots: int | None = None,
        memory_slot_size: int | None = None,
        rep_time: int | None = None,
        rep_delay: float | None = None,
        init_qubits: bool | None = None,
        parameter_binds: list[dict[Any, Any]] | None = None,
        use_measure_esp: bool | None = None,
        live_data_enabled: bool | None = None,
        validate: bool = True,
        wait_for_slot: bool = True,
        **run_config: Any,
    ) -> AsyncIBMQJob:
        """Run circuits (or, with qiskit 1.x, pulse schedules) on the backend and return the
        submitted job.

        The circuits must already fit the backend (``qiskit.transpile(circuits, backend)``).
        Options left ``None`` take the backend's defaults (see ``options``).

        Args:
            circuits: one circuit or a list of them; with qiskit 1.x (which still has
                ``qiskit.pulse``) a pulse ``Schedule`` or ``ScheduleBlock``, or a list of
                them, sent as a PulseQobj to a backend whose configuration has
                ``open_pulse`` (one job holds circuits or schedules, never both); a Qobj (a
                dict or a ``QasmQobj``) is still accepted, deprecated, and sent as it is.
            job_name: a name for the job.
            job_share_level: who may see the job: ``global``, ``hub``, ``group``,
                ``project`` or ``none``.
            job_tags: tags for the job (a list of strings).
            experiment_id: the experiment id the job belongs to.
            header: user data attached to the Qobj header and echoed in the result.
            shots: repetitions of each circuit.
            memory: return per-shot measurement results.
            qubit_lo_freq: pulse jobs only: the qubit drive LO frequencies in Hz, one per
                qubit, inside the configuration's ``qubit_lo_range``; by default the pulse
                defaults' ``qubit_freq_est`` (sent in GHz).
            meas_lo_freq: pulse jobs only: the measurement LO frequencies in Hz, inside
                ``meas_lo_range``; by default the pulse defaults' ``meas_freq_est``.
            schedule_los: pulse jobs only: per-schedule LO frequencies (Hz), ``LoConfig``
                objects or dicts of ``DriveChannel``/``MeasureChannel`` to frequency.
            memory_slot_size: pulse jobs only: the size of a memory slot (level 0 data).
            rep_time: pulse jobs only: the time per shot in seconds, one of the
                configuration's ``rep_times`` (by default the first; sent in µs).
                With qiskit 2, which has no pulse, the five pulse-only options above are an
                error.
            meas_level: measurement level (2, classified, for circuits); a pulse job's must
                be one of the configuration's ``meas_levels``.
            meas_return: ``"avg"`` or ``"single"``, for ``meas_level`` below 2.
            memory_slots: taken from the circuits; giving it is an error.
            rep_delay: delay between shots, in seconds (dynamic rep-rate backends only).
            init_qubits: reset the qubits to the ground state before each shot.
            parameter_binds: one experiment is run per circuit and bind.
            use_measure_esp: use excited-state-promoted readout (where supported).
            live_data_enabled: ask for live data.
            validate: check the circuits against the backend before sending anything; with
                ``False`` the server validates instead and a bad job ends as
                ``ERROR_VALIDATING_JOB``.
            wait_for_slot: when the account's job limit on this backend is reached, wait
                until one of its jobs finishes (the default). Concurrent ``run()`` calls of
                one provider share the limit, so running many of them at once never trips
                it. With ``False`` the job is sent at once, and a full backend raises
                ``IBMQBackendJobLimitError``.
            **run_config: further options, passed into the Qobj config; on a device, an
                option it does not know (or a simulator option) passes with a warning.

        Raises:
            IBMQBackendValueError: invalid input (schedules on a backend without
                ``open_pulse``, schedules mixed with circuits, a pulse option the backend
                cannot honour...); nothing was sent.
            IBMQBackendJobLimitError: the job limit is reached and ``wait_for_slot`` is false.
            IBMQBackendApiError: the API failed the submission.
        """
        if not isinstance(wait_for_slot, bool):
            raise IBMQBackendValueError(
                f"wait_for_slot must be True or False, not {wait_for_slot!r}."
            )
        request, plan = self._plan(
            circuits,
            job_name=job_name,
            job_share_level=job_share_level,
            job_tags=job_tags,
            experiment_id=experiment_id,
            header=header,
            shots=shots,
            memory=memory,
            qubit_lo_freq=qubit_lo_freq,
            meas_lo_freq=meas_lo_freq,
            schedule_los=schedule_los,
            meas_level=meas_level,
            meas_return=meas_return,
            memory_slots=memory_slots,
            memory_slot_size=memory_slot_size,
            rep_time=rep_time,
            rep_delay=rep_delay,
            init_qubits=init_qubits,
            parameter_binds=parameter_binds,
            use_measure_esp=use_measure_esp,
            live_data_enabled=live_data_enabled,
            validate=validate,
            **run_config,
        )
        if isinstance(plan, PulsePlan):
            # Every check passed: only now may the LO defaults be fetched (cached).
            defaults = await self.defaults() if plan.needs_defaults else None
            wire = plan.to_qobj(defaults)
        else:
            wire = plan
        return await self._submit(request, wire, wait_for_slot)

    def _prepare(self, circuits: Any, **arguments: Any) -> tuple[JobCreateRequest, dict[str, Any]]:
        """Check and assemble a ``run()`` call into its create request and its Qobj.

        Nothing is sent; a pulse job takes LO frequencies it was not given from the pulse
        defaults already fetched. Raises ``IBMQBackendValueError`` on any invalid input.
        """
        request, plan = self._plan(circuits, **arguments)
        if isinstance(plan, PulsePlan):
            return request, plan.to_qobj(self._defaults)
        return request, plan

    def _plan(
        self,
        circuits: QuantumCircuit | list[QuantumCircuit] | Any,
        job_name: str | None = None,
        job_share_level: str | None = None,
        job_tags: list[str] | None = None,
        experiment_id: str | None = None,
        header: dict[str, Any] | None = None,
        shots: int | None = None,
        memory: bool | None = None,
        qubit_lo_freq: list[float] | None = None,
        meas_lo_freq: list[float] | None = None,
        schedule_los: list[Any] | dict[Any, Any] | None = None,
        meas_level: int | None = None,
        meas_return: str | None = None,
        memory_slots: int | None = None,
        memory_slot_size: int | None = None,
        rep_time: int | None = None,
        rep_delay: float | None = None,
        init_qubits: bool | None = None,
        parameter_binds: list[dict[Any, Any]] | None = None,
        use_measure_esp: bool | None = None,
        live_data_enabled: bool | None = None,
        validate: bool = True,
        **run_config: Any,
    ) -> tuple[JobCreateRequest, dict[str, Any] | PulsePlan]:
        """Check a ``run()`` call: its create request, and its Qobj, or the checked pulse job
        that becomes one (:meth:`PulsePlan.to_qobj`) once the pulse defaults are at hand.

        Nothing is sent. Raises ``IBMQBackendValueError`` on any invalid input.
        """
        check_run_arguments(
            job_name=job_name,
            experiment_id=experiment_id,
            header=header,
            parameter_binds=parameter_binds,
            live_data_enabled=live_data_enabled,
            validate=validate,
        )
        tags = check_tags(job_tags)
        share_level = check_share_level(job_share_level)
        given = {
            "shots": shots,
            "memory": memory,
            "qubit_lo_freq": qubit_lo_freq,
            "meas_lo_freq": meas_lo_freq,
            "schedule_los": schedule_los,
            "meas_level": meas_level,
            "meas_return": meas_return,
            "memory_slots": memory_slots,
            "memory_slot_size": memory_slot_size,
            "rep_time": rep_time,
            "rep_delay": rep_delay,
            "init_qubits": init_qubits,
            "use_measure_esp": use_measure_esp,
            **run_config,
        }
        plan: dict[str, Any] | PulsePlan
        if isinstance(circuits, dict | QasmQobj):
            if header is not None or parameter_binds is not None:
                given.update(header=header, parameter_binds=parameter_binds)
            plan = qobj_upload(circuits, given, self._configuration)
            options: dict[str, Any] = {}
            if is_pulse_qobj(plan) and not self._configuration.open_pulse:
                raise IBMQBackendValueError(
                    f"{self.name()} does not run pulse jobs (its configuration has "
                    "open_pulse: false)."
                )
        elif (schedules := pulse_experiments(circuits, self._configuration)) is not None:
            options = merge_options(
                self._configuration, self._options, given, check_limits=validate, pulse=True
            )
            plan = plan_pulse_job(
                schedules,
                self._configuration,
                options,
                header=header,
                parameter_binds=parameter_binds,
                check_limits=validate,
            )
        else:
            items = check_circuits(circuits)
            options = merge_options(
                self._configuration, self._options, given, check_limits=validate
            )
            plan = self._assemble(items, options, header, parameter_binds).to_wire()
        # validate_qobj checks QASM Qobjs; a pulse job was checked by plan_pulse_job.
        if validate and isinstance(plan, dict) and not is_pulse_qobj(plan):
            try:
                validate_qobj(plan, self._configuration.model_dump(mode="json"))
            except JobValidationError as exc:
                raise IBMQBackendValueError(
                    f"The circuits cannot run on {self.name()}: {exc.message}"
                ) from None
        if live_data_enabled is None:
            live_data_enabled = options.get("live_data_enabled")
        request = JobCreateRequest(
            backend=BackendRef(name=self.name()),
            live_data_enabled=live_data_enabled,
            name=job_name,
            tags=[*(tags or []), new_run_token()],
            experiment_tag=experiment_id,
            share_level=share_level,
        )
        return request, plan

    def _assemble(
        self,
        circuits: list[QuantumCircuit],
        options: dict[str, Any],
        header: dict[str, Any] | None,
        parameter_binds: list[dict[Any, Any]] | None,
    ) -> QasmQobj:
        config = self._configuration
        named, extra = split_for_qobj(options)
        try:
            return circuits_to_qobj(
                circuits,
                backend_name=config.backend_name,
                backend_version=config.backend_version,
                parameter_binds=parameter_binds,
                header=header,
                parametric_pulses=config.parametric_pulses,
                dt=config.dt * 1e-9 if config.dt else None,
                extra_config=extra,
                **named,
            )
        except QobjAssemblyError as exc:
            raise IBMQBackendValueError(str(exc)) from None

    def _gates(self) -> dict[str, AsyncSlotGate]:
        """The job-limit gates by backend name: the provider's, or this backend's own."""
        owner = self._provider_of
        return owner._slot_gates if owner is not None else self._own_gates

    def _gate(self) -> AsyncSlotGate:
        """The job-limit gate this backend shares with every backend object of its provider."""
        gates = self._gates()
        gate = gates.get(self.name())
        if gate is None:
            gate = gates[self.name()] = AsyncSlotGate(self)
        return gate

    def _job_final(self, job_id: str) -> None:
        """One of this backend's jobs reached a final state: free its job-limit slot."""
        gate = self._gates().get(self.name())
        if gate is not None:
            gate.finished(job_id)

    async def _submit(
        self, request: JobCreateRequest, qobj: dict[str, Any], wait_for_slot: bool = True
    ) -> AsyncIBMQJob:
        """Create the job (exactly once), upload its Qobj and queue it.

        The whole sequence is shielded: a caller cancelled (or interrupted) meanwhile gets a
        complete job or none, never a half-created one.
        """
        gate = self._gate()
        while True:
            if wait_for_slot:
                await gate.acquire()
            try:
                with shielded():
                    created = await self._create(request)
            except IBMQBackendJobLimitError:
                if not wait_for_slot:
                    raise
                logger.debug("%s: job limit reached; waiting for a slot", self.name())
                gate.full()
                continue
            except BaseException:
                if wait_for_slot:
                    gate.abandoned()
                raise
            if wait_for_slot:
                gate.created(created.id)
            break
        with shielded():
            try:
                await self._api.job_upload(created.object_storage_info.upload_url, qobj)
                document = await self._finish_upload(created.id)
            except BaseException:
                await self._cancel_quietly(created.id)
                self._job_final(created.id)
                raise
        if document.error is not None:
            self._job_final(created.id)
            raise IBMQBackendError(f"Error submitting job: {document.error.describe()}")
        job = AsyncIBMQJob(self, self._api, document, qobj)
        if document.status in FINAL_API_STATUSES:
            self._job_final(created.id)
        return job

    async def _create(self, request: JobCreateRequest) -> JobCreated:
        """``POST /Jobs`` exactly once (see ``_core/submission.py``).

        Against a server that honours ``Idempotency-Key`` (it said so at login), a creation
        whose outcome is unknown is sent again under the same key, as the retry policy
        retries any request: the server answers a repeat with the job it already made. If
        every try fails, a job it made meanwhile is cancelled as below.

        Otherwise, after a failure that may have reached the server, the job is looked up by
        its run token: one found there never got its Qobj, so it is cancelled before a new
        one is created under a new token. Creations are tried as often as the account's retry
        policy tries a request.
        """
        owner = self._provider_of
        if owner is not None and owner._idempotency_keys:
            try:
                return await self._api.job_create(request, keys_honoured=True)
            except IBMQBackendJobLimitError:
                raise
            except IBMQApiError as exc:
                if is_ambiguous(exc):
                    await self._discard_created(internal_tags(request.tags or []))
                raise
        attempts = max(self._api.retry.attempts, 1)
        for attempt in range(1, attempts + 1):
            try:
                return await self._api.job_create(request)
            except IBMQBackendJobLimitError:
                raise
            except IBMQApiError as exc:
                if not is_ambiguous(exc) or attempt == attempts:
                    raise
                logger.debug("%s: job creation may have happened (%s)", self.name(), exc)
                await self._discard_created(internal_tags(request.tags or []))
                tags = [*user_tags(request.tags or []), new_run_token()]
                request = request.model_copy(update={"tags": tags})
        raise AssertionError("unreachable")  # pragma: no cover

    async def _finish_upload(self, job_id: str) -> JobDocument:
        """``POST jobDataUploaded``; after a failure, the job itself says whether it went
        through (a reply lost after the server queued the job is no reason to cancel it)."""
        try:
            return await self._api.job_data_uploaded(job_id)
        except IBMQApiError as exc:
            if not is_ambiguous(exc):
                raise
            try:
                document = await self._api.job_get(job_id)
            except IBMQApiError:
                raise exc from None
            if is_half_created(document.status):
                raise
            logger.debug("Job %s was queued although its reply was lost (%s)", job_id, exc)
            return document

    async def _discard_created(self, tokens: list[str]) -> None:
        """Cancel the half-created jobs that carry any of ``tokens``."""
        if not tokens:
            return
        where = {"tags": {"inq": tokens}}
        async for job in walk_jobs(
            self._api,
            where,
            lambda _: self,
            limit=None,
            skip=0,
            descending=True,
            page_size=PAGE_SIZE,
        ):
            if is_half_created(job.api_status()):
                logger.debug("%s: cancelling the half-created job %s", self.name(), job.job_id())
                await self._cancel_quietly(job.job_id())

    async def _cancel_quietly(self, job_id: str) -> None:
        """Cancel a half-submitted job so it does not linger as a phantom."""
        try:
            await self._api.job_cancel(job_id)
        except IBMQApiError as exc:
            logger.warning("Could not cancel the half-submitted job %s: %s", job_id, exc)

    def _repr_html_(self) -> str:
        """A summary for Jupyter, from what the backend holds (no request): the status shows
        only when known without one (a retired backend), the job limit once reported."""
        gate = self._gates().get(self.name())
        book = gate.book if gate is not None else None
        maximum = book.maximum if book is not None else None
        return backend_html(
            type(self).__name__,
            self._configuration,
            provider=str(self._api.hgp),
            retired=isinstance(self, AsyncIBMQRetiredBackend),
            properties=self._properties,
            job_limit=maximum,
            unfinished_jobs=book.running if book is not None and maximum is not None else None,
        )


class AsyncIBMQSimulator(AsyncIBMQBackend):
    """A simulator backend: no calibration properties, plus simulator run options."""

    async def properties(
        self, refresh: bool = False, datetime: datetime | None = None
    ) -> BackendProperties | None:
        """Simulators have no calibration: always ``None``, without a request."""
        check_properties_arguments(refresh, datetime)
        return None


class AsyncIBMQRetiredBackend(AsyncIBMQBackend):
    """A backend that is no longer served, standing in for it in jobs that ran on it.

    Its status says it is not operational; it has no properties, defaults, job limit or
    reservations, all without a request; it runs nothing.
    """

    @classmethod
    def named(cls, name: str, api: AsyncProjectApi, provider: AsyncAccountProvider | None) -> Self:
        """The stand-in for the retired backend ``name``."""
        configuration = BackendConfiguration(
            backend_name=name,
            backend_version="0.0.0",
            n_qubits=1,
            basis_gates=[],
            max_shots=0,
            simulator=False,
        )
        return cls(configuration, api, provider)

    async def status(self) -> BackendStatus:
        """Not operational (no request)."""
        return BackendStatus(
            backend_name=self.name(),
            backend_version=self._configuration.backend_version,
            operational=False,
            pending_jobs=0,
            status_msg="This backend is no longer available.",
        )

    async def properties(
        self, refresh: bool = False, datetime: datetime | None = None
    ) -> BackendProperties | None:
        """None (no request)."""
        return None

    async def defaults(self, refresh: bool = False) -> PulseDefaults | None:
        """None (no request)."""
        return None

    async def job_limit(self) -> BackendJobLimit | None:  # type: ignore[override]
        """None (no request)."""
        return None

    async def remaining_jobs_count(self) -> int | None:
        """None (no request)."""
        return None

    async def reservations(
        self, start_datetime: datetime | None = None, end_datetime: datetime | None = None
    ) -> list[BackendReservation]:
        """No reservations (no request)."""
        return []

    async def run(self, *args: Any, **kwargs: Any) -> AsyncIBMQJob:
        """Refused: the backend is retired.

        Raises:
            IBMQBackendError: always.
        """
        raise IBMQBackendError(f"{self.name()} is no longer available: it runs no jobs.")
