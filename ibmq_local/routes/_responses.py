"""What the OpenAPI document says the routes answer: the real error statuses, each with the
protocol's error body (section 7.2), and never FastAPI's 422 (validation errors are 400s).

Routers declare the errors every route of theirs can give (``APIRouter(responses=...)``);
routes add their own (``@router.get(..., responses=errors(409))``). :func:`install_openapi`
drops the 422 FastAPI documents on its own, and the schemas only it used.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ErrorBody", "ErrorDetail", "errors", "install_openapi"]

_DESCRIPTIONS = {
    400: "Malformed request: body, parameter or filter (or an unusable job state).",
    401: "Missing, unknown or expired access token (or API token, at login).",
    403: "Not a member of the project, a job only shared with the caller, or a bad or "
    "expired presigned URL.",
    404: "No such project, backend or job (or not visible to the caller).",
    409: "The job's data was already submitted, or an Idempotency-Key was reused for "
    "another job request.",
    413: "Request body (or upload) larger than the service accepts.",
}


class ErrorDetail(BaseModel):
    """``error`` of the error body."""

    model_config = ConfigDict(populate_by_name=True)

    code: int = Field(description="The protocol's error code (e.g. 3250: job not found).")
    message: str
    name: str = Field(description="Symbolic name of the code.")
    status_code: int = Field(alias="statusCode", description="The HTTP status.")


class ErrorBody(BaseModel):
    """The error body of every 4xx and 5xx reply (protocol 7.2)."""

    error: ErrorDetail


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries for these error statuses, with the error body."""
    return {
        status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses
    }


ANY_REQUEST = errors(413)
"""Errors any route can give: any request's body is size-limited (:mod:`.._limits`)."""
AUTHENTICATED = errors(400, 401, 413)
"""Errors of a route that needs the access token."""
IN_PROJECT = errors(400, 401, 403, 404, 413)
"""Errors of a route under ``{hgp}``: the caller's project, a backend or a job."""

_FASTAPI_ONLY = ("HTTPValidationError", "ValidationError")


def install_openapi(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document leave out the 422 responses no route gives."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                if isinstance(operation, dict):
                    operation.get("responses", {}).pop("422", None)
        schemas = schema.get("components", {}).get("schemas", {})
        for name in _FASTAPI_ONLY:
            schemas.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
