"""``AsyncIBMQBackend``: one backend of a provider, and the ``run()`` that submits jobs to it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from qiskit.circuit import QuantumCircuit
from qiskit.providers import Options
from qiskit.transpiler import CouplingMap, InstructionDurations, Target

from ._api import ProjectPaths
from ._assemble import QobjAssemblyError, circuits_to_qobj
from ._retry import NON_IDEMPOTENT
from ._run_options import check_circuits, check_tags, default_options, merge_options
from ._session import AsyncSession
from ._target import build_target
from ._validate import JobValidationError, validate_qobj
from .exceptions import (
    IBMQApiError,
    IBMQBackendApiError,
    IBMQBackendApiProtocolError,
    IBMQBackendError,
    IBMQBackendJobLimitError,
    IBMQBackendValueError,
)
from .job import AsyncIBMQJob
from .models.configuration import BackendConfiguration
from .models.defaults import PulseDefaults
from .models.job import BackendRef, JobCreated, JobCreateRequest, JobDocument
from .models.job_limit import BackendJobLimit
from .models.properties import BackendProperties
from .models.status import BackendStatus, BackendStatusResponse

logger = logging.getLogger(__name__)

_M = TypeVar("_M", bound=BaseModel)

JOB_LIMIT_ERROR_CODE = 3458
"""Server error code of "job limit reached" on job creation."""


class AsyncIBMQBackend:
    """A backend reachable through an IBM Quantum provider, with an awaitable API.

    The surface follows ``qiskit-ibmq-provider``'s ``IBMQBackend``: ``configuration()`` and
    ``name()`` are local (backends are discovered at login); ``status()``, ``properties()``,
    ``defaults()``, ``job_limit()`` and ``run()`` are coroutines. The ``target`` property makes
    the backend usable with ``qiskit.transpile(circuits, backend)``.
    """

    def __init__(
        self, configuration: BackendConfiguration, session: AsyncSession, paths: ProjectPaths
    ) -> None:
        self._configuration = configuration
        self._session = session
        self._paths = paths
        self._options = default_options(configuration)
        self._properties: BackendProperties | None = None
        self._defaults: PulseDefaults | None = None
        self._target: Target | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}('{self.name()}') from {self._paths.hgp}>"

    def name(self) -> str:
        """The backend's name."""
        return self._configuration.backend_name

    def configuration(self) -> BackendConfiguration:
        """The backend's configuration, as discovered at login (no request)."""
        return self._configuration

    @property
    def options(self) -> Options:
        """The default run options; ``run()`` arguments override them."""
        return self._options

    def set_options(self, **fields: Any) -> None:
        """Change default run options."""
        self._options.update_options(**fields)

    @property
    def target(self) -> Target:
        """The transpiler target: basis gates on the coupling map, with calibration figures
        once ``properties()`` has been fetched."""
        if self._target is None:
            self._target = build_target(self._configuration, self._properties)
        return self._target

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

    def _url(self, suffix: str) -> str:
        return self._paths.backend(self.name(), suffix)

    async def status(self) -> BackendStatus:
        """The backend's current status (always asks the server).

        Raises:
            IBMQBackendApiError: the request failed.
            IBMQBackendApiProtocolError: the reply is malformed.
        """
        payload = await self._get("queue/status", "status")
        try:
            reply = BackendStatusResponse.model_validate(payload)
        except ValidationError as exc:
            raise IBMQBackendApiProtocolError(
                f"Unexpected status of {self.name()}: {exc}"
            ) from None
        return BackendStatus.from_response(self.name(), reply)

    async def properties(
        self, refresh: bool = False, datetime: datetime | None = None
    ) -> BackendProperties | None:
        """The backend's calibration properties, or ``None`` if it has none.

        Args:
            refresh: fetch again instead of returning the cached properties.
            datetime: return the newest properties older than this time (a naive datetime is
                local time); such properties are not cached.
        """
        if not isinstance(refresh, bool):
            raise IBMQBackendValueError(f"refresh must be a bool, not {refresh!r}.")
        params = {"version": "1"}
        if datetime is not None:
            params["filter"] = json.dumps(
                {"where": {"last_update_date": {"lt": _utc_iso(datetime)}}}
            )
        elif self._properties is not None and not refresh:
            return self._properties
        payload = await self._get("properties", "properties", params=params)
        if not payload:
            return None
        payload = {**payload, "backend_name": self.name()}
        properties = self._parse(BackendProperties, payload, "properties")
        if datetime is None:
            self._properties = properties
            self._target = None
        return properties

    async def defaults(self, refresh: bool = False) -> PulseDefaults | None:
        """The backend's pulse defaults, or ``None`` if it has none."""
        if self._defaults is not None and not refresh:
            return self._defaults
        payload = await self._get("defaults", "defaults")
        if not payload:
            return None
        self._defaults = self._parse(PulseDefaults, payload, "defaults")
        return self._defaults

    async def job_limit(self) -> BackendJobLimit:
        """How many unfinished jobs this account may have on the backend, and has."""
        payload = await self._get("jobsLimit", "job limit")
        return self._parse(BackendJobLimit, payload, "job limit")

    async def remaining_jobs_count(self) -> int | None:
        """How many more jobs can be submitted now, or ``None`` when unlimited."""
        return (await self.job_limit()).remaining_jobs

    async def _get(self, suffix: str, what: str, params: dict[str, str] | None = None) -> Any:
        try:
            return await self._session.json("GET", self._url(suffix), params=params)
        except IBMQApiError as exc:
            raise IBMQBackendApiError.wrap(
                exc, f"Unable to get the {what} of {self.name()}"
            ) from None

    def _parse(self, model: type[_M], payload: Any, what: str) -> _M:
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            raise IBMQBackendApiProtocolError(
                f"Unexpected {what} of {self.name()}: {exc}"
            ) from None

    async def run(
        self,
        circuits: QuantumCircuit | list[QuantumCircuit],
        job_name: str | None = None,
        job_tags: list[str] | None = None,
        experiment_id: str | None = None,
        header: dict[str, Any] | None = None,
        shots: int | None = None,
        memory: bool | None = None,
        meas_level: int | None = None,
        meas_return: str | None = None,
        rep_delay: float | None = None,
        init_qubits: bool | None = None,
        parameter_binds: list[dict[Any, Any]] | None = None,
        use_measure_esp: bool | None = None,
        live_data_enabled: bool | None = None,
        validate: bool = True,
        **run_config: Any,
    ) -> AsyncIBMQJob:
        """Run circuits on the backend and return the submitted job.

        The circuits must already fit the backend (``qiskit.transpile(circuits, backend)``).
        Options left ``None`` take the backend's defaults (see ``options``).

        Args:
            circuits: one circuit or a list of them.
            job_name: a name for the job.
            job_tags: tags for the job (a list of strings).
            experiment_id: the experiment id the job belongs to.
            header: user data attached to the Qobj header and echoed in the result.
            shots: repetitions of each circuit.
            memory: return per-shot measurement results.
            meas_level: measurement level (2, classified, for circuits).
            meas_return: ``"avg"`` or ``"single"``, for ``meas_level`` below 2.
            rep_delay: delay between shots, in seconds (dynamic rep-rate backends only).
            init_qubits: reset the qubits to the ground state before each shot.
            parameter_binds: one experiment is run per circuit and bind.
            use_measure_esp: use excited-state-promoted readout (where supported).
            live_data_enabled: ask for live data.
            validate: check the circuits against the backend before sending anything; with
                ``False`` the server validates instead and a bad job ends as
                ``ERROR_VALIDATING_JOB``.
            **run_config: further options, passed into the Qobj config.

        Raises:
            IBMQBackendValueError: invalid input; nothing was sent.
            IBMQBackendJobLimitError: the backend's job limit is reached.
            IBMQBackendApiError: the API failed the submission.
        """
        tags = check_tags(job_tags)
        items = check_circuits(circuits)
        options = merge_options(
            self._configuration,
            self._options,
            {
                "shots": shots,
                "memory": memory,
                "meas_level": meas_level,
                "meas_return": meas_return,
                "rep_delay": rep_delay,
                "init_qubits": init_qubits,
                "use_measure_esp": use_measure_esp,
                **run_config,
            },
            check_limits=validate,
        )
        qobj = self._assemble(items, options, header, parameter_binds)
        wire = qobj.to_wire()
        if validate:
            try:
                validate_qobj(wire, self._configuration.model_dump(mode="json"))
            except JobValidationError as exc:
                raise IBMQBackendValueError(
                    f"The circuits cannot run on {self.name()}: {exc.message}"
                ) from None
        request = JobCreateRequest(
            backend=BackendRef(name=self.name()),
            live_data_enabled=live_data_enabled,
            name=job_name,
            tags=tags,
            experiment_tag=experiment_id,
        )
        return await self._submit(request, wire)

    def _assemble(
        self,
        circuits: list[QuantumCircuit],
        options: dict[str, Any],
        header: dict[str, Any] | None,
        parameter_binds: list[dict[Any, Any]] | None,
    ) -> Any:
        config = self._configuration
        named = {
            key: options.pop(key)
            for key in (
                "shots",
                "memory",
                "meas_level",
                "meas_return",
                "init_qubits",
                "use_measure_esp",
                "rep_delay",
            )
            if key in options
        }
        for unused in (
            "memory_slot_size",
            "qubit_lo_freq",
            "meas_lo_freq",
            "schedule_los",
            "rep_time",
            "memory_slots",
        ):
            options.pop(unused, None)
        noise_model = options.get("noise_model")
        if noise_model is not None and hasattr(noise_model, "to_dict"):
            options["noise_model"] = noise_model.to_dict(serializable=True)
        try:
            return circuits_to_qobj(
                circuits,
                backend_name=config.backend_name,
                backend_version=config.backend_version,
                parameter_binds=parameter_binds,
                header=header,
                parametric_pulses=config.parametric_pulses,
                dt=config.dt * 1e-9 if config.dt else None,
                extra_config=options,
                **named,
            )
        except QobjAssemblyError as exc:
            raise IBMQBackendValueError(str(exc)) from None

    async def _submit(self, request: JobCreateRequest, qobj: dict[str, Any]) -> AsyncIBMQJob:
        try:
            created = JobCreated.model_validate(
                await self._session.json(
                    "POST", self._paths.jobs, json_body=request.to_wire(), retry=NON_IDEMPOTENT
                )
            )
        except IBMQApiError as exc:
            raise _submit_error(exc) from None
        except ValidationError as exc:
            raise IBMQBackendApiProtocolError(f"Unexpected job creation reply: {exc}") from None
        job_url = self._paths.job(created.id)
        try:
            await self._session.request(
                "PUT",
                created.object_storage_info.upload_url,
                json_body=qobj,
                authenticated=False,
                storage=True,
            )
            reply = await self._session.json("POST", f"{job_url}/jobDataUploaded")
            document = JobDocument.model_validate(reply["job"])
        except (IBMQApiError, ValidationError, KeyError, TypeError) as exc:
            await self._cancel_quietly(job_url)
            if isinstance(exc, IBMQApiError):
                raise _submit_error(exc) from None
            raise IBMQBackendApiProtocolError(
                f"Unexpected reply while submitting job {created.id}: {exc!r}"
            ) from None
        if document.error is not None:
            raise IBMQBackendError(f"Error submitting job: {document.error.describe()}")
        return AsyncIBMQJob(self, self._session, self._paths, document)

    async def _cancel_quietly(self, job_url: str) -> None:
        """Cancel a half-submitted job so it does not linger as a phantom."""
        try:
            await self._session.request("POST", f"{job_url}/cancel")
        except IBMQApiError as exc:
            logger.warning("Could not cancel the half-submitted job at %s: %s", job_url, exc)


class AsyncIBMQSimulator(AsyncIBMQBackend):
    """A simulator backend: no calibration properties, plus simulator run options."""

    async def properties(
        self, refresh: bool = False, datetime: datetime | None = None
    ) -> BackendProperties | None:
        """Simulators have no calibration: always ``None``, without a request."""
        return None


def _submit_error(error: IBMQApiError) -> IBMQBackendApiError:
    if error.error_code == JOB_LIMIT_ERROR_CODE:
        return IBMQBackendJobLimitError.wrap(error, "Error submitting job")
    return IBMQBackendApiError.wrap(error, "Error submitting job")


def _utc_iso(moment: datetime) -> str:
    """A datetime as a UTC ISO string; a naive one is taken as local time."""
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC).isoformat()
