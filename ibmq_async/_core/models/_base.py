"""Shared base for the wire models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AliasGenerator,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.alias_generators import to_camel

from ..dates import as_utc, format_iso, server_time


def _utc_datetime(value: object, parse: ValidatorFunctionWrapHandler) -> datetime:
    """pydantic's own datetime parsing (in Rust, the fast common case), then UTC; a timestamp
    only :func:`server_time` reads (an hour without minutes, an offset in hours) is read
    through it, as before."""
    try:
        moment: datetime = parse(value)
    except ValidationError:
        moment = parse(server_time(value))
    return as_utc(moment)


UtcDatetime = Annotated[
    datetime,
    WrapValidator(_utc_datetime),
    PlainSerializer(format_iso, return_type=str, when_used="json"),
]
"""A timezone-aware datetime; a server time without an offset is taken as UTC. In JSON it is
written the way the API writes it (``2023-02-01T10:00:00.000Z``)."""


class WireModel(BaseModel):
    """A server document: snake_case in Python, camelCase on the wire, unknown fields kept."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=AliasGenerator(validation_alias=to_camel, serialization_alias=to_camel),
    )


class SnakeModel(BaseModel):
    """A server document whose wire names are already snake_case; unknown fields kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
