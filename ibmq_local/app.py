"""The FastAPI application of the local service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ibmq_async._core.errors import HIDE_AUTHENTICATION_FRAMES

from ._calibrations import CalibrationHistory
from ._catalog import BackendCatalog
from ._faults import install_faults
from ._limits import BodySizeLimit
from ._pool import WorkerPool
from ._request_log import RequestLog
from ._scheduler import JobScheduler
from ._signing import UrlSigner
from ._state import ServiceState
from ._uploads import open_job_store
from .config import Settings
from .errors import ApiError, ApiErrorCode, error_body
from .routes import ROUTERS
from .routes._responses import install_openapi
from .routes.dashboard import router as dashboard_router

logger = logging.getLogger(__name__)

# The websocket server logs every frame at DEBUG, the status websocket's authentication frame
# (an access token) included: keep that one frame out of the service's logs.
for _name in ("uvicorn.error", "websockets.server"):
    logging.getLogger(_name).addFilter(HIDE_AUTHENTICATION_FRAMES)

_HTTP_ERRORS = {
    404: ApiErrorCode.NOT_FOUND,
    405: ApiErrorCode.METHOD_NOT_ALLOWED,
}
"""Framework errors (unknown route, wrong method) answered with the protocol's own codes."""


def create_app(
    settings: Settings,
    *,
    catalog: BackendCatalog | None = None,
    pool: WorkerPool | None = None,
    on_startup_error: Callable[[BaseException], None] | None = None,
) -> FastAPI:
    """Build the application serving ``settings``.

    The job store, scheduler and worker pool are opened by the app's lifespan, so the
    app must be run by a server that sends lifespan events (uvicorn does).

    Args:
        settings: see :func:`ibmq_local.config.load_settings`.
        catalog: backends to serve; by default the simulator plus every snapshot of the
            installed qiskit-ibm-runtime.
        pool: the worker pool; by default a spawn pool of ``settings.max_workers``.
        on_startup_error: called with the exception if the lifespan startup fails.
    """
    backends = catalog or BackendCatalog()
    calibrations = CalibrationHistory(backends, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            store = await open_job_store(settings.database_path, settings.data_dir)
            scheduler = JobScheduler(store, backends, settings, pool, calibrations)
            await scheduler.start()
        except BaseException as exc:
            if on_startup_error is not None:
                on_startup_error(exc)
            raise
        state = ServiceState(
            settings=settings,
            catalog=backends,
            store=store,
            scheduler=scheduler,
            signer=UrlSigner(settings.signing_secret, settings.url_ttl_seconds),
            calibrations=calibrations,
        )
        state.start_loading_catalog()
        app.state.service = state
        try:
            yield
        finally:
            await scheduler.close()
            await store.close()

    app = FastAPI(
        title="ibmq-local",
        summary="A local IBM Quantum service speaking the legacy qiskit-ibmq-provider protocol.",
        version="0.1.0",
        lifespan=lifespan,
    )
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(dashboard_router)  # the page at "/" (ibmq_local.dashboard)
    _install_error_handlers(app)
    install_openapi(app)  # 400s for bad requests, documented; no 422
    app.add_middleware(BodySizeLimit)  # 413 for API request bodies over 1 MiB
    app.add_middleware(RequestLog)  # X-Request-Id, and one INFO line per request
    install_faults(app, settings.fault_rate, settings.fault_seed)  # last: the outermost
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error.get('loc', ()))}: {error.get('msg', '')}"
            for error in exc.errors()
        )
        error = ApiError(ApiErrorCode.INVALID_REQUEST, f"Invalid request: {problems}")
        return JSONResponse(error.body(), status_code=error.status_code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_ERRORS.get(exc.status_code)
        if code is None:
            # Any other framework status keeps its own number under a generic name.
            body = error_body(
                exc.status_code, ApiErrorCode.INVALID_REQUEST, "HTTP_ERROR", str(exc.detail)
            )
        else:
            body = ApiError(code, str(exc.detail)).body()
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        error = ApiError(ApiErrorCode.INTERNAL_ERROR, "Internal error of the local service.")
        return JSONResponse(error.body(), status_code=error.status_code)
