"""Backend calibration properties (``GET {bk}/properties``).

Besides the wire models, :class:`BackendProperties` carries the helpers users of
qiskit-ibmq-provider called on ``backend.properties()`` (qiskit's legacy
``BackendProperties``): ``t1``, ``gate_error``, ``faulty_qubits`` and the rest. Those helpers
report values in SI base units (seconds, hertz), converting the unit prefix the server sends
(``us``, ``ns``, ``GHz``), and raise :class:`BackendPropertyError` when a qubit, gate or property
is unknown. The :class:`Nduv` lookups (``qubit_property(qubit, name)`` and
``gate_property(gate, qubits, name)``) return the figure as sent, in the server's unit.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Self, overload

from pydantic import Field, ValidationError

from ..exceptions import IBMQBackendValueError
from ._base import SnakeModel, UtcDatetime

__all__ = ["BackendProperties", "BackendPropertyError", "GateProperties", "Nduv"]

_PREFIX_EXPONENTS = {
    "f": -15,
    "p": -12,
    "n": -9,
    "u": -6,
    "\u00b5": -6,  # MICRO SIGN
    "\u03bc": -6,  # GREEK SMALL LETTER MU
    "m": -3,
    "k": 3,
    "M": 6,
    "G": 9,
    "T": 12,
    "P": 15,
}

PropertyValue = tuple[float, datetime]
"""A calibration figure in SI base units and the time it was measured (legacy form)."""


class BackendPropertyError(IBMQBackendValueError):
    """A qubit, gate or property is not in the backend's properties, or a unit is not understood.

    The name is that of qiskit's legacy ``BackendPropertyError``, which the same helpers raised.
    """


def _to_si(value: float, unit: str) -> float:
    """``value`` in the SI base unit, applying the prefix of ``unit`` (``us``, ``GHz``, ...).

    As in qiskit's legacy ``BackendProperties``, an empty or one-letter unit (``""``, ``s``) is
    taken as already in base units, and a longer unit must start with an SI prefix.
    """
    if len(unit) <= 1:
        return value
    exponent = _PREFIX_EXPONENTS.get(unit[0])
    if exponent is None:
        raise BackendPropertyError(f"Could not understand units: {unit}")
    # Dividing by a power of ten, not multiplying by its inverse, avoids a round-off error.
    scale = float(10 ** abs(exponent))
    return value / scale if exponent < 0 else value * scale


def _qubit_tuple(qubits: int | Iterable[int]) -> tuple[int, ...]:
    """The qubits of a gate as a tuple of indices; a single ``int`` stands for one qubit."""
    try:
        if isinstance(qubits, Iterable):
            return tuple(operator.index(qubit) for qubit in qubits)
        return (operator.index(qubits),)
    except TypeError:
        raise BackendPropertyError(f"Qubits must be an int or ints, not {qubits!r}.") from None


class Nduv(SnakeModel):
    """A named, dated, unit-carrying value (a calibration figure)."""

    date: UtcDatetime
    name: str
    unit: str
    value: float

    def si_value(self) -> float:
        """Return :attr:`value` in SI base units (``T1`` in seconds, ``frequency`` in hertz).

        Raises:
            BackendPropertyError: :attr:`unit` does not start with an SI prefix.
        """
        return _to_si(self.value, self.unit)


class GateProperties(SnakeModel):
    """Calibration of one gate on some qubits."""

    qubits: list[int]
    gate: str
    parameters: list[Nduv]
    name: str | None = None


def _as_dict(items: Iterable[Nduv]) -> dict[str, PropertyValue]:
    """Legacy form of some figures: name to ``(value in SI units, date)``; later names win."""
    return {item.name: (item.si_value(), item.date) for item in items}


def _operational(items: Iterable[Nduv]) -> bool:
    """Whether figures mark their qubit or gate operational (no ``operational`` figure: yes)."""
    flags = [item.value for item in items if item.name == "operational"]
    return bool(flags[-1]) if flags else True


class BackendProperties(SnakeModel):
    """The calibration snapshot of a device (the ``backend_properties`` schema).

    ``backend_name`` and ``last_update_date`` (an aware UTC datetime) are fields; extra fields the
    server sends (``general_qlists``, ...) are kept and readable as attributes.
    """

    backend_name: str
    backend_version: str
    last_update_date: UtcDatetime
    qubits: list[list[Nduv]]
    gates: list[GateProperties]
    general: list[Nduv] = Field(default_factory=list)

    # -- serialization -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Build the properties from a dictionary, as :meth:`to_dict` or the API produce it.

        Dates may be ISO-8601 strings or datetimes; extra fields are kept.

        Raises:
            BackendPropertyError: ``data`` does not follow the ``backend_properties`` schema.
        """
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise BackendPropertyError(f"Invalid backend properties: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """Return the properties as a dictionary in the wire's layout.

        Dates are :class:`~datetime.datetime` objects and values are in the server's units, as
        with qiskit's legacy ``BackendProperties.to_dict``; extra fields are included.
        :meth:`from_dict` reads the result back into equal properties.
        """
        return self.model_dump()

    # -- qubits --------------------------------------------------------------------------------

    def _qubit_figures(self, qubit: int) -> list[Nduv]:
        """The figures of ``qubit``, or :class:`BackendPropertyError` if it has no entry."""
        try:
            index = operator.index(qubit)
        except TypeError:
            raise BackendPropertyError(f"A qubit must be an int, not {qubit!r}.") from None
        if not 0 <= index < len(self.qubits):
            raise BackendPropertyError(
                f"Couldn't find the properties for qubit {qubit}: the backend has "
                f"{len(self.qubits)} qubits."
            )
        return self.qubits[index]

    @overload
    def qubit_property(self, qubit: int, name: str) -> Nduv | None: ...

    @overload
    def qubit_property(self, qubit: int, name: None = None) -> dict[str, PropertyValue]: ...

    def qubit_property(
        self, qubit: int, name: str | None = None
    ) -> Nduv | dict[str, PropertyValue] | None:
        """Return the properties of a qubit.

        With ``name`` (``T1``, ``readout_error``, ...): that figure as an :class:`Nduv`, in the
        server's unit, or ``None`` if the qubit has no such figure.

        Without ``name`` (the legacy form): every figure of the qubit, as a dictionary from name
        to ``(value, date)`` with the value in SI base units.

        Raises:
            BackendPropertyError: the backend has no qubit ``qubit``; or, without ``name``, a
                figure's unit is not understood.
        """
        figures = self._qubit_figures(qubit)
        if name is None:
            return _as_dict(figures)
        for item in figures:
            if item.name == name:
                return item
        return None

    def qubit_property_value(self, qubit: int, name: str) -> float:
        """Return the named figure of a qubit in SI base units (legacy
        ``qubit_property(qubit, name)[0]``).

        Raises:
            BackendPropertyError: the backend has no qubit ``qubit``, the qubit has no figure
                ``name``, or its unit is not understood.
        """
        item = self.qubit_property(qubit, name)
        if item is None:
            raise BackendPropertyError(f"Couldn't find the property '{name}' for qubit {qubit}.")
        return item.si_value()

    def t1(self, qubit: int) -> float:
        """Return the T1 (relaxation) time of a qubit, in seconds.

        Raises:
            BackendPropertyError: the qubit is unknown or has no ``T1`` figure.
        """
        return self.qubit_property_value(qubit, "T1")

    def t2(self, qubit: int) -> float:
        """Return the T2 (dephasing) time of a qubit, in seconds.

        Raises:
            BackendPropertyError: the qubit is unknown or has no ``T2`` figure.
        """
        return self.qubit_property_value(qubit, "T2")

    def frequency(self, qubit: int) -> float:
        """Return the frequency of a qubit, in hertz.

        Raises:
            BackendPropertyError: the qubit is unknown or has no ``frequency`` figure.
        """
        return self.qubit_property_value(qubit, "frequency")

    def readout_error(self, qubit: int) -> float:
        """Return the readout (measurement assignment) error of a qubit.

        Raises:
            BackendPropertyError: the qubit is unknown or has no ``readout_error`` figure.
        """
        return self.qubit_property_value(qubit, "readout_error")

    def readout_length(self, qubit: int) -> float:
        """Return the readout (measurement) duration of a qubit, in seconds.

        Raises:
            BackendPropertyError: the qubit is unknown or has no ``readout_length`` figure.
        """
        return self.qubit_property_value(qubit, "readout_length")

    def is_qubit_operational(self, qubit: int) -> bool:
        """Return whether a qubit is operational.

        A qubit is operational unless its ``operational`` figure is zero; a qubit without that
        figure is operational.

        Raises:
            BackendPropertyError: the backend has no qubit ``qubit``.
        """
        return _operational(self._qubit_figures(qubit))

    def faulty_qubits(self) -> list[int]:
        """Return the indices of the qubits that are not operational, in ascending order."""
        return [index for index, figures in enumerate(self.qubits) if not _operational(figures)]

    # -- gates ---------------------------------------------------------------------------------

    def _gate_entries(self, gate: str) -> list[GateProperties]:
        """The calibrations of ``gate``, or :class:`BackendPropertyError` if there are none."""
        entries = [entry for entry in self.gates if entry.gate == gate]
        if not entries:
            raise BackendPropertyError(f"Could not find the desired property for {gate}.")
        return entries

    def _gate_figures(self, gate: str, qubits: int | Iterable[int]) -> list[Nduv]:
        """The figures of ``gate`` on ``qubits`` (later calibrations of the same pair win)."""
        wanted = _qubit_tuple(qubits)
        found = [
            entry.parameters for entry in self._gate_entries(gate) if tuple(entry.qubits) == wanted
        ]
        if not found:
            raise BackendPropertyError(
                f"Could not find the desired property for {gate} on qubits {list(wanted)}."
            )
        return found[-1]

    @overload
    def gate_property(self, gate: str, qubits: int | Iterable[int], name: str) -> Nduv | None: ...

    @overload
    def gate_property(
        self, gate: str, qubits: int | Iterable[int], name: None = None
    ) -> dict[str, PropertyValue]: ...

    @overload
    def gate_property(
        self, gate: str, qubits: None = None, name: None = None
    ) -> dict[tuple[int, ...], dict[str, PropertyValue]]: ...

    def gate_property(
        self, gate: str, qubits: int | Iterable[int] | None = None, name: str | None = None
    ) -> Nduv | dict[str, PropertyValue] | dict[tuple[int, ...], dict[str, PropertyValue]] | None:
        """Return the properties of a gate.

        With ``qubits`` and ``name`` (``gate_error``, ``gate_length``): that figure of the gate
        on those qubits as an :class:`Nduv`, in the server's unit, or ``None`` if the gate is not
        calibrated on those qubits or has no such figure.

        The legacy forms give values in SI base units and raise for an unknown gate or qubits:
        with ``qubits`` only, every figure of the gate on those qubits, as a dictionary from name
        to ``(value, date)``; with neither, such a dictionary for each tuple of qubits the gate
        is calibrated on. ``qubits`` may be one ``int`` or an iterable of them, in the gate's
        qubit order.

        Raises:
            BackendPropertyError: ``name`` is given without ``qubits``; ``qubits`` are not
                ints; or, in a legacy form, the gate is unknown, is not calibrated on
                ``qubits``, or a figure's unit is not understood.
        """
        if qubits is None:
            if name is not None:
                raise BackendPropertyError(f"Provide qubits to get {name} of {gate}.")
            return {
                tuple(entry.qubits): _as_dict(entry.parameters)
                for entry in self._gate_entries(gate)
            }
        if name is None:
            return _as_dict(self._gate_figures(gate, qubits))
        wanted = _qubit_tuple(qubits)
        for entry in self.gates:
            if entry.gate == gate and tuple(entry.qubits) == wanted:
                for item in entry.parameters:
                    if item.name == name:
                        return item
        return None

    def gate_property_value(self, gate: str, qubits: int | Iterable[int], name: str) -> float:
        """Return the named figure of a gate on some qubits in SI base units (legacy
        ``gate_property(gate, qubits, name)[0]``).

        Raises:
            BackendPropertyError: the gate is not calibrated on ``qubits``, has no figure
                ``name``, or its unit is not understood.
        """
        item = self.gate_property(gate, qubits, name)
        if item is None:
            raise BackendPropertyError(
                f"Could not find the property '{name}' for {gate} on qubits "
                f"{list(_qubit_tuple(qubits))}."
            )
        return item.si_value()

    def gate_error(self, gate: str, qubits: int | Iterable[int]) -> float:
        """Return the error rate of a gate on some qubits (e.g. ``gate_error("cx", [0, 1])``).

        Raises:
            BackendPropertyError: the gate is not calibrated on ``qubits`` or has no
                ``gate_error`` figure.
        """
        return self.gate_property_value(gate, qubits, "gate_error")

    def gate_length(self, gate: str, qubits: int | Iterable[int]) -> float:
        """Return the duration of a gate on some qubits, in seconds.

        Raises:
            BackendPropertyError: the gate is not calibrated on ``qubits`` or has no
                ``gate_length`` figure.
        """
        return self.gate_property_value(gate, qubits, "gate_length")

    def is_gate_operational(self, gate: str, qubits: int | Iterable[int] | None = None) -> bool:
        """Return whether a gate is operational on some qubits.

        A gate is operational unless its ``operational`` figure is zero; a gate without that
        figure is operational. Without ``qubits``, whether it is operational on every tuple of
        qubits it is calibrated on.

        Raises:
            BackendPropertyError: the gate is unknown or not calibrated on ``qubits``.
        """
        if qubits is None:
            return all(_operational(entry.parameters) for entry in self._gate_entries(gate))
        return _operational(self._gate_figures(gate, qubits))

    def faulty_gates(self) -> list[GateProperties]:
        """Return the gate calibrations that are not operational, in the order of :attr:`gates`."""
        return [entry for entry in self.gates if not _operational(entry.parameters)]
