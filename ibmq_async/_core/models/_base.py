"""Shared base for the wire models."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AliasGenerator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from ..dates import format_iso, server_time

UtcDatetime = Annotated[
    datetime,
    BeforeValidator(server_time),
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
