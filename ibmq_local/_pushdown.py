"""Which parts of a LoopBack job filter SQLite answers, written as SQL over indexed columns.

A page of a job listing must cost about what the page holds, not what the user's whole job
table holds. :func:`plan_listing` splits a parsed filter in two:

* **pushed**: clauses SQL states *exactly*, i.e. with the answer :func:`_loopback.matches`
  gives on the document, over the columns that mirror document fields
  (:data:`_store.FIELD_COLUMNS`, ``created_at``, the ``job_tags`` table);
* **residual**: everything else, left for :func:`_loopback.matches` on the rows SQL narrowed.

Pushed:

* ``id``, ``status``, ``backend.name``, ``hubInfo.{hub,group,project}.name``, ``userId``:
  equality, ``eq``, ``neq``, ``inq``, ``nin``, and a ``regexp`` that is ``^`` and a literal
  prefix (the client's ``{"regexp": "^ERROR"}``);
* ``creationDate`` and bare comparison clauses (protocol 5.4's quirk): ``eq``, ``gt``, ``gte``,
  ``lt``, ``lte``, ``between`` with timestamp bounds in any offset;
* ``tags`` (an array: equality means "contains"): equality, ``eq``, ``neq``, ``inq``, ``nin``;
* ``and``: each pushable conjunct (the rest stays residual); ``or`` and ``nor`` when every
  branch is pushable as a whole;
* ``order`` on ``creationDate`` and/or ``id``.

Left to Python: other paths (``name``, ``experimentTag``, ``summaryData...``), ``like``,
``exists``, other regexps, non-string operands, string operands that read as timestamps on
non-date fields (Python compares two timestamps as instants, SQL as text), ``or`` with a
residual branch. When a residual is left, rows are streamed in SQL order until the page is
full: still correct, but a selective residual reads many rows per page. When ``order`` names
another field, every row SQL narrowed is read and sorted in Python: correct, not paged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ._loopback import COMPARISONS, LoopbackFilter, as_instant, clause_list, is_operator_object
from ._store import CREATED_COLUMN, FIELD_COLUMNS, TAGS_TABLE


@dataclass(frozen=True)
class Sql:
    """An SQL condition and the values of its ``?`` placeholders, in order."""

    text: str
    params: tuple[Any, ...] = ()


TRUE = Sql("1")
FALSE = Sql("0")

_INDEX_BLIND = {"status": "+status"}
"""Columns tested through an expression the planner cannot use an index for: without
statistics SQLite may otherwise walk ``jobs_by_status`` (say, every ``COMPLETED`` job) and
sort it, instead of walking the owner's jobs in creation order and stopping at a page."""

_ORDER_COLUMNS = {"creationDate": CREATED_COLUMN, "id": "id"}
_MAX_VALUES = 500
"""Most values one ``inq``/``nin`` pushes: SQLite caps a statement's parameters."""
_MAX_DEPTH = 32
"""Deepest ``or``/``nor`` nesting pushed: SQLite caps an expression's depth."""
_LITERAL_PREFIX = re.compile(r"\^([A-Za-z0-9_]*)")


@dataclass(frozen=True)
class ListingPlan:
    """How to answer one listing: an exact SQL condition, a residual ``where`` for Python,
    and the ``ORDER BY`` (``None`` when Python must sort)."""

    condition: Sql
    residual: dict[str, Any]
    order_by: str | None


def plan_listing(flt: LoopbackFilter) -> ListingPlan:
    """Split ``flt`` into what SQL answers and what Python must (see the module docstring)."""
    pushed, residual = split_where(flt.where)
    return ListingPlan(_all(pushed), residual, order_by(flt.order))


def split_where(where: Mapping[str, Any], depth: int = 0) -> tuple[list[Sql], dict[str, Any]]:
    """The conjuncts of ``where`` SQL states exactly, and the ``where`` of the rest."""
    pushed: list[Sql] = []
    residual: dict[str, Any] = {}
    leftover: list[dict[str, Any]] = []
    for key, condition in where.items():
        if key == "and":
            for sub in clause_list(condition, key):
                sub_pushed, sub_residual = split_where(sub, depth)
                pushed += sub_pushed
                if sub_residual:
                    leftover.append(sub_residual)
            continue
        clause = _clause(key, condition, depth)
        if clause is None:
            residual[key] = condition
        else:
            pushed.append(clause)
    if leftover:
        residual["and"] = leftover
    return pushed, residual


def order_by(order: Iterable[tuple[str, bool]]) -> str | None:
    """The SQL ``ORDER BY`` of a LoopBack ``order``, or ``None`` if it names other fields.

    Python sorted a list read oldest first, stably: rows the order ranks equal stay by
    creation date, then id, ascending, whichever direction the order asks for.
    """
    terms: list[str] = []
    used: set[str] = set()
    for field_name, descending in order:
        column = _ORDER_COLUMNS.get(field_name)
        if column is None:
            return None
        if column not in used:
            used.add(column)
            terms.append(f"{column} {'DESC' if descending else 'ASC'}")
    if "id" not in used:  # ids are unique: nothing ties after them
        terms += [f"{column} ASC" for column in (CREATED_COLUMN, "id") if column not in used]
    return ", ".join(terms)


# -- clauses -----------------------------------------------------------------------------


def _clause(key: str, condition: Any, depth: int) -> Sql | None:
    if key in ("or", "nor"):
        if depth >= _MAX_DEPTH:
            return None
        branches = [_exact(sub, depth + 1) for sub in clause_list(condition, key)]
        if not branches:  # an empty or/nor constrains nothing
            return TRUE
        if any(branch is None for branch in branches):
            return None
        either = _any([branch for branch in branches if branch is not None])
        return either if key == "or" else _not(either)
    if key in COMPARISONS:
        return _created({key: condition})
    if key == "creationDate":
        operators = _operators(condition)
        return None if operators is None else _created(operators)
    if key == "tags":
        return _tags(_operators(condition))
    column = FIELD_COLUMNS.get(key)
    if column is not None:
        return _column(_INDEX_BLIND.get(column, column), _operators(condition))
    return None


def _exact(where: Mapping[str, Any], depth: int) -> Sql | None:
    pushed, residual = split_where(where, depth)
    return None if residual else _all(pushed)


def _operators(condition: Any) -> dict[str, Any] | None:
    """``{operator: operand}`` of a condition; a plain value means ``eq``. ``None`` for an
    object to compare with, which only Python does."""
    if isinstance(condition, Mapping):
        return dict(condition) if is_operator_object(condition) else None
    return {"eq": condition}


def _column(column: str, operators: dict[str, Any] | None) -> Sql | None:
    if operators is None:
        return None
    options = operators.pop("options", None)
    parts: list[Sql] = []
    for op, operand in operators.items():
        if op in ("eq", "neq") and _plain_text(operand):
            parts.append(Sql(f"{column} {'=' if op == 'eq' else '!='} ?", (operand,)))
        elif op in ("inq", "nin") and (values := _texts(operand)) is not None:
            parts.append(_membership(column, values, negate=op == "nin"))
        elif op == "regexp" and options is None and (match := _LITERAL_PREFIX.fullmatch(operand)):
            prefix = match.group(1)
            parts.append(Sql(f"substr({column}, 1, {len(prefix)}) = ?", (prefix,)))
        else:
            return None
    return _all(parts)


def _tags(operators: dict[str, Any] | None) -> Sql | None:
    """``tags`` is an array: equality means "contains", ``nin`` "contains none of"."""
    if operators is None:
        return None
    operators.pop("options", None)
    parts: list[Sql] = []
    for op, operand in operators.items():
        if op in ("eq", "neq") and _plain_text(operand):
            values = [operand]
        elif op in ("inq", "nin") and (found := _texts(operand)) is not None:
            values = found
        else:
            return None
        if not values:
            parts.append(FALSE if op == "inq" else TRUE)
            continue
        marks = ", ".join("?" * len(values))
        has = Sql(
            f"EXISTS (SELECT 1 FROM {TAGS_TABLE} WHERE job_id = jobs.id AND tag IN ({marks}))",
            tuple(values),
        )
        parts.append(has if op in ("eq", "inq") else _not(has))
    return _all(parts)


def _created(operators: Mapping[str, Any]) -> Sql | None:
    """Bounds on ``creationDate``: exact over the millisecond text of ``created_at``."""
    parts: list[Sql] = []
    try:
        for op, operand in operators.items():
            if op == "options":
                continue
            if op == "between":
                low, high = (_instant(bound) for bound in operand)
                if low is None or high is None:
                    return None
                parts += [_created_op("gte", low), _created_op("lte", high)]
            elif op in ("eq", "gt", "gte", "lt", "lte"):
                moment = _instant(operand)
                if moment is None:
                    return None
                parts.append(_created_op(op, moment))
            else:
                return None
    except OverflowError:  # a bound at the end of time: leave it to Python
        return None
    return _all(parts)


def _created_op(op: str, moment: datetime) -> Sql:
    # created_at holds milliseconds; a bound with microseconds rounds the way that keeps
    # the comparison exact (a job at .123 is >= .1225 and > .1229, but not = .1225).
    floor = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    ceil = floor if floor == moment else floor + timedelta(milliseconds=1)
    if op == "eq":
        return Sql(f"{CREATED_COLUMN} = ?", (_stamp(moment),)) if floor == moment else FALSE
    symbol, bound = {
        "gt": (">", floor),
        "gte": (">=", ceil),
        "lt": ("<", ceil),
        "lte": ("<=", floor),
    }[op]
    return Sql(f"{CREATED_COLUMN} {symbol} ?", (_stamp(bound),))


# -- helpers -----------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    """``moment`` (UTC) as ``created_at`` text; years below 1000 zero-padded, unlike
    ``strftime``, so that text order stays time order."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def _instant(value: Any) -> datetime | None:
    return as_instant(value) if isinstance(value, str) else None


def _plain_text(value: Any) -> bool:
    """A string that Python compares as text (not as an instant)."""
    return isinstance(value, str) and as_instant(value) is None


def _texts(candidates: Any) -> list[str] | None:
    """The candidates of ``inq``/``nin`` that can equal a text column or tag, or ``None``
    when one needs Python's rules (a timestamp, or a list an array may equal)."""
    if len(candidates) > _MAX_VALUES:
        return None
    values: list[str] = []
    for candidate in candidates:
        if isinstance(candidate, list | dict):
            return None
        if isinstance(candidate, str):
            if as_instant(candidate) is not None:
                return None
            values.append(candidate)
        # None, numbers and booleans never equal a string: they cannot match.
    return values


def _membership(column: str, values: list[str], *, negate: bool) -> Sql:
    if not values:
        return TRUE if negate else FALSE
    marks = ", ".join("?" * len(values))
    return Sql(f"{column} {'NOT IN' if negate else 'IN'} ({marks})", tuple(values))


def _all(parts: Iterable[Sql]) -> Sql:
    kept = [part for part in parts if part != TRUE]
    if FALSE in kept:
        return FALSE
    if not kept:
        return TRUE
    if len(kept) == 1:
        return kept[0]
    return Sql(" AND ".join(f"({p.text})" for p in kept), tuple(v for p in kept for v in p.params))


def _any(parts: Iterable[Sql]) -> Sql:
    kept = [part for part in parts if part != FALSE]
    if TRUE in kept:
        return TRUE
    if not kept:
        return FALSE
    if len(kept) == 1:
        return kept[0]
    return Sql(" OR ".join(f"({p.text})" for p in kept), tuple(v for p in kept for v in p.params))


def _not(part: Sql) -> Sql:
    if part == TRUE:
        return FALSE
    if part == FALSE:
        return TRUE
    return Sql(f"NOT ({part.text})", part.params)
