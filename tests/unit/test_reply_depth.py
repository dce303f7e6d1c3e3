"""The depth bound read from a reply's bytes, against the depth of the decoded value."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from ibmq_async._core.replies import json_too_deep

TRICKY = ['"', "\\", "\\\\", '\\"', "[", "]", "{", "}", '"]', '["', "\\[", "}{", "x", "", "é"]
"""Pieces of strings that could fool a byte-level reading: quotes, escapes and brackets."""


def depth(value: Any) -> int:
    """How deeply lists and objects nest in a decoded value (a scalar: 0)."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def tricky_string(rng: random.Random) -> str:
    return "".join(rng.choice(TRICKY) for _ in range(rng.randrange(4)))


def random_value(rng: random.Random, room: int) -> Any:
    roll = rng.random()
    if room == 0 or roll < 0.3:
        return rng.choice([tricky_string(rng), 1, -2.5, True, None, ""])
    if roll < 0.65:
        return [random_value(rng, room - 1) for _ in range(rng.randrange(4))]
    return {tricky_string(rng): random_value(rng, room - 1) for _ in range(rng.randrange(4))}


@pytest.mark.parametrize("seed", range(40))
def test_the_byte_reading_agrees_with_the_decoded_depth(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        value = random_value(rng, rng.randrange(12))
        for ensure_ascii in (True, False):
            content = json.dumps(value, ensure_ascii=ensure_ascii).encode()
            actual = depth(value)
            for limit in range(max(actual - 2, 0), actual + 2):
                assert json_too_deep(content, limit) == (actual > limit), (content, limit)


@pytest.mark.parametrize(
    ("text", "deepest"),
    [
        ('"[[[[[["', 0),
        ('["]]]]", [[["\\"[[["]]]]', 4),
        ('{"a\\\\": [[{"b": "\\\\\\"{{"}]]}', 4),
        ("[[], [[]], [[[]]], []]", 4),
        ("  [ [ ] ,\n [ ] ]  ", 2),
        ("[" * 300 + "]" * 300, 300),
        ('["", "", ""]', 1),
    ],
)
def test_written_out_cases(text: str, deepest: int) -> None:
    assert depth(json.loads(text)) == deepest
    content = text.encode()
    assert not json_too_deep(content, deepest)
    if deepest:
        assert json_too_deep(content, deepest - 1)


def test_unbalanced_text_is_left_to_the_parser() -> None:
    # Not JSON: the decoder reports it; the depth bound must not call it deep instead.
    assert not json_too_deep(b"[[[[[[", 2)
