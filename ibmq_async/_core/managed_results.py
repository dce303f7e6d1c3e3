"""The results of a job set, addressed by experiment as if it had been one job."""

from __future__ import annotations

from typing import Any, TypeAlias

from qiskit.circuit import QuantumCircuit
from qiskit.result import Result

from .exceptions import IBMQJobManagerJobNotFound, IBMQManagedResultDataNotAvailable
from .html_reprs import managed_results_html
from .jobsets import Layout

Experiment: TypeAlias = int | str | QuantumCircuit
"""An experiment of a set: its global index, its name, or the circuit (by its name)."""


class ManagedResults:
    """The results of every job of a set (protocol.md 8.5).

    Attributes:
        backend_name: the backend the set ran on.
        success: whether every job of the set returned a successful result.
    """

    def __init__(self, layout: Layout, results: list[Result | None], backend_name: str) -> None:
        self._layout = layout
        self._results = results
        self.backend_name = backend_name
        self.success = bool(results) and all(r is not None and r.success for r in results)

    def __repr__(self) -> str:
        done = sum(r is not None for r in self._results)
        return (
            f"<{type(self).__name__} {self._layout.experiments} experiments, "
            f"{done}/{len(self._results)} jobs with results, success={self.success}>"
        )

    def _repr_html_(self) -> str:
        """A summary for Jupyter, from what is held (never a request)."""
        done = sum(r is not None for r in self._results)
        return managed_results_html(
            type(self).__name__,
            self.backend_name,
            self._layout.experiments,
            len(self._results),
            done,
            self.success,
        )

    def results(self) -> list[Result | None]:
        """Each job's result in set order (``None`` where it is missing)."""
        return list(self._results)

    def _find(self, experiment: Experiment) -> tuple[Result, int]:
        if isinstance(experiment, bool):
            raise IBMQJobManagerJobNotFound(f"No experiment {experiment!r} in this set.")
        if isinstance(experiment, int):
            try:
                part, inner = self._layout.locate(experiment)
            except IndexError as exc:
                raise IBMQJobManagerJobNotFound(f"No experiment {experiment}: {exc}.") from None
            return self._of(part, experiment), inner
        if isinstance(experiment, QuantumCircuit):
            experiment = experiment.name
        if not isinstance(experiment, str):
            raise IBMQJobManagerJobNotFound(
                f"An experiment is an index, a name or a circuit, not {experiment!r}."
            )
        for result in self._results:
            if result is None:
                continue
            for inner, outcome in enumerate(result.results):
                if _experiment_name(outcome.header) == experiment:
                    return result, inner
        raise IBMQJobManagerJobNotFound(
            f"No experiment named {experiment!r} among the results of this set."
        )

    def _of(self, part: int, experiment: int) -> Result:
        result = self._results[part]
        if result is None:
            raise IBMQManagedResultDataNotAvailable(
                f"Experiment {experiment} belongs to job {part} of the set, which has no result."
            )
        return result

    def data(self, experiment: Experiment) -> dict[str, Any]:
        """The raw data of one experiment."""
        result, inner = self._find(experiment)
        data: dict[str, Any] = result.data(inner)
        return data

    def get_counts(self, experiment: Experiment) -> dict[str, int]:
        """The counts of one experiment."""
        result, inner = self._find(experiment)
        counts: dict[str, int] = result.get_counts(inner)
        return counts

    def get_memory(self, experiment: Experiment) -> list[Any]:
        """The per-shot memory of one experiment (run with ``memory=True``)."""
        result, inner = self._find(experiment)
        memory: list[Any] = result.get_memory(inner)
        return memory

    def get_statevector(self, experiment: Experiment, decimals: int | None = None) -> Any:
        """The final statevector of one experiment (simulators that save it)."""
        result, inner = self._find(experiment)
        return result.get_statevector(inner, decimals=decimals)

    def get_unitary(self, experiment: Experiment, decimals: int | None = None) -> Any:
        """The unitary of one experiment (simulators that save it)."""
        result, inner = self._find(experiment)
        return result.get_unitary(inner, decimals=decimals)

    def combine_results(self) -> Result:
        """One qiskit ``Result`` holding every experiment of the set, in order.

        Raises:
            IBMQManagedResultDataNotAvailable: a job of the set has no successful result.
        """
        if not self.success:
            raise IBMQManagedResultDataNotAvailable(
                "Not every job of the set has a successful result; use results() or partial "
                "access by experiment instead."
            )
        parts = [result for result in self._results if result is not None]
        combined = parts[0].to_dict()
        combined["results"] = [
            outcome for result in parts for outcome in result.to_dict()["results"]
        ]
        return Result.from_dict(combined)


def _experiment_name(header: Any) -> str | None:
    """The experiment name in a result header (a dict, or an object in older qiskit)."""
    name = header.get("name") if isinstance(header, dict) else getattr(header, "name", None)
    return name if isinstance(name, str) else None
