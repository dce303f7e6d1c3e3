"""Run the local service in-process: :class:`LocalService` and :func:`embedded_service`."""

from __future__ import annotations

import atexit
import ipaddress
import logging
import multiprocessing
import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import platformdirs
import uvicorn
from fastapi import FastAPI
from uvicorn.config import WS_PROTOCOLS

from .app import create_app
from .config import Settings, load_settings

logger = logging.getLogger(__name__)

_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 30.0


def default_data_dir() -> Path:
    """The per-user data directory of the local service (``platformdirs``)."""
    return Path(platformdirs.user_data_dir("ibmq-local"))


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind a listening TCP socket; ``port`` 0 picks a free port.

    Connections accepted on it have ``TCP_NODELAY`` set (see the comment below).
    """
    family = socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET
    # asyncio sets TCP_NODELAY on an accepted connection only when the socket object says
    # IPPROTO_TCP, and accepted sockets copy the listener's ``proto``: with the default 0,
    # Nagle's algorithm holds each response body until the client's delayed ACK of the
    # headers (about 40 ms per request on a kept-alive connection).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Linux also hands the listener's TCP_NODELAY down to accepted connections.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(False)
    return sock


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def url_host(host: str) -> str:
    """The host to put in URLs for a server bound to ``host``."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if _is_ipv6(host) else host


def websocket_implementation() -> str:
    """The uvicorn websocket protocol to serve the job-status websocket with.

    ``websockets`` is a dependency of the package, so its implementation is named outright
    rather than left to uvicorn's "auto" (which silently serves no websocket at all when it
    finds no library). The sans-I/O flavour is preferred: uvicorn's older one drives the
    legacy API that websockets 14 deprecated.
    """
    import websockets  # noqa: F401 - fail here, loudly, if the dependency is missing

    return "websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS else "websockets"


def uvicorn_config(app: FastAPI, *, log_level: str = "warning") -> uvicorn.Config:
    """Uvicorn settings shared by the embedded service and the CLI.

    ``log_config=None`` keeps uvicorn from reconfiguring the host application's logging.
    """
    return uvicorn.Config(
        app,
        log_config=None,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        ws=websocket_implementation(),
        timeout_graceful_shutdown=5,
    )


def _refuse_in_bootstrapping_child() -> None:
    # A spawn/forkserver child re-imports the parent's __main__ before it can work. If that
    # script starts the service at import time, doing so here would deadlock the worker.
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(
            "ibmq_local cannot start while a multiprocessing child process is importing the "
            "main module. Put the code that starts the service under "
            "`if __name__ == '__main__':`."
        )


class LocalService:
    """The local IBM Quantum service, served by uvicorn in a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop` (a service still
    running at interpreter exit is stopped then)::

        with LocalService(tmp_dir) as service:
            print(service.auth_url, service.token)

    Args:
        data_dir: directory of the configuration, tokens and job database; by default
            :func:`default_data_dir`.
        host: interface to bind; loopback by default.
        port: TCP port; 0 picks a free one (see :attr:`port`).
        token: API token of the default user; by default the one kept in the data
            directory (generated on first use).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
    ) -> None:
        self._data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self._host = host
        self._requested_port = port
        self._token_arg = token
        self._lock = threading.RLock()
        self._settings: Settings | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._startup_error: BaseException | None = None
        self._stop_at_exit = False

    # -- properties -----------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings in use (loaded from the data directory on first access)."""
        with self._lock:
            if self._settings is None:
                self._settings = load_settings(self._data_dir, token=self._token_arg)
            return self._settings

    @property
    def data_dir(self) -> Path:
        """The data directory."""
        return self._data_dir

    @property
    def token(self) -> str:
        """The API token of the default user."""
        return self.settings.default_user.api_token

    @property
    def port(self) -> int:
        """The TCP port the service listens on.

        Raises:
            RuntimeError: if the service has never been started.
        """
        if self._port is None:
            raise RuntimeError("the local service is not started")
        return self._port

    @property
    def auth_url(self) -> str:
        """The authentication URL to give the client, e.g. ``http://127.0.0.1:PORT/api``."""
        return f"http://{url_host(self._host)}:{self.port}/api"

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start serving; return once connections are accepted. Does nothing if running.

        Raises:
            RuntimeError: if the server failed to start.
            OSError: if the port cannot be bound.
        """
        with self._lock:
            if self.running:
                return
            _refuse_in_bootstrapping_child()
            self._settings = load_settings(self._data_dir, token=self._token_arg)
            sock = self._bind()
            self._startup_error = None
            app = create_app(self._settings, on_startup_error=self._record_startup_error)
            server = uvicorn.Server(uvicorn_config(app))
            thread = threading.Thread(
                target=self._serve, args=(server, sock), name="ibmq-local-server", daemon=True
            )
            self._server, self._thread = server, thread
            self._port = sock.getsockname()[1]
            if not self._stop_at_exit:
                atexit.register(self.stop)
                self._stop_at_exit = True
            thread.start()
            deadline = time.monotonic() + _START_TIMEOUT
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    thread.join(_STOP_TIMEOUT)
                    self._server = self._thread = None
                    error = self._startup_error
                    raise RuntimeError(f"the local service failed to start: {error!r}") from error
                time.sleep(0.005)
            logger.info("local IBM Quantum service listening on %s", self.auth_url)

    def stop(self) -> None:
        """Shut down gracefully: finish requests, stop workers, wait for the thread."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None or thread is None:
                return
            server.should_exit = True
            if thread is threading.current_thread():
                return
            thread.join(_STOP_TIMEOUT)
            if thread.is_alive():
                logger.warning("the local service did not stop within %s s", _STOP_TIMEOUT)

    def __enter__(self) -> LocalService:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.auth_url if self._port is not None else "not started"
        return f"<LocalService {where} data_dir={str(self._data_dir)!r}>"

    # -- internals ------------------------------------------------------------------------

    def _bind(self) -> socket.socket:
        port = self._requested_port or self._port or 0
        try:
            return bind_socket(self._host, port)
        except OSError:
            if self._requested_port or not self._port:
                raise
            # A restart could not get its previous port back: any free port will do.
            return bind_socket(self._host, 0)

    def _record_startup_error(self, error: BaseException) -> None:
        self._startup_error = error

    def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit on startup failure included
            if self._startup_error is None:
                self._startup_error = exc
            logger.debug("local service thread ended with %r", exc)
        finally:
            sock.close()


_embedded: dict[Path, LocalService] = {}
_embedded_lock = threading.Lock()
_atexit_registered = False


def embedded_service(data_dir: str | os.PathLike[str] | None = None) -> LocalService:
    """The process-wide service for ``data_dir``, started on first call.

    Thread-safe. Every service started this way is stopped at interpreter exit.
    """
    global _atexit_registered
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    path = path.expanduser().resolve()
    with _embedded_lock:
        service = _embedded.get(path)
        if service is None:
            service = LocalService(path)
            _embedded[path] = service
        if not _atexit_registered:
            atexit.register(_stop_embedded)
            _atexit_registered = True
        try:
            service.start()
        except BaseException:
            _embedded.pop(path, None)
            raise
        return service


def _stop_embedded() -> None:
    with _embedded_lock:
        services = list(_embedded.values())
        _embedded.clear()
    for service in services:
        try:
            service.stop()
        except Exception:  # interpreter exit: report, never raise
            logger.exception("failed to stop %r", service)
