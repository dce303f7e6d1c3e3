"""LoopBack filters, as sent by the legacy client to list jobs (protocol section 5).

Pure functions, no I/O: :func:`parse_filter` turns the ``filter`` query parameter into a
:class:`LoopbackFilter`, :func:`matches` evaluates a ``where`` clause against one document
and :func:`apply_filter` does ``where``, ``order``, ``skip``, ``limit`` and ``fields``.
These are the reference semantics: the job listing answers in SQL the clauses it can state
exactly (:mod:`._pushdown`) and hands the rest to :func:`matches`.

Semantics worth knowing:

* dotted paths (``backend.name``, ``hubInfo.hub.name``) walk nested objects;
* equality against an array field means "the array contains the value" (``tags``);
* strings that both look like ISO-8601 timestamps compare as instants, so ``...Z`` and
  ``...+00:00`` forms of one moment are equal;
* a clause whose key is itself a comparison operator (``{"lte": ...}``) is read as a
  constraint on ``creationDate``. The legacy client emits such a clause when it pages a
  listing that had only an end date (protocol 5.4).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cmp_to_key
from typing import Any

from ibmq_async._core.dates import parse_iso

from ._regex import LinearPattern, PatternError, compile_like, compile_regexp

DEFAULT_BOUND_FIELD = "creationDate"
"""Field that a bare comparison clause (``{"lte": ...}``) constrains."""

COMPARISONS = frozenset({"gt", "gte", "lt", "lte", "between"})
"""Operators that compare in order; alone as a clause key they constrain ``creationDate``."""
_OPERATORS = COMPARISONS | frozenset(
    {"eq", "neq", "inq", "nin", "regexp", "like", "nlike", "ilike", "nilike", "exists"}
)
_MODIFIERS = frozenset({"options"})


class FilterError(ValueError):
    """The filter is not a well-formed LoopBack filter."""


class _Missing:
    """Marker for a path that does not exist in a document."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


@dataclass(frozen=True)
class LoopbackFilter:
    """A parsed LoopBack filter.

    ``order`` is a list of ``(field, descending)`` pairs; ``limit`` ``None`` means no limit.
    """

    where: dict[str, Any] = field(default_factory=dict)
    order: list[tuple[str, bool]] = field(default_factory=list)
    limit: int | None = None
    skip: int = 0
    fields: dict[str, bool] | None = None


def parse_filter(raw: str | Mapping[str, Any] | None) -> LoopbackFilter:
    """Parse a ``filter`` query parameter (JSON text or an already decoded object).

    Raises:
        FilterError: when the JSON or any part of the filter is malformed.
    """
    try:
        return _parse_filter(raw)
    except RecursionError:
        raise FilterError("filter is nested too deeply") from None


def _parse_filter(raw: str | Mapping[str, Any] | None) -> LoopbackFilter:
    if raw is None or raw == "":
        return LoopbackFilter()
    if isinstance(raw, str):
        try:
            decoded: Any = json.loads(raw)
        except ValueError as exc:
            raise FilterError(f"filter is not valid JSON: {exc}") from None
    else:
        decoded = raw
    if not isinstance(decoded, Mapping):
        raise FilterError("filter must be a JSON object")

    where = decoded.get("where")
    if where is None:
        where = {}
    if not isinstance(where, Mapping):
        raise FilterError("filter.where must be an object")
    _check_where(where)

    limit = _non_negative_int(decoded.get("limit"), "limit")
    skip = _non_negative_int(decoded.get("skip", decoded.get("offset")), "skip") or 0
    return LoopbackFilter(
        where=dict(where),
        order=_parse_order(decoded.get("order")),
        limit=limit or None,
        skip=skip,
        fields=_parse_fields(decoded.get("fields")),
    )


def parse_where(raw: str | None) -> dict[str, Any]:
    """Parse a bare ``where`` object given as JSON text (empty for ``None``)."""
    if raw is None or raw == "":
        return {}
    try:
        decoded = json.loads(raw)
    except ValueError as exc:
        raise FilterError(f"where is not valid JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise FilterError("where must be a JSON object")
    _check_where(decoded)
    return decoded


def matches(document: Mapping[str, Any], where: Mapping[str, Any]) -> bool:
    """Return whether ``document`` satisfies the ``where`` clause."""
    for key, condition in where.items():
        if key == "and":
            if not all(matches(document, sub) for sub in clause_list(condition, key)):
                return False
        elif key == "or":
            clauses = clause_list(condition, key)
            if clauses and not any(matches(document, sub) for sub in clauses):
                return False
        elif key == "nor":
            if any(matches(document, sub) for sub in clause_list(condition, key)):
                return False
        elif key in COMPARISONS:
            value = resolve(document, DEFAULT_BOUND_FIELD)
            if not _match_condition(value, {key: condition}):
                return False
        elif not _match_condition(resolve(document, key), condition):
            return False
    return True


def apply_filter(
    documents: Iterable[Mapping[str, Any]], flt: LoopbackFilter
) -> list[dict[str, Any]]:
    """Select, order, page and project ``documents`` as ``flt`` says.

    The input order is kept among documents that the ``order`` clause ranks equal.
    """
    selected = [dict(doc) for doc in documents if matches(doc, flt.where)]
    for field_name, descending in reversed(flt.order):
        selected.sort(key=cmp_to_key(_comparator(field_name)), reverse=descending)
    page = selected[flt.skip :]
    if flt.limit is not None:
        page = page[: flt.limit]
    if flt.fields is not None:
        page = [project(doc, flt.fields) for doc in page]
    return page


def project(document: Mapping[str, Any], fields: Mapping[str, bool]) -> dict[str, Any]:
    """Apply a LoopBack ``fields`` projection to one document."""
    included = [name for name, keep in fields.items() if keep]
    if included:
        return {name: document[name] for name in included if name in document}
    excluded = {name for name, keep in fields.items() if not keep}
    return {name: value for name, value in document.items() if name not in excluded}


def resolve(document: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted ``path``, or a private missing marker."""
    if path in document:
        return document[path]
    current: Any = document
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


# -- parsing helpers ---------------------------------------------------------------------


def _non_negative_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise FilterError(f"filter.{name} must be a non-negative integer")
    return value


def _parse_order(raw: Any) -> list[tuple[str, bool]]:
    if raw is None or raw == "" or raw == []:
        return []
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise FilterError("filter.order must be a string or a list of strings")
    order: list[tuple[str, bool]] = []
    for item in items:
        parts = item.split()
        if len(parts) == 1:
            order.append((parts[0], False))
        elif len(parts) == 2 and parts[1].upper() in ("ASC", "DESC"):
            order.append((parts[0], parts[1].upper() == "DESC"))
        else:
            raise FilterError(f"invalid order clause {item!r}")
    return order


def _parse_fields(raw: Any) -> dict[str, bool] | None:
    if raw is None:
        return None
    if isinstance(raw, list) and all(isinstance(name, str) for name in raw):
        return dict.fromkeys(raw, True)
    if isinstance(raw, Mapping) and all(isinstance(name, str) for name in raw):
        return {name: bool(keep) for name, keep in raw.items()}
    raise FilterError("filter.fields must be an object of booleans or a list of names")


def _check_where(where: Mapping[str, Any]) -> None:
    """Reject malformed clauses up front so evaluation never fails half-way."""
    for key, condition in where.items():
        if not isinstance(key, str):
            raise FilterError("where keys must be strings")
        if key in ("and", "or", "nor"):
            for sub in clause_list(condition, key):
                _check_where(sub)
        elif key in COMPARISONS:
            _check_operator(key, condition)
        elif isinstance(condition, Mapping) and is_operator_object(condition):
            for op, operand in condition.items():
                if op in _OPERATORS:
                    _check_operator(op, operand)


def _check_operator(op: str, operand: Any) -> None:
    if op == "between" and not (isinstance(operand, list) and len(operand) == 2):
        raise FilterError("between needs a list of two values")
    if op in ("inq", "nin") and not isinstance(operand, list):
        raise FilterError(f"{op} needs a list")
    if op in ("regexp", "like", "nlike", "ilike", "nilike"):
        if not isinstance(operand, str):
            raise FilterError(f"{op} needs a string")
        if op == "regexp":
            _compile_regexp(operand)
        else:
            _compile_like(operand, insensitive=False)


def clause_list(condition: Any, key: str) -> list[Mapping[str, Any]]:
    """The sub-clauses of an ``and``/``or``/``nor`` condition.

    Raises:
        FilterError: when ``condition`` is not a list of objects.
    """
    if not isinstance(condition, list) or not all(isinstance(c, Mapping) for c in condition):
        raise FilterError(f"'{key}' needs a list of objects")
    return condition


def is_operator_object(condition: Mapping[str, Any]) -> bool:
    """Whether ``condition`` is ``{operator: operand, ...}`` rather than a value to equal."""
    keys = set(condition)
    return bool(keys) and keys <= (_OPERATORS | _MODIFIERS) and bool(keys & _OPERATORS)


# -- evaluation --------------------------------------------------------------------------


def _match_condition(value: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and is_operator_object(condition):
        options = condition.get("options")
        return all(
            _apply_operator(value, op, operand, options)
            for op, operand in condition.items()
            if op in _OPERATORS
        )
    return _equals(value, condition)


def _apply_operator(value: Any, op: str, operand: Any, options: Any) -> bool:
    if op == "eq":
        return _equals(value, operand)
    if op == "neq":
        return not _equals(value, operand)
    if op == "inq":
        return any(_equals(value, candidate) for candidate in operand)
    if op == "nin":
        return not any(_equals(value, candidate) for candidate in operand)
    if op == "exists":
        return (value is not _MISSING and value is not None) == bool(operand)
    if op == "regexp":
        pattern = _compile_regexp(operand, options)
        return _any_string(value, lambda text: pattern.search(text) is not None)
    if op in ("like", "nlike", "ilike", "nilike"):
        insensitive = op.startswith(("i", "ni")) or options == "i"
        pattern = _compile_like(operand, insensitive)
        found = _any_string(value, lambda text: pattern.fullmatch(text) is not None)
        return not found if op.startswith("n") else found
    if op == "between":
        low, high = operand
        return _any_element(
            value, lambda v: _ordered(v, low, (">", "=")) and _ordered(v, high, ("<", "="))
        )
    symbol = {"gt": (">",), "gte": (">", "="), "lt": ("<",), "lte": ("<", "=")}[op]
    return _any_element(value, lambda v: _ordered(v, operand, symbol))


def _any_element(value: Any, predicate: Any) -> bool:
    if isinstance(value, list):
        return any(predicate(item) for item in value)
    return bool(predicate(value))


def _any_string(value: Any, predicate: Any) -> bool:
    if isinstance(value, list):
        return any(isinstance(item, str) and predicate(item) for item in value)
    return isinstance(value, str) and bool(predicate(value))


def _equals(value: Any, expected: Any) -> bool:
    if value is _MISSING:
        return expected is None
    if isinstance(value, list) and not isinstance(expected, list):
        return any(_scalar_equals(item, expected) for item in value)
    return _scalar_equals(value, expected)


def _scalar_equals(value: Any, expected: Any) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        left, right = as_instant(value), as_instant(expected)
        if left is not None and right is not None:
            return left == right
    if isinstance(value, bool) != isinstance(expected, bool):
        return False
    return bool(value == expected)


def _ordered(value: Any, bound: Any, accepted: Sequence[str]) -> bool:
    """Return whether ``value`` relates to ``bound`` by one of the ``accepted`` relations."""
    relation = _relation(value, bound)
    return relation is not None and relation in accepted


def _relation(value: Any, bound: Any) -> str | None:
    if value is _MISSING or value is None or bound is None:
        return None
    left: Any
    right: Any
    if isinstance(value, str) and isinstance(bound, str):
        left, right = as_instant(value), as_instant(bound)
        if left is None or right is None:
            left, right = value, bound
    elif _is_number(value) and _is_number(bound):
        left, right = value, bound
    else:
        return None
    if left < right:
        return "<"
    if left > right:
        return ">"
    return "=" if left == right else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_instant(text: str) -> datetime | None:
    """The instant a string names, or ``None`` when it is not read as a timestamp.

    Comparisons and equality treat two strings as instants only when both are.
    """
    # Only strings with a time part count; a bare "2023" must stay a string.
    if len(text) < 10 or text[4] != "-":
        return None
    return parse_iso(text)


def _compile_regexp(expression: str, options: Any = None) -> LinearPattern:
    try:
        return compile_regexp(expression, options)
    except PatternError as exc:
        raise FilterError(f"invalid regexp: {exc}") from None


def _compile_like(expression: str, insensitive: bool) -> LinearPattern:
    try:
        return compile_like(expression, insensitive)
    except PatternError as exc:
        raise FilterError(f"invalid like pattern: {exc}") from None


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is _MISSING or value is None:
        return (3, 0)
    if isinstance(value, str):
        instant = as_instant(value)
        return (0, instant) if instant is not None else (2, value)
    if _is_number(value):
        return (1, value)
    return (2, json.dumps(value, sort_keys=True, default=str))


def _comparator(field_name: str) -> Callable[[Mapping[str, Any], Mapping[str, Any]], int]:
    def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> int:
        left, right = _sort_key(resolve(a, field_name)), _sort_key(resolve(b, field_name))
        if left[0] != right[0]:
            return -1 if left[0] < right[0] else 1
        if left[1] == right[1]:
            return 0
        return -1 if left[1] < right[1] else 1

    return compare
