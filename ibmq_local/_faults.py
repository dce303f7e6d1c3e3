"""Fault injection: an ASGI middleware that makes some requests fail the way networks do.

``ibmq-local serve --fault-rate F --fault-seed S`` (or ``fault_rate`` / ``fault_seed`` in the
configuration, or ``LocalService(fault_rate=..., fault_seed=...)``) gives each request, with
probability ``F``, one of the :class:`Fault` kinds instead of its normal answer:

* HTTP 500, 502, 503, 504, 520 or 524 with the protocol's error body, the request not
  handled;
* HTTP 429 with ``Retry-After: 0`` or ``1``, the request not handled;
* :attr:`Fault.DROP_BEFORE`: the connection is closed before the request is handled, with
  no byte of a response (the client sees a transport error);
* :attr:`Fault.DROP_AFTER`: the request is handled to the end (whatever it changes is
  committed), then the connection is closed instead of the reply: the ambiguous case.

Every route takes part, login (``/version``, ``users/loginWithToken``, ``users/me``), the
object-storage routes (``/storage``) and the job-status websocket included; only the
OpenAPI documents (``/docs``, ``/redoc``, ``/openapi.json``) and the dashboard's files (``/``,
``/dashboard/...``) are spared. Login is not
exempt because the client retries it like any idempotent request (a second access token
is harmless). On the websocket, a status fault refuses the handshake with that status,
:attr:`Fault.DROP_BEFORE` accepts and drops the connection at once, and
:attr:`Fault.DROP_AFTER` drops it, without a close frame, right after the first message the
service sends.

Repeatable: one number is drawn per request (websocket connections included), in the order
requests reach the application, from a :class:`random.Random` seeded with the seed; the
same seed and the same sequence of requests give the same faults.

How the connection is dropped: ASGI has no "abort" message, so the middleware sends a
response start that the server must refuse (a header name with a space in it). Uvicorn marks
the response started before it validates the headers, so the refusal writes nothing, and when
the application then returns without completing a response uvicorn closes the connection:
the client sees the connection closed with no response at all
(``httpx.RemoteProtocolError: Server disconnected without sending a response``).
"""

from __future__ import annotations

import contextvars
import enum
import json
import logging
import random
import secrets
import threading
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ibmq_async._core.codes import ApiErrorCode

from .errors import error_body

__all__ = [
    "DROP_FAULTS",
    "FAULTS",
    "Fault",
    "FaultInjectionMiddleware",
    "FaultPlan",
    "FaultStats",
    "fault_plan",
    "install_faults",
]

logger = logging.getLogger(__name__)


class Fault(enum.StrEnum):
    """What an unlucky request gets instead of its answer."""

    HTTP_500 = "500"
    HTTP_502 = "502"
    HTTP_503 = "503"
    HTTP_504 = "504"
    HTTP_520 = "520"
    HTTP_524 = "524"
    RATE_LIMITED = "429"
    """HTTP 429 with a ``Retry-After`` of 0 or 1 second."""
    DROP_BEFORE = "drop-before"
    """The connection is closed before the request is handled."""
    DROP_AFTER = "drop-after"
    """The request is handled and committed, then the connection is closed unanswered."""

    @property
    def status(self) -> int | None:
        """The HTTP status this fault answers with; ``None`` for the dropped connections."""
        return None if self in DROP_FAULTS else int(self.value)


FAULTS: tuple[Fault, ...] = tuple(Fault)
"""Every kind, each drawn with the same probability; the order is part of the seeding."""
DROP_FAULTS = frozenset({Fault.DROP_BEFORE, Fault.DROP_AFTER})

EXEMPT_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/"})
"""Paths that never fail: the API documentation, which no client of the protocol uses, and
the dashboard's page (its API calls do take part, and retry)."""
EXEMPT_PREFIXES = ("/dashboard/",)
"""Path prefixes that never fail: the dashboard's script, style sheet and icon."""

_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    520: "Unknown Error",
    524: "A Timeout Occurred",
    429: "Too Many Requests",
}

_UNSENDABLE_HEADER = (b"x-injected fault", b"drop")
"""A header name the server refuses to send (it has a space): see the module docstring."""


@dataclass
class FaultStats:
    """How many requests a :class:`FaultPlan` saw and how many of each fault it injected."""

    seed: int
    """The seed of the draws: the same seed repeats the same faults."""
    requests: int = 0
    injected: dict[Fault, int] = field(default_factory=lambda: dict.fromkeys(FAULTS, 0))

    @property
    def total(self) -> int:
        """Faults injected, all kinds together."""
        return sum(self.injected.values())

    def describe(self) -> str:
        """One line: ``12 faults in 40 requests, seed 7 (500: 2, ..., drop-after: 1)``."""
        kinds = ", ".join(f"{fault.value}: {count}" for fault, count in self.injected.items())
        return f"{self.total} faults in {self.requests} requests, seed {self.seed} ({kinds})"


class FaultPlan:
    """The seeded draws: which request gets which fault.

    Args:
        rate: probability, from 0 to 1, that a request fails.
        seed: seed of the draws; ``None`` picks one at random (see :attr:`seed`, to
            repeat the run).

    Raises:
        ValueError: ``rate`` is not within [0, 1].
    """

    def __init__(self, rate: float, seed: int | None = None) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"the fault rate must be between 0 and 1, not {rate!r}")
        self.rate = float(rate)
        self.seed = secrets.randbits(32) if seed is None else int(seed)
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._stats = FaultStats(self.seed)

    def __repr__(self) -> str:
        return f"FaultPlan(rate={self.rate}, seed={self.seed})"

    def draw(self) -> tuple[Fault | None, float]:
        """The next request's fault (``None``: served normally), and a number in [0, 1)
        that picks the fault's details (the ``Retry-After`` of a 429).

        One uniform draw ``u`` decides both: the request fails when ``u < rate``, and
        ``u / rate`` (uniform in [0, 1) then) picks the kind and, from what is left, the
        details. Exactly one number is drawn per request, so the sequence of faults
        depends on the seed and the number of requests only.
        """
        with self._lock:
            u = self._random.random()
            self._stats.requests += 1
            if u >= self.rate:
                return None, 0.0
            scaled = u / self.rate * len(FAULTS)
            index = min(int(scaled), len(FAULTS) - 1)
            fault = FAULTS[index]
            self._stats.injected[fault] += 1
            return fault, scaled - index

    def stats(self) -> FaultStats:
        """A copy of the counts so far."""
        with self._lock:
            return FaultStats(self.seed, self._stats.requests, dict(self._stats.injected))


def install_faults(app: Starlette, rate: float, seed: int | None) -> FaultPlan | None:
    """Make ``app`` inject faults at ``rate`` (nothing when 0); return the plan.

    Call it after every other ``add_middleware``: the middleware must be the outermost.
    """
    if rate <= 0:
        return None
    plan = FaultPlan(rate, seed)
    app.add_middleware(FaultInjectionMiddleware, plan=plan)
    app.state.fault_plan = plan
    return plan


def fault_plan(app: Starlette) -> FaultPlan | None:
    """The plan :func:`install_faults` gave ``app``, if any."""
    plan = getattr(app.state, "fault_plan", None)
    return plan if isinstance(plan, FaultPlan) else None


def retry_after(detail: float) -> str:
    """The ``Retry-After`` of a 429 whose detail number is ``detail``: ``"0"`` or ``"1"``."""
    return "0" if detail < 0.5 else "1"


_dropping: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "ibmq_local_dropping", default=False
)


class _QuietDrops(logging.Filter):
    """Hides uvicorn's complaint about the incomplete response of a deliberate drop."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _dropping.get()


_quiet_drops = _QuietDrops()


def _hush_uvicorn() -> None:
    uvicorn_logger = logging.getLogger("uvicorn.error")
    if _quiet_drops not in uvicorn_logger.filters:
        uvicorn_logger.addFilter(_quiet_drops)


class _Dropped(BaseException):
    """Ends the application's websocket conversation where a fault drops it.

    A ``BaseException`` so that the routes' ``except Exception`` handlers let it through to
    the middleware, which ends the connection.
    """


class FaultInjectionMiddleware:
    """ASGI middleware that injects the faults of ``plan`` (see the module docstring).

    Install it outermost (``app.add_middleware`` last), so that nothing between it and the
    server holds back the response start it uses to drop a connection.

    Args:
        app: the application.
        plan: the draws.
    """

    def __init__(self, app: ASGIApp, plan: FaultPlan) -> None:
        self.app = app
        self.plan = plan
        _hush_uvicorn()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        path = scope.get("path", "")
        if (
            kind not in ("http", "websocket")
            or path in EXEMPT_PATHS
            or path.startswith(EXEMPT_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        fault, detail = self.plan.draw()
        if fault is None:
            await self.app(scope, receive, send)
            return
        logger.debug("injecting fault %s into %s %s", fault.value, kind, scope.get("path"))
        if kind == "http":
            await self._http(fault, detail, scope, receive, send)
        else:
            await self._websocket(fault, scope, receive, send)

    # -- HTTP -------------------------------------------------------------------------------

    async def _http(
        self, fault: Fault, detail: float, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if fault is Fault.DROP_BEFORE:
            await _drop(send)
            return
        if fault is Fault.DROP_AFTER:
            await self.app(scope, receive, _swallow)
            await _drop(send)
            return
        status = fault.status
        assert status is not None
        # Read the body first: the connection stays usable for the client's next request.
        await _drain(receive)
        body = _fault_body(status)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if status == 429:
            headers.append((b"retry-after", retry_after(detail).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    # -- websocket --------------------------------------------------------------------------

    async def _websocket(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        _dropping.set(True)  # uvicorn complains of the handshake refused or cut short
        status = fault.status
        if status is not None:
            if "websocket.http.response" in scope.get("extensions", {}):
                body = _fault_body(status)
                await send(
                    {
                        "type": "websocket.http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "websocket.http.response.body", "body": body})
            else:  # the server answers 403
                await send({"type": "websocket.close", "code": 1011})
            return
        if fault is Fault.DROP_BEFORE:
            # Returning once accepted, with no close frame, makes the server drop the socket.
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            return

        async def send_then_drop(message: Message) -> None:
            await send(message)
            if message["type"] == "websocket.send":
                raise _Dropped

        try:
            await self.app(scope, receive, send_then_drop)
        except _Dropped:
            return


def _fault_body(status: int) -> bytes:
    """The protocol's error body for an injected status (the service's internal-error code,
    the status's reason as the name)."""
    reason = _REASONS[status]
    return json.dumps(
        error_body(
            status,
            ApiErrorCode.INTERNAL_ERROR,
            reason.upper().replace(" ", "_"),
            f"{reason} (fault injected by ibmq-local)",
        )
    ).encode()


async def _swallow(message: Message) -> None:
    """A ``send`` that throws the response away (the request was handled all the same)."""


async def _drain(receive: Receive) -> None:
    """Read and drop the request body."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _drop(send: Send) -> None:
    """Close the connection with nothing sent (see the module docstring)."""
    _dropping.set(True)
    try:
        await send({"type": "http.response.start", "status": 500, "headers": [_UNSENDABLE_HEADER]})
    except Exception:  # the refusal we count on: nothing was written
        return
    # A server that sent it after all: the client gets a response that is cut short.
    logger.warning("the server sent a response start meant to be refused; cutting it short")
