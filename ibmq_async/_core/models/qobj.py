"""The QasmQobj: the JSON document uploaded as a circuit job's payload (protocol.md 3.5).

Wire names are the Qobj's own snake_case names. Every model keeps unknown keys, so a Qobj written
by another tool (qiskit-terra's ``assemble``, a newer server) survives a parse and a dump
unchanged. Optional fields left as ``None`` are omitted from the JSON, as the legacy client did;
explicit values such as ``parameter_binds: []`` or ``metadata: {}`` are kept.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from ._base import SnakeModel

__all__ = [
    "QasmQobj",
    "QasmQobjConfig",
    "QasmQobjExperiment",
    "QasmQobjExperimentConfig",
    "QasmQobjExperimentHeader",
    "QasmQobjInstruction",
    "QobjHeader",
    "json_ready",
]


def json_ready(value: Any) -> Any:
    """Return ``value`` as plain JSON data, with the legacy client's encoding rules.

    Complex numbers become ``[re, im]``; numpy scalars and arrays become Python numbers and
    lists; tuples become lists; dict keys that are not strings are stringified.

    Raises:
        TypeError: if a value has no JSON form.
    """
    kind = type(value)
    # Exact built-in types first (the common case, and no ABC checks); subclasses and other
    # types take the general route below, with the same results.
    if kind is str or kind is float or kind is int or kind is bool or value is None:
        return value
    if kind is list:
        return [json_ready(item) for item in value]
    if kind is dict:
        return {
            key if type(key) is str else str(key): json_ready(item) for key, item in value.items()
        }
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {
            key if isinstance(key, str) else str(key): json_ready(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, complex):
        return [value.real, value.imag]
    # numpy, without importing it: scalars have ``item()``, arrays ``tolist()``.
    if hasattr(value, "tolist") and hasattr(value, "dtype"):
        return json_ready(value.tolist())
    if isinstance(value, set | frozenset):
        return [json_ready(item) for item in value]
    raise TypeError(f"{type(value).__name__} value {value!r} has no JSON form")


class _QobjModel(SnakeModel):
    """A Qobj part: snake_case wire names, unknown keys kept, ``None`` keys left out."""

    @model_serializer(mode="wrap")
    def _drop_none(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        # Only this model's own keys are filtered: a ``None`` inside a user dict such as
        # ``metadata`` is data and is kept.
        data: dict[str, Any] = handler(self)
        return {key: item for key, item in data.items() if item is not None}


# ``register`` is the Qobj's own name; it shadows only ``ABCMeta.register`` on the class, which
# nothing here uses, so pydantic's warning about it is silenced.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "register"', category=UserWarning)

    class QasmQobjInstruction(_QobjModel):
        """One instruction of an experiment.

        Gates carry ``qubits`` and, when parameterised, ``params``; ``measure`` adds ``memory`` (and
        ``register`` in experiments with conditionals); ``bfunc`` carries ``mask``, ``relation``,
        ``val`` and an integer ``register``; a conditioned instruction carries ``conditional``.
        """

        name: str
        qubits: list[int] | None = None
        params: list[Any] | None = None
        memory: list[int] | None = None
        register: list[int] | int | None = None
        conditional: int | None = None
        label: str | None = None
        mask: str | None = None
        relation: str | None = None
        val: str | None = None


class QasmQobjExperimentHeader(_QobjModel):
    """Experiment header: copied by the backend into the result, used to format counts."""

    name: str | None = None
    global_phase: float | None = None
    metadata: dict[str, Any] | None = None
    n_qubits: int | None = None
    memory_slots: int | None = None
    qubit_labels: list[tuple[str, int]] | None = None
    clbit_labels: list[tuple[str, int]] | None = None
    qreg_sizes: list[tuple[str, int]] | None = None
    creg_sizes: list[tuple[str, int]] | None = None


class QasmQobjExperimentConfig(_QobjModel):
    """Per-experiment configuration."""

    n_qubits: int | None = None
    memory_slots: int | None = None


class QasmQobjExperiment(_QobjModel):
    """One circuit of the job."""

    header: QasmQobjExperimentHeader = Field(default_factory=QasmQobjExperimentHeader)
    config: QasmQobjExperimentConfig = Field(default_factory=QasmQobjExperimentConfig)
    instructions: list[QasmQobjInstruction] = Field(default_factory=list)


class QobjHeader(_QobjModel):
    """Job header: ``backend_name``, ``backend_version`` and any user keys."""

    backend_name: str | None = None
    backend_version: str | None = None


class QasmQobjConfig(_QobjModel):
    """Job-wide run configuration. Keys not modelled here (``seed_simulator``, ``method``,
    ``noise_model``, any extra run option) are kept as extra fields."""

    shots: int | None = None
    memory: bool | None = None
    parameter_binds: list[Any] | None = None
    meas_level: int | None = None
    meas_return: str | None = None
    n_qubits: int | None = None
    memory_slots: int | None = None
    rep_delay: float | None = None
    """Microseconds, as on the wire."""
    init_qubits: bool | None = None
    use_measure_esp: bool | None = None
    parametric_pulses: list[str] | None = None


_PENDING_ONLY = "ibmq_async.qobj.pending_only"
"""Serialization context key: dump a :class:`QasmQobj` without building pending experiments."""


class QasmQobj(_QobjModel):
    """A QASM Qobj (``type: "QASM"``, ``schema_version: "1.3.0"``).

    A Qobj made by ``circuits_to_qobj`` (through :meth:`from_wire_experiments`) holds its
    experiments as wire data and builds their models only when ``experiments`` is first read
    (or the Qobj is dumped, compared, iterated or printed): a job of 100,000 instructions then
    costs no model per instruction on its way to the upload body. It behaves as any other
    ``QasmQobj``.
    """

    qobj_id: str
    type: Literal["QASM"] = "QASM"
    schema_version: str = "1.3.0"
    header: QobjHeader = Field(default_factory=QobjHeader)
    config: QasmQobjConfig = Field(default_factory=QasmQobjConfig)
    experiments: list[QasmQobjExperiment] = Field(default_factory=list)

    _pending: list[dict[str, Any]] | None = PrivateAttr(default=None)
    """Wire experiments not yet built into models; used only while ``experiments`` is absent
    from the instance's ``__dict__``."""

    @classmethod
    def from_wire_experiments(
        cls,
        *,
        qobj_id: str,
        header: QobjHeader,
        config: QasmQobjConfig,
        experiments: list[dict[str, Any]],
    ) -> QasmQobj:
        """A Qobj whose experiments are given as wire data, already JSON-ready and valid
        (their models are built on first use). ``to_wire()`` returns these very dicts."""
        qobj = cls.model_construct(qobj_id=qobj_id, header=header, config=config)
        qobj.__dict__.pop("experiments", None)
        qobj._pending = experiments
        return qobj

    def _pending_experiments(self) -> list[dict[str, Any]] | None:
        if "experiments" in self.__dict__:
            return None
        return self._pending

    def _build_experiments(self) -> None:
        """Turn pending wire experiments into models (once)."""
        pending = self._pending_experiments()
        if pending is not None:
            self.__dict__["experiments"] = [
                QasmQobjExperiment.model_validate(experiment) for experiment in pending
            ]
            self._pending = None

    if not TYPE_CHECKING:  # as in pydantic itself: keep mypy's checks of attribute names

        def __getattr__(self, name: str) -> Any:
            if name == "experiments" and self._pending_experiments() is not None:
                self._build_experiments()
                return self.__dict__["experiments"]
            return super().__getattr__(name)

    def __eq__(self, other: object) -> bool:
        self._build_experiments()
        if isinstance(other, QasmQobj):
            other._build_experiments()
        return super().__eq__(other)

    def __iter__(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        self._build_experiments()
        return super().__iter__()

    def __repr_args__(self) -> Any:
        self._build_experiments()
        return super().__repr_args__()

    @model_serializer(mode="wrap")
    def _drop_none(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        if not (isinstance(info.context, Mapping) and info.context.get(_PENDING_ONLY)):
            self._build_experiments()
        data: dict[str, Any] = handler(self)
        return {key: item for key, item in data.items() if item is not None}

    def to_wire(self) -> dict[str, Any]:
        """Return the JSON-ready upload body.

        Optional fields that are ``None`` are left out; everything else, including unknown keys
        and empty lists, is kept. Complex numbers become ``[re, im]`` and numpy values plain
        Python ones.

        The body is new data, except that for a Qobj from ``circuits_to_qobj`` whose
        experiments were never read, ``experiments`` holds the Qobj's own experiment dicts
        (copying them would cost as much as building them): change the body's copy of an
        experiment only if the Qobj is not used again.
        """
        pending = self._pending_experiments()
        if pending is None:
            wire: dict[str, Any] = json_ready(self.model_dump())
            return wire
        dumped = self.model_dump(exclude={"experiments"}, context={_PENDING_ONLY: True})
        wire = {}
        for key, item in json_ready(dumped).items():
            wire[key] = item
            if key == "config":  # where the field sits in a full dump (extra keys follow)
                wire["experiments"] = list(pending)
        wire.setdefault("experiments", list(pending))
        return wire
