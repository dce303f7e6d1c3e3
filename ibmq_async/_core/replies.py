"""Reply parsing for every endpoint: bytes in, a validated model out, or a typed error.

Nothing here does I/O. Each function takes what the server sent and the error family and
context of the request; a reply that does not follow the protocol (not JSON, nested too deeply,
a list for an object, a missing or mistyped field) raises the family's protocol error, never a
raw ``ValidationError``, ``KeyError``, ``TypeError``, ``JSONDecodeError`` or ``RecursionError``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from .defaults import ReplyLimits
from .errors import ErrorFamily, protocol_error, redact
from .gc_pause import gc_paused
from .models.account import HubInfo, LoginResponse, UserInfo
from .models.configuration import BackendConfiguration
from .models.job import CancelResponse, JobDocument
from .models.properties import BackendProperties
from .models.status import BackendStatus, BackendStatusResponse

logger = logging.getLogger("ibmq_async")

_M = TypeVar("_M", bound=BaseModel)


MAX_DEPTH = ReplyLimits.depth
"""The deepest nesting of a reply :func:`decode` accepts by default."""


def decode(
    content: bytes,
    family: ErrorFamily,
    context: str,
    status_code: int = -1,
    secrets: tuple[str, ...] = (),
    *,
    content_type: str | None = None,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """The JSON value of a reply body; ``secrets`` are kept out of the error's snippet.

    ``content_type`` is checked when given: a reply that says it is HTML, XML or anything
    else but JSON (or plain text) is refused even if its body happens to parse. A value
    nested deeper than ``max_depth`` is refused too.
    """
    check_content_type(content_type, family, context, status_code)
    try:
        value = json.loads(content)
    except RecursionError:
        raise protocol_error(family, context, "JSON nested too deeply", status_code) from None
    except (ValueError, UnicodeDecodeError):
        snippet = redact(content[:200].decode("utf-8", "replace"), secrets)
        raise protocol_error(family, context, f"not JSON ({snippet!r})", status_code) from None
    check_depth(content, max_depth, family, context, status_code)
    return value


def check_content_type(
    content_type: str | None, family: ErrorFamily, context: str, status_code: int = -1
) -> None:
    """Refuse a reply whose ``Content-Type`` cannot hold JSON (``None``: not checked)."""
    if content_type is not None and not acceptable_content_type(content_type):
        media = content_type.split(";")[0].strip()[:100]
        raise protocol_error(
            family, context, f"content type {media!r} instead of JSON", status_code
        )


def check_depth(
    content: bytes, max_depth: int, family: ErrorFamily, context: str, status_code: int = -1
) -> None:
    """Refuse a reply (valid JSON) that nests lists and objects more than ``max_depth`` deep."""
    if json_too_deep(content, max_depth):
        raise protocol_error(
            family, context, f"JSON nested more than {max_depth} levels deep", status_code
        )


def acceptable_content_type(content_type: str) -> bool:
    """Whether a reply of this ``Content-Type`` may hold the JSON the protocol sends: any
    JSON type (``application/json``, ``application/problem+json``, ``text/json``), or plain
    text, which some gateways claim for JSON."""
    media = content_type.split(";")[0].strip().lower()
    return not media or media.endswith(("/json", "+json")) or media == "text/plain"


_KEEP_BRACKETS_AND_QUOTES = bytes(set(range(256)) - set(b'[]{}"'))
_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")


def json_too_deep(content: bytes, limit: int) -> bool:
    """Whether ``content`` (valid JSON text) nests lists and objects more than ``limit`` deep.

    Read from the bytes, without the decoded value (a page validated straight from its bytes
    has none): the strings' contents are cut out, so brackets inside them do not count, then
    each pass removes the innermost bracket pairs; the depth is the number of passes. Every
    step is a bytes operation; a page of 100 job documents takes about 50 us.
    """
    if b"\\" in content:
        # An escaped backslash, then an escaped quote, is no quote: neither ends a string.
        content = content.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = content.translate(None, _KEEP_BRACKETS_AND_QUOTES)
    if len(marks) <= limit:
        return False
    # Two quotes in a row close a string and open the next, or hold an empty one: either way
    # nothing outside the strings lies between them.
    marks = marks.replace(b'""', b"")
    if b'"' in marks:
        marks = b"".join(marks.split(b'"')[::2])  # the strings left each hold a bracket
    nesting = marks.translate(_PARENTHESES)
    for _ in range(limit):
        shorter = nesting.replace(b"()", b"")
        if shorter == nesting:
            break  # unbalanced: not JSON, as the parser says
        nesting = shorter
    return b"()" in nesting  # pairs left after ``limit`` passes: deeper than that


def _describe(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'reply'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)[:3]
    ]
    more = error.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def parse(model: type[_M], payload: Any, family: ErrorFamily, context: str) -> _M:
    """``payload`` as a ``model``; it must be a JSON object."""
    if not isinstance(payload, dict):
        raise protocol_error(family, context, f"expected an object, got {type(payload).__name__}")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise protocol_error(family, context, _describe(exc)) from None
    except RecursionError:
        raise protocol_error(family, context, "nested too deeply") from None


def parse_list(model: type[_M], payload: Any, family: ErrorFamily, context: str) -> list[_M]:
    """``payload`` as a list of ``model``; every item must be valid."""
    if not isinstance(payload, list):
        raise protocol_error(family, context, f"expected a list, got {type(payload).__name__}")
    return [parse(model, item, family, f"{context}, item {i}") for i, item in enumerate(payload)]


def version(payload: Any, family: ErrorFamily, context: str) -> dict[str, Any]:
    """``GET {auth}/version``: an object with an ``api-auth`` key."""
    if not isinstance(payload, dict) or "api-auth" not in payload:
        raise protocol_error(family, context, "no 'api-auth' version")
    return payload


def login(payload: Any, family: ErrorFamily, context: str) -> LoginResponse:
    """``POST {auth}/users/loginWithToken``: the access token as ``id``."""
    return parse(LoginResponse, payload, family, context)


def user_info(payload: Any, family: ErrorFamily, context: str) -> UserInfo:
    """``GET {auth}/users/me``: the account's URLs."""
    return parse(UserInfo, payload, family, context)


def hubs(payload: Any, family: ErrorFamily, context: str) -> list[HubInfo]:
    """``GET {http}/Network``: the hub/group/project tree."""
    return parse_list(HubInfo, payload, family, context)


def configurations(payload: Any, family: ErrorFamily, context: str) -> list[BackendConfiguration]:
    """``GET {hgp}/devices/v/1``: the backend configurations.

    A malformed configuration is skipped with a warning, so one broken device does not hide
    the others; a reply that is not a list is an error.
    """
    if not isinstance(payload, list):
        raise protocol_error(family, context, f"expected a list, got {type(payload).__name__}")
    found = []
    for index, raw in enumerate(payload):
        try:
            found.append(parse(BackendConfiguration, raw, family, f"backend {index}"))
        except family.protocol as exc:
            logger.warning("Skipping a backend with a malformed configuration: %s", exc)
    return found


def optional(model: type[_M], payload: Any, family: ErrorFamily, context: str) -> _M | None:
    """A document that may be absent: ``{}`` or ``null`` mean none (properties, defaults)."""
    if payload is None or payload == {}:
        return None
    return parse(model, payload, family, context)


def uploaded_job(payload: Any, family: ErrorFamily, context: str) -> JobDocument:
    """``POST {job}/jobDataUploaded``: ``{"job": <job document>}``."""
    if not isinstance(payload, dict) or "job" not in payload:
        raise protocol_error(family, context, "no 'job' document")
    return parse(JobDocument, payload["job"], family, context)


def cancelled(payload: Any, family: ErrorFamily, context: str) -> bool:
    """``POST {job}/cancel``: whether the server says the job was cancelled."""
    reply = parse(CancelResponse, payload, family, context)
    return reply.cancelled and "error" not in (reply.model_extra or {})


def presigned_url(url: str, family: ErrorFamily, context: str) -> str:
    """A presigned object-storage URL from a reply: it must be an absolute http(s) URL."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
    if scheme.lower() not in ("http", "https") or not host:
        raise protocol_error(family, context, "the storage URL is not an http(s) URL")
    return url


def result(payload: Any, family: ErrorFamily, context: str) -> dict[str, Any]:
    """A downloaded Result document: an object with a ``results`` list."""
    if not isinstance(payload, dict):
        raise protocol_error(family, context, f"expected an object, got {type(payload).__name__}")
    results = payload.get("results")
    if results is not None and (
        not isinstance(results, list) or not all(isinstance(r, dict) for r in results)
    ):
        raise protocol_error(family, context, "'results' is not a list of objects")
    return payload


def backend_status(payload: Any, backend: str, family: ErrorFamily, context: str) -> BackendStatus:
    """``GET {bk}/queue/status``, as qiskit's ``BackendStatus``."""
    return BackendStatus.from_response(
        backend, parse(BackendStatusResponse, payload, family, context)
    )


def properties(
    payload: Any, backend: str, family: ErrorFamily, context: str
) -> BackendProperties | None:
    """``GET {bk}/properties``: ``{}`` when the backend has none. The reply may leave out
    ``backend_name``; it is the backend asked about."""
    if isinstance(payload, dict) and payload:
        payload = {**payload, "backend_name": backend}
    return optional(BackendProperties, payload, family, context)


class JobsPage:
    """A page of a job listing: the ``(id, creationDate)`` of every item received, for the
    keyset cursor (dates verbatim, as the server wrote them), and the documents that parse.

    The keys are read at once; the documents may be read on first use, so that a listing can
    ask for its next page before it validates this one.
    """

    def __init__(
        self,
        keys: list[tuple[str, str]],
        documents: list[JobDocument] | Callable[[], list[JobDocument]],
    ) -> None:
        self.keys = keys
        self._documents = documents

    @property
    def documents(self) -> list[JobDocument]:
        """The documents that parse, in the order received (malformed ones skipped)."""
        if callable(self._documents):
            self._documents = self._documents()
        return self._documents


def jobs_page(payload: Any, family: ErrorFamily, context: str) -> JobsPage:
    """``GET {hgp}/Jobs/status/v/1``: a list of job documents.

    A malformed document is skipped with a warning, as the legacy client did; an item without
    ``id`` and ``creationDate``, or a reply that is not a list, is an error, since paging cannot
    go on from it.
    """
    if not isinstance(payload, list):
        raise protocol_error(family, context, f"expected a list, got {type(payload).__name__}")
    documents: list[JobDocument] = []
    keys: list[tuple[str, str]] = []
    for index, raw in enumerate(payload):
        job_id = raw.get("id") if isinstance(raw, dict) else None
        created = raw.get("creationDate") if isinstance(raw, dict) else None
        if not isinstance(job_id, str) or not isinstance(created, str):
            raise protocol_error(family, context, f"job {index} has no id and creationDate")
        keys.append((job_id, created))
        try:
            documents.append(parse(JobDocument, raw, family, f"job {job_id}"))
        except family.protocol as exc:
            logger.warning("Skipping a malformed job document: %s", exc)
    return JobsPage(keys, documents)


class _PageKey(TypedDict):
    """What the keyset cursor needs of a listed job, its creation date verbatim."""

    id: str
    creationDate: str


_UNCACHED = ConfigDict(cache_strings="keys")
"""pydantic's JSON parser caches the strings it reads: the values of a listing (ids, dates)
are mostly unique and would only fill its cache (a megabyte over a long walk)."""
_PAGE = TypeAdapter(list[JobDocument], config=_UNCACHED)
_PAGE_KEYS = TypeAdapter(list[_PageKey], config=_UNCACHED)


def jobs_page_json(
    content: bytes,
    family: ErrorFamily,
    context: str,
    status_code: int = -1,
    secrets: tuple[str, ...] = (),
    *,
    content_type: str | None = None,
    max_depth: int = MAX_DEPTH,
) -> JobsPage:
    """``GET {hgp}/Jobs/status/v/1`` from the reply's bytes, as :func:`decode` and then
    :func:`jobs_page` would parse it; the documents are validated on first use.

    Valid JSON is validated straight from the bytes, in pydantic's JSON parser, without
    first building the decoded value (a third of the time and of the objects, measured by
    ``bench/listing.py``): the cursor's keys now, the documents later. Anything else (an
    item without its keys, a reply that is not a list, not JSON at all, a malformed document
    to skip) takes the decoded path, so it is refused or skipped exactly as there. The
    collector is paused meanwhile (see :mod:`.gc_pause`).
    """

    def decoded() -> JobsPage:
        payload = decode(content, family, context, status_code, secrets, max_depth=max_depth)
        return jobs_page(payload, family, context)

    check_content_type(content_type, family, context, status_code)
    with gc_paused():
        try:
            keys = _PAGE_KEYS.validate_json(content)
        except ValidationError:
            return decoded()
    check_depth(content, max_depth, family, context, status_code)

    def documents() -> list[JobDocument]:
        with gc_paused():
            try:
                return _PAGE.validate_json(content)
            except ValidationError:
                return decoded().documents

    return JobsPage([(key["id"], key["creationDate"]) for key in keys], documents)


def updated(payload: Any, sent: dict[str, Any], family: ErrorFamily, context: str) -> None:
    """``PUT {job}``: the reply must echo what was sent (tags as a set)."""
    if not isinstance(payload, dict):
        raise protocol_error(family, context, f"expected an object, got {type(payload).__name__}")
    for key, value in sent.items():
        echoed = payload.get(key)
        same = (
            isinstance(echoed, list) and set(map(str, echoed)) == set(value)
            if key == "tags"
            else echoed == value
        )
        if not same:
            raise family.api(f"{context}: the job's {key} was not updated.")


def qobj(payload: Any, family: ErrorFamily, context: str) -> dict[str, Any]:
    """A downloaded Qobj: a JSON object."""
    if not isinstance(payload, dict):
        raise protocol_error(family, context, f"expected an object, got {type(payload).__name__}")
    return payload
