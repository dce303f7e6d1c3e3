"""``AsyncAccountProvider``: the backends of one hub/group/project."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._core.endpoints import HubGroupProject
from ._core.exceptions import IBMQBackendNotFoundError, IBMQBackendValueError
from ._rest import AsyncProjectApi
from .backend import AsyncIBMQBackend, AsyncIBMQSimulator


class AsyncAccountProvider:
    """The backends available to one hub/group/project of an account.

    Backends are discovered once, when the account is enabled; ``backends()`` and
    ``get_backend()`` filter that list without a request.
    """

    def __init__(self, api: AsyncProjectApi) -> None:
        self._api = api
        self._backends: dict[str, AsyncIBMQBackend] = {}

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

    def backends(
        self,
        name: str | None = None,
        filters: Callable[[AsyncIBMQBackend], bool] | None = None,
        min_num_qubits: int | None = None,
        **kwargs: Any,
    ) -> list[AsyncIBMQBackend]:
        """The backends that match every criterion given (no request).

        Args:
            name: the backend name.
            filters: a callable that receives a backend and returns whether to keep it.
            min_num_qubits: keep backends with at least this many qubits.
            **kwargs: configuration attributes and the values they must have,
                e.g. ``simulator=False``, ``n_qubits=5``.

        Raises:
            IBMQBackendValueError: a keyword names no configuration attribute of any backend.
        """
        found = list(self._backends.values())
        if name is not None:
            found = [b for b in found if b.name() == name]
        if min_num_qubits is not None:
            found = [b for b in found if b.configuration().n_qubits >= min_num_qubits]
        for key, wanted in kwargs.items():
            if not any(hasattr(b.configuration(), key) for b in self._backends.values()):
                raise IBMQBackendValueError(f"'{key}' is not a backend configuration field.")
            found = [b for b in found if getattr(b.configuration(), key, None) == wanted]
        if filters is not None:
            found = [b for b in found if filters(b)]
        return found

    def get_backend(self, name: str | None = None, **kwargs: Any) -> AsyncIBMQBackend:
        """The one backend that matches ``name`` and the filters.

        Raises:
            IBMQBackendNotFoundError: none, or more than one, matches.
        """
        found = self.backends(name, **kwargs)
        if len(found) != 1:
            names = sorted(self._backends)
            what = "No backend matches" if not found else "More than one backend matches"
            raise IBMQBackendNotFoundError(
                f"{what} name={name!r} {kwargs or ''}. Available: {', '.join(names)}"
            )
        return found[0]
