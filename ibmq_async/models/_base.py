"""Shared base for the wire models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AliasGenerator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel


def _aware_utc(value: Any) -> Any:
    """Read a server timestamp as UTC: the API sends UTC, sometimes without an offset."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


UtcDatetime = Annotated[datetime, BeforeValidator(_aware_utc)]
"""A timezone-aware datetime; a server time without an offset is taken as UTC."""


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
