"""``provider.backends(...)`` filters, without I/O (protocol.md 2.1).

A keyword every backend's configuration has filters on the configuration; a status field
(``operational``, ``pending_jobs``, ``status_msg``) filters on ``status()``, which needs the
server; a keyword that no backend knows is an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from .exceptions import IBMQBackendValueError
from .models.configuration import BackendConfiguration
from .models.status import BackendStatus

STATUS_FIELDS = frozenset(BackendStatus.model_fields) - {"backend_name", "backend_version"}
"""Keywords answered by a backend's status."""


def _has(config: BackendConfiguration, key: str) -> bool:
    return key in type(config).model_fields or key in (config.model_extra or {})


def split_filters(
    filters: Mapping[str, Any], configs: Iterable[BackendConfiguration]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(configuration filters, status filters)`` of ``backends(**filters)``.

    Raises:
        IBMQBackendValueError: a keyword that neither a configuration nor a status has.
    """
    configs = list(configs)
    by_config: dict[str, Any] = {}
    by_status: dict[str, Any] = {}
    for key, wanted in filters.items():
        if configs and all(_has(c, key) for c in configs):
            by_config[key] = wanted
        elif key in STATUS_FIELDS:
            by_status[key] = wanted
        elif any(_has(c, key) for c in configs):
            by_config[key] = wanted
        else:
            raise IBMQBackendValueError(
                f"'{key}' is neither a configuration field nor a status field of a backend."
            )
    return by_config, by_status


def matches_configuration(
    config: BackendConfiguration,
    filters: Mapping[str, Any],
    min_num_qubits: int | None = None,
    input_allowed: str | list[str] | None = None,
) -> bool:
    """Whether a configuration passes the configuration filters."""
    if min_num_qubits is not None and config.n_qubits < min_num_qubits:
        return False
    if input_allowed is not None:
        wanted = [input_allowed] if isinstance(input_allowed, str) else list(input_allowed)
        allowed = getattr(config, "input_allowed", None) or []
        if not set(wanted) <= set(allowed):
            return False
    return all(getattr(config, key, None) == value for key, value in filters.items())


def matches_status(status: BackendStatus, filters: Mapping[str, Any]) -> bool:
    """Whether a status passes the status filters."""
    return all(getattr(status, key) == value for key, value in filters.items())


def check_selection(name: Any, min_num_qubits: Any, input_allowed: Any, filters: Any) -> None:
    """Reject arguments of ``backends()`` that cannot be right, before anything is done.

    Raises:
        IBMQBackendValueError: naming the bad argument.
    """
    if name is not None and not isinstance(name, str):
        raise IBMQBackendValueError(f"name must be a string, not {name!r}.")
    if min_num_qubits is not None and (
        not isinstance(min_num_qubits, int) or isinstance(min_num_qubits, bool)
    ):
        raise IBMQBackendValueError(f"min_num_qubits must be an integer, not {min_num_qubits!r}.")
    if input_allowed is not None and not (
        isinstance(input_allowed, str)
        or (isinstance(input_allowed, list) and all(isinstance(i, str) for i in input_allowed))
    ):
        raise IBMQBackendValueError("input_allowed must be a string or a list of strings.")
    if filters is not None and not callable(filters):
        raise IBMQBackendValueError(f"filters must be a callable, not {filters!r}.")


def close_names(name: str, names: Iterable[str], count: int = 5) -> list[str]:
    """The served names closest to a mistyped one."""
    return difflib.get_close_matches(name, list(names), n=count, cutoff=0.5)
