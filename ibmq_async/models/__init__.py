"""Typed pydantic models of the IBM Quantum API documents (configuration, properties, status,
jobs, Qobj). The same classes serve the blocking facade and the local service."""

from .._core.models import *  # noqa: F403
from .._core.models import __all__ as __all__
