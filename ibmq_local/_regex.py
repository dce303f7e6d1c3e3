"""Patterns of LoopBack filters (``regexp``, ``like``), matched in linear time with RE2.

Python's :mod:`re` backtracks: ``{"name": {"regexp": "(a+)+$"}}`` against a 24-character
job name takes seconds, and a listing applies the pattern to every job it reads. RE2
(``google-re2``) matches in time linear in the subject whatever the pattern, so a filter
cannot hold the service. The price is RE2's syntax: no backreferences and no lookaround,
which a filter is refused for (:class:`PatternError`, a 400 ``INVALID_FILTER``).

Patterns are also bounded in length (:data:`MAX_PATTERN_LENGTH`) and in the memory RE2
compiles them into (:data:`_MAX_PROGRAM_BYTES`), and compiled once per distinct pattern.
"""

from __future__ import annotations

import functools
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

__all__ = ["MAX_PATTERN_LENGTH", "LinearPattern", "PatternError", "compile_like", "compile_regexp"]

MAX_PATTERN_LENGTH = 1000
"""Longest ``regexp`` or ``like`` operand accepted, in characters."""
_MAX_PROGRAM_BYTES = 8 << 20
"""RE2's memory budget for one compiled pattern (its DFA cache included)."""
_FLAGS = {"i": "i", "m": "m", "s": "s"}
"""JavaScript regexp flags with an RE2 equivalent; others (``g``, ``u``, ``y``) change
nothing about whether a string matches."""


class PatternError(ValueError):
    """A pattern RE2 cannot compile, or one longer than :data:`MAX_PATTERN_LENGTH`."""


class LinearPattern:
    """A compiled pattern: :meth:`search` and :meth:`fullmatch`, like :class:`re.Pattern`."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str, compiled: Any) -> None:
        self.pattern = pattern
        self._compiled = compiled

    def search(self, text: str) -> object | None:
        """A match anywhere in ``text``, or ``None``."""
        return self._compiled.search(text)  # type: ignore[no-any-return]

    def fullmatch(self, text: str) -> object | None:
        """A match of the whole of ``text``, or ``None``."""
        return self._compiled.fullmatch(text)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"LinearPattern({self.pattern!r})"


def compile_regexp(expression: str, options: Any = None) -> LinearPattern:
    """Compile a LoopBack ``regexp`` operand: ``"^ab"`` or a JavaScript literal ``"/ab/i"``.

    ``options`` is the clause's ``options`` modifier; ``"i"`` in it ignores case.

    Raises:
        PatternError: when the pattern is too long or not valid RE2 syntax.
    """
    _check_length(expression)
    flags: set[str] = set()
    body = expression
    end = expression.rfind("/")
    letters = expression[end + 1 :]
    if expression.startswith("/") and end > 0 and all("a" <= c <= "z" for c in letters):
        body = expression[1:end]
        flags = {_FLAGS[letter] for letter in letters if letter in _FLAGS}
    if isinstance(options, str) and "i" in options:
        flags.add("i")
    return _compile(body, "".join(sorted(flags)))


def compile_like(expression: str, insensitive: bool) -> LinearPattern:
    """Compile a LoopBack ``like`` operand (``%``: any run of characters, ``_``: any one),
    to be used with :meth:`LinearPattern.fullmatch`.

    Raises:
        PatternError: when the pattern is too long.
    """
    _check_length(expression)
    parts = []
    for char in expression:
        if char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re2.escape(char))
    return _compile("".join(parts), "is" if insensitive else "s")


def _check_length(expression: str) -> None:
    if len(expression) > MAX_PATTERN_LENGTH:
        raise PatternError(
            f"patterns are limited to {MAX_PATTERN_LENGTH} characters, "
            f"this one has {len(expression)}"
        )


@functools.lru_cache(maxsize=256)
def _compile(body: str, flags: str) -> LinearPattern:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    options.max_mem = _MAX_PROGRAM_BYTES
    source = f"(?{flags}){body}" if flags else body
    try:
        compiled = re2.compile(source, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode(errors="replace")
        raise PatternError(f"invalid pattern {body!r}: {reason}") from None
    return LinearPattern(body, compiled)
