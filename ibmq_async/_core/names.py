"""A backend's name: a string that can also be called."""

from __future__ import annotations


class BackendName(str):
    """A backend name that is a string and can also be called.

    qiskit's ``BackendV2`` and its tools (``plot_gate_map``, ``plot_error_map``, ...) read
    ``backend.name`` as a string; the seed API calls ``backend.name()``. Both work, on the
    blocking and on the async backend.
    """

    __slots__ = ()

    def __call__(self) -> str:
        return str(self)
