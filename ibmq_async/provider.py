"""``AsyncAccountProvider``: the backends of one hub/group/project."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from qiskit.providers import JobStatus

from ._core.backend_filters import (
    check_selection,
    close_names,
    matches_configuration,
    matches_status,
    split_filters,
)
from ._core.endpoints import HubGroupProject
from ._core.exceptions import IBMQBackendNotFoundError, IBMQBackendValueError
from ._core.html_reprs import provider_html
from ._core.job_filters import PAGE_SIZE, check_job_id, jobs_where
from ._core.models import JobDocument
from ._listing import walk_jobs
from ._rest import AsyncProjectApi
from ._slots import AsyncSlotGate
from .backend import AsyncIBMQBackend, AsyncIBMQRetiredBackend, AsyncIBMQSimulator
from .job import AsyncIBMQJob


class AsyncAccountProvider:
    """The backends available to one hub/group/project of an account.

    Backends are discovered once, when the account is enabled; ``backends()`` and
    ``get_backend()`` filter that list without a request.
    """

    def __init__(self, api: AsyncProjectApi, *, idempotency_keys: bool = False) -> None:
        self._api = api
        self._idempotency_keys = idempotency_keys
        """Whether the server advertised at login that it honours ``Idempotency-Key`` on job
        creation (see ``_core/submission.py``): its backends then resend a lost creation."""
        self._backends: dict[str, AsyncIBMQBackend] = {}
        self._backends_retired: dict[str, AsyncIBMQBackend] = {}
        self._slot_gates: dict[str, AsyncSlotGate] = {}
        """Job-limit gates per backend name, shared by every backend object of the provider."""

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__}(hub='{self.hub}', group='{self.group}', "
            f"project='{self.project}')>"
        )

    @property
    def hub(self) -> str:
        """The provider's hub."""
        return self._api.hgp.hub

    @property
    def group(self) -> str:
        """The provider's group."""
        return self._api.hgp.group

    @property
    def project(self) -> str:
        """The provider's project."""
        return self._api.hgp.project

    @property
    def hgp(self) -> HubGroupProject:
        """The provider's hub/group/project."""
        return self._api.hgp

    async def _discover(self) -> None:
        """Fetch the configurations of the project's backends (``GET {hgp}/devices/v/1``)."""
        found: dict[str, AsyncIBMQBackend] = {}
        for config in await self._api.devices():
            kind = AsyncIBMQSimulator if config.simulator else AsyncIBMQBackend
            found[config.backend_name] = kind(config, self._api, self)
        self._backends = found

    # unasync: async-only
    def backends(
        self,
        name: str | None = None,
        filters: Callable[[AsyncIBMQBackend], bool] | None = None,
        min_num_qubits: int | None = None,
        input_allowed: str | list[str] | None = None,
        **kwargs: Any,
    ) -> list[AsyncIBMQBackend]:
        """The backends that match every criterion given, by their configuration (no request).

        Status fields (``operational``, ``pending_jobs``, ``status_msg``) need the server:
        filter on them with ``await provider.backends_by_status(...)``.

        Args:
            name: the backend name.
            filters: a callable that receives a backend and returns whether to keep it.
            min_num_qubits: keep backends with at least this many qubits.
            input_allowed: keep backends that accept this input (``"job"``), or all of these.
            **kwargs: configuration fields and the values they must have,
                e.g. ``simulator=False``, ``n_qubits=5``.

        Raises:
            IBMQBackendValueError: a bad argument, a keyword that no backend has, or a status
                field.
        """
        by_config, by_status = self._split(name, filters, min_num_qubits, input_allowed, kwargs)
        if by_status:
            raise IBMQBackendValueError(
                f"{', '.join(by_status)} are status fields: filter on them with "
                "provider.backends_by_status(...), which asks the server."
            )
        return self._select(name, filters, min_num_qubits, input_allowed, by_config)

    # unasync: end
    # unasync: sync-only
    # def backends(
    #     self,
    #     name: str | None = None,
    #     filters: Callable[[IBMQBackend], bool] | None = None,
    #     min_num_qubits: int | None = None,
    #     input_allowed: str | list[str] | None = None,
    #     **kwargs: Any,
    # ) -> list[IBMQBackend]:
    #     """The backends that match every criterion given.
    #
    #     Configuration fields are checked locally; status fields (``operational``,
    #     ``pending_jobs``, ``status_msg``) cost one status request per remaining backend.
    #
    #     Args:
    #         name: the backend name.
    #         filters: a callable that receives a backend and returns whether to keep it.
    #         min_num_qubits: keep backends with at least this many qubits.
    #         input_allowed: keep backends that accept this input (``"job"``), or all of these.
    #         **kwargs: configuration or status fields and the values they must have,
    #             e.g. ``simulator=False``, ``operational=True``.
    #
    #     Raises:
    #         IBMQBackendValueError: a bad argument, or a keyword that no backend has.
    #     """
    #     return self.backends_by_status(name, filters, min_num_qubits, input_allowed, **kwargs)
    #
    # unasync: end
    async def backends_by_status(
        self,
        name: str | None = None,
        filters: Callable[[AsyncIBMQBackend], bool] | None = None,
        min_num_qubits: int | None = None,
        input_allowed: str | list[str] | None = None,
        **kwargs: Any,
    ) -> list[AsyncIBMQBackend]:
        """Like ``backends()``, and status fields (``operational=True``, ...) are allowed too:
        each backend left after the configuration filters is asked for its status."""
        by_config, by_status = self._split(name, filters, min_num_qubits, input_allowed, kwargs)
        found = self._select(name, None, min_num_qubits, input_allowed, by_config)
        if by_status:
            found = [b for b in found if matches_status(await b.status(), by_status)]
        return [b for b in found if filters(b)] if filters is not None else found

    def _split(
        self,
        name: Any,
        filters: Any,
        min_num_qubits: Any,
        input_allowed: Any,
        kwargs: dict[str, Any],
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        check_selection(name, min_num_qubits, input_allowed, filters)
        return split_filters(kwargs, (b.configuration() for b in self._backends.values()))

    def _select(
        self,
        name: str | None,
        filters: Callable[[AsyncIBMQBackend], bool] | None,
        min_num_qubits: int | None,
        input_allowed: str | list[str] | None,
        by_config: dict[str, Any],
    ) -> list[AsyncIBMQBackend]:
        found = [
            backend
            for backend in self._backends.values()
            if (name is None or backend.name() == name)
            and matches_configuration(
                backend.configuration(), by_config, min_num_qubits, input_allowed
            )
        ]
        return [b for b in found if filters(b)] if filters is not None else found

    def get_backend(self, name: str | None = None, **kwargs: Any) -> AsyncIBMQBackend:
        """The one backend that matches ``name`` and the configuration filters.

        Raises:
            IBMQBackendNotFoundError: none, or more than one, matches; names close to
                ``name`` are suggested.
        """
        by_config, by_status = self._split(name, None, None, None, kwargs)
        if by_status:
            raise IBMQBackendValueError("get_backend() filters on configuration fields only.")
        found = self._select(name, None, None, None, by_config)
        if len(found) == 1:
            return found[0]
        if found:
            raise IBMQBackendNotFoundError(
                f"More than one backend matches name={name!r} {kwargs or ''}: "
                f"{', '.join(b.name() for b in found)}."
            )
        close = close_names(name, self._backends) if name else []
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise IBMQBackendNotFoundError(
            f"No backend matches name={name!r} {kwargs or ''}.{hint} "
            f"{len(self._backends)} backends are available: provider.backends() lists them."
        )

    @property
    def backend(self) -> AsyncBackendNamespace:
        """The provider's backends as attributes (``provider.backend.ibmq_manila``), with the
        provider-wide ``jobs()``, ``iter_jobs()`` and ``retrieve_job()``."""
        return AsyncBackendNamespace(self)

    async def jobs(
        self,
        limit: int | None = 10,
        skip: int = 0,
        backend_name: str | None = None,
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
        """Jobs of this provider on any backend (or on ``backend_name``); the other arguments
        are those of ``backend.jobs()``. A job of a backend no longer served gets a retired
        stand-in as its backend."""
        found = []
        async for job in self.iter_jobs(
            limit=limit,
            skip=skip,
            backend_name=backend_name,
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
        backend_name: str | None = None,
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
        """Like :meth:`jobs`, fetching ``page_size`` jobs at a time as the caller walks on."""
        if backend_name is not None and not isinstance(backend_name, str):
            raise IBMQBackendValueError(f"backend_name must be a string, not {backend_name!r}.")
        where = jobs_where(
            backend_name=backend_name,
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
            self._backend_of,
            limit=limit,
            skip=skip,
            descending=descending,
            page_size=page_size,
        )

    async def retrieve_job(self, job_id: str) -> AsyncIBMQJob:
        """The job with this id, on whichever backend it ran.

        Raises:
            IBMQBackendValueError: ``job_id`` cannot be a job id; nothing was sent.
            IBMQBackendApiError: the server failed the request (e.g. no such job).
        """
        check_job_id(job_id)
        document = await self._api.job_get(job_id, retrieving=True)
        return AsyncIBMQJob(self._backend_of(document), self._api, document)

    def _backend_of(self, document: JobDocument) -> AsyncIBMQBackend:
        name = document.backend.name if document.backend is not None else "unknown"
        backend = self._backends.get(name) or self._backends_retired.get(name)
        if backend is None:
            backend = AsyncIBMQRetiredBackend.named(name, self._api, self)
            self._backends_retired[name] = backend
        return backend

    def _repr_html_(self) -> str:
        """A summary for Jupyter, from what the provider holds (no request)."""
        return provider_html(
            type(self).__name__, self.hub, self.group, self.project, len(self._backends)
        )


class AsyncBackendNamespace:
    """``provider.backend``: each backend as an attribute, plus the provider's job methods."""

    def __init__(self, provider: AsyncAccountProvider) -> None:
        self._provider = provider
        self.jobs = provider.jobs
        self.iter_jobs = provider.iter_jobs
        self.retrieve_job = provider.retrieve_job

    def __getattr__(self, name: str) -> AsyncIBMQBackend:
        try:
            return self._provider.get_backend(name)
        except IBMQBackendNotFoundError as exc:
            raise AttributeError(str(exc)) from None

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *(b.name() for b in self._provider.backends())})


async def least_busy(backends: list[AsyncIBMQBackend]) -> AsyncIBMQBackend:
    """The operational backend with the fewest pending jobs (one status request each).

    Raises:
        IBMQBackendValueError: ``backends`` is empty or none of them is operational.
    """
    if not backends:
        raise IBMQBackendValueError("least_busy() needs a non-empty list of backends.")
    best: tuple[int, AsyncIBMQBackend] | None = None
    for backend in backends:
        status = await backend.status()
        if status.operational and (best is None or status.pending_jobs < best[0]):
            best = (status.pending_jobs, backend)
    if best is None:
        raise IBMQBackendValueError("None of the backends is operational.")
    return best[1]
