"""Run the local service in-process: :class:`LocalService` and :func:`embedded_service`.

One process serves a data directory at a time (see :mod:`ibmq_local._datadir_lock`); the
embedded service of any other process on it attaches to that one over loopback.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import logging
import multiprocessing
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import platformdirs
import uvicorn
from fastapi import FastAPI
from uvicorn.config import WS_PROTOCOLS

from ._datadir_lock import DataDirInUse, DataDirLock, RunningService
from ._faults import FaultPlan, FaultStats, fault_plan
from .app import create_app
from .config import Settings, load_settings

__all__ = [
    "DataDirInUse",
    "LocalService",
    "ServiceStartError",
    "bind_socket",
    "default_data_dir",
    "embedded_service",
    "url_host",
    "uvicorn_config",
    "websocket_implementation",
]

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


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


@contextlib.contextmanager
def _host_logging_kept() -> Iterator[None]:
    """Undo what ``uvicorn.Config`` does to the process-wide uvicorn loggers' levels.

    Those loggers belong to the host application too: an app served by uvicorn that embeds
    the service would otherwise lose its own "Uvicorn running on ..." lines. Without any
    logging configured, the embedded service still prints nothing (Python's last-resort
    handler shows warnings only).
    """
    levels = {name: logging.getLogger(name).level for name in UVICORN_LOGGERS}
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _refuse_in_bootstrapping_child() -> None:
    # A spawn/forkserver child re-imports the parent's __main__ before it can work. If that
    # script starts the service at import time, doing so here would deadlock the worker.
    if getattr(multiprocessing.current_process(), "_inheriting", False):
        raise RuntimeError(
            "ibmq_local cannot start while a multiprocessing child process is importing the "
            "main module. Put the code that starts the service under "
            "`if __name__ == '__main__':`."
        )


def _call_at_exit(callback: Callable[[], None]) -> None:
    """Run ``callback`` at interpreter exit, before the executors' threads are joined.

    ``atexit`` callbacks run only after ``concurrent.futures`` has joined every executor
    thread, one of which may be waiting for a running simulation, and after which the
    service's event loop can no longer use threads at all. Hooks registered with
    ``threading._register_atexit`` run before that, newest first.
    """
    import concurrent.futures.thread  # noqa: F401 - its hook must be registered before ours

    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        try:
            register(callback)
            return
        except RuntimeError:  # the interpreter is already shutting down
            pass
    atexit.register(callback)


class ServiceStartError(RuntimeError):
    """The local service could not start (its message says why, on one line)."""


class LocalService:
    """The local IBM Quantum service, served by uvicorn in a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop` (a service still
    running at interpreter exit is stopped then, promptly: a job still running is
    abandoned and queued again, to run when a service next starts on the data directory)::

        with LocalService(tmp_dir) as service:
            print(service.auth_url, service.token)

    One process at a time serves a data directory. With ``attach=True``, a service whose
    data directory another process already serves uses that one instead (see
    :attr:`attached`), and takes over serving it, on the same port and with the same token,
    within a moment of that process ending: clients keep their URL. A request in flight
    while the other process ends fails with a connection error; a job it left running
    runs again here.

    Args:
        data_dir: directory of the configuration, tokens and job database; by default
            :func:`default_data_dir`.
        host: interface to bind; loopback by default.
        port: TCP port; 0 picks a free one (see :attr:`port`).
        token: API token of the default user; by default the one kept in the data
            directory (generated on first use).
        attach: use the service of another process that serves ``data_dir`` already,
            instead of failing with :class:`DataDirInUse`.
        fault_rate: probability that a request gets an injected fault (see
            :mod:`ibmq_local._faults`); by default the configuration's ``fault_rate`` (0).
        fault_seed: seed of the injected faults; by default the configuration's
            ``fault_seed``, else a random one (see :attr:`faults`).
        idempotency_keys: whether job creation honours an ``Idempotency-Key`` header; by
            default the configuration's ``idempotency_keys`` (on).
        websocket: whether the job-status websocket is served (``False`` refuses every
            handshake, so clients poll); by default the configuration's ``websocket`` (on).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        attach: bool = False,
        fault_rate: float | None = None,
        fault_seed: int | None = None,
        idempotency_keys: bool | None = None,
        websocket: bool | None = None,
    ) -> None:
        self._data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self._host = host
        self._requested_port = port
        self._token_arg = token
        self._attach = attach
        self._fault_rate = fault_rate
        self._fault_seed = fault_seed
        self._idempotency_keys = idempotency_keys
        self._websocket = websocket
        self._fault_plan: FaultPlan | None = None
        self._lock = threading.RLock()
        self._settings: Settings | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._startup_error: BaseException | None = None
        self._stop_at_exit = False
        self._attached: RunningService | None = None
        self._watcher: threading.Thread | None = None
        self._stop_watching = threading.Event()

    # -- properties -----------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The settings in use (loaded from the data directory on first access)."""
        with self._lock:
            if self._settings is None:
                self._settings = self._load_settings()
            return self._settings

    @property
    def data_dir(self) -> Path:
        """The data directory."""
        return self._data_dir

    @property
    def token(self) -> str:
        """The API token of the default user (of the serving process, when attached)."""
        attached = self._attached
        if attached is not None:
            return attached.token
        return self.settings.default_user.api_token

    @property
    def port(self) -> int:
        """The TCP port the service listens on.

        Raises:
            RuntimeError: if the service has never been started.
        """
        attached = self._attached
        if attached is not None:
            port = urlsplit(attached.auth_url).port
            if port is not None:
                return port
        if self._port is None:
            raise RuntimeError("the local service is not started")
        return self._port

    @property
    def auth_url(self) -> str:
        """The authentication URL to give the client, e.g. ``http://127.0.0.1:PORT/api``."""
        attached = self._attached
        if attached is not None:
            return attached.auth_url
        return f"http://{url_host(self._host)}:{self.port}/api"

    @property
    def faults(self) -> FaultStats | None:
        """Requests seen and faults injected so far by this process's server, with the
        seed that repeats them (:attr:`FaultStats.seed`); ``None`` when faults are off."""
        plan = self._fault_plan
        return plan.stats() if plan is not None else None

    @property
    def attached(self) -> bool:
        """Whether another process serves the data directory, and this object uses it."""
        return self._attached is not None

    @property
    def running(self) -> bool:
        """Whether the service is usable: served by this process's thread, or attached."""
        thread, watcher = self._thread, self._watcher
        if thread is not None and thread.is_alive():
            return True
        return self._attached is not None and watcher is not None and watcher.is_alive()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start serving (or attach); return once connections are accepted.

        Does nothing if running.

        Raises:
            DataDirInUse: another process serves the data directory (and ``attach`` is
                false, or it never published its address).
            ServiceStartError: if the server failed to start.
            OSError: if the port cannot be bound.
        """
        with self._lock:
            if self.running:
                return
            _refuse_in_bootstrapping_child()
            hold = self._hold_or_attach()
            if hold is not None:
                self._serve_holding(hold, self._requested_port or self._port or 0)

    def stop(self) -> None:
        """Shut down gracefully: finish requests, stop workers, wait for the thread.

        When attached, only stop using the other process's service.
        """
        self._stop(_STOP_TIMEOUT)

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
        if self._attached is not None:
            where = f"attached to {self._attached.auth_url} (pid {self._attached.pid})"
        else:
            where = self.auth_url if self._port is not None else "not started"
        return f"<LocalService {where} data_dir={str(self._data_dir)!r}>"

    # -- internals ------------------------------------------------------------------------

    def _load_settings(self) -> Settings:
        return load_settings(
            self._data_dir,
            token=self._token_arg,
            fault_rate=self._fault_rate,
            fault_seed=self._fault_seed,
            idempotency_keys=self._idempotency_keys,
            websocket=self._websocket,
        )

    def _hold_or_attach(self) -> DataDirLock | None:
        """Take the data directory, or attach to its server (``None``); lock held."""
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            try:
                return DataDirLock.acquire(self._data_dir)
            except DataDirInUse as exc:
                if not self._attach:
                    raise
                if exc.running is not None:
                    self._attach_to(exc.running)
                    return None
                if time.monotonic() > deadline:
                    raise  # its holder never published an address
            # The holder is starting: it publishes its address once it listens.
            time.sleep(_ATTACH_POLL)

    def _attach_to(self, running: RunningService) -> None:
        self._attached = running
        self._stop_watching = threading.Event()
        watcher = threading.Thread(
            target=self._watch_owner,
            args=(self._stop_watching,),
            name="ibmq-local-takeover",
            daemon=True,
        )
        self._watcher = watcher
        self._arrange_stop_at_exit()
        watcher.start()
        logger.info("using the local service of process %s at %s", running.pid, running.auth_url)

    def _watch_owner(self, stop: threading.Event) -> None:
        """While attached: once the serving process is gone, serve in its place."""
        while not stop.wait(_TAKEOVER_POLL):
            try:
                hold = DataDirLock.acquire(self._data_dir)
            except DataDirInUse as exc:
                if exc.running is not None:
                    self._attached = exc.running  # another process may have taken over
                continue
            except OSError as exc:
                logger.debug("cannot check the lock of %s: %r", self._data_dir, exc)
                continue
            with self._lock:
                previous = self._attached
                if stop.is_set() or previous is None or sys.is_finalizing():
                    hold.release()
                    return
                port = urlsplit(previous.auth_url).port or 0
                # Serve with the token and on the port the clients already use.
                self._token_arg = previous.token
                self._settings = None
                try:
                    self._serve_holding(hold, port, fallback=True)
                except BaseException as error:
                    logger.warning(
                        "the local service of process %s ended and could not be replaced: %s",
                        previous.pid,
                        error,
                    )
                    return
                finally:
                    self._attached = None
            logger.info(
                "the local service of process %s ended; serving %s here, at %s",
                previous.pid,
                self._data_dir,
                self.auth_url,
            )
            return

    def _serve_holding(self, hold: DataDirLock, port: int, *, fallback: bool = False) -> None:
        """Start the server on ``port`` for the data directory ``hold`` holds (lock held).

        The hold is released when the server thread ends (after its socket is closed, so
        that a successor can bind the same port), or here if starting fails.
        """
        sock: socket.socket | None = None
        thread: threading.Thread | None = None
        try:
            self._settings = self._load_settings()
            sock = self._bind(port, fallback=fallback)
            self._startup_error = None
            app = create_app(self._settings, on_startup_error=self._record_startup_error)
            self._fault_plan = fault_plan(app)
            with _host_logging_kept():
                server = uvicorn.Server(uvicorn_config(app))
            thread = threading.Thread(
                target=self._serve,
                args=(server, sock, hold),
                name="ibmq-local-server",
                daemon=True,
            )
            self._server, self._thread = server, thread
            self._port = sock.getsockname()[1]
            self._arrange_stop_at_exit()
            thread.start()
            deadline = time.monotonic() + _START_TIMEOUT
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    error = self._startup_error
                    reason = str(error) if error is not None else "it did not start in time"
                    raise ServiceStartError(f"the local service failed to start: {reason}")
                time.sleep(0.005)
            hold.publish(self.auth_url, self.token)
        except BaseException:
            # Interrupted (Ctrl-C) or failed: leave nothing serving, and the directory free.
            if self._server is not None:
                self._server.should_exit = True
            if thread is not None and thread.ident is not None:  # started: it closes the socket
                thread.join(_STOP_TIMEOUT)
            elif sock is not None:
                sock.close()
            self._server = self._thread = None
            hold.release()
            raise
        logger.info("local IBM Quantum service listening on %s", self.auth_url)

    def _arrange_stop_at_exit(self) -> None:
        if not self._stop_at_exit:
            _call_at_exit(self._stop_at_interpreter_exit)
            self._stop_at_exit = True

    def _stop_at_interpreter_exit(self) -> None:
        # A Ctrl-C while exiting must not print a traceback: the process ends anyway.
        with contextlib.suppress(KeyboardInterrupt):
            self._stop(_EXIT_TIMEOUT)

    def _stop(self, timeout: float) -> None:
        watcher = self._watcher
        self._stop_watching.set()
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join()  # it may be starting a server, which is stopped below
        with self._lock:
            self._watcher = None
            self._attached = None
            server, thread = self._server, self._thread
            self._server = self._thread = None
            if server is None or thread is None:
                return
            server.should_exit = True
            if thread is threading.current_thread():
                return
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("the local service did not stop within %s s", timeout)

    def _bind(self, port: int, *, fallback: bool = False) -> socket.socket:
        # A successor may look a moment before its predecessor's socket is gone.
        deadline = time.monotonic() + (_REBIND_PATIENCE if fallback else 0.0)
        while True:
            try:
                return bind_socket(self._host, port)
            except OSError:
                if not port or not (fallback or (not self._requested_port and self._port)):
                    raise
                if time.monotonic() >= deadline:
                    break
            time.sleep(_ATTACH_POLL)
        # A restart could not get its previous port back: any free port will do.
        logger.warning("port %s is taken; the local service listens on another one", port)
        return bind_socket(self._host, 0)

    def _record_startup_error(self, error: BaseException) -> None:
        self._startup_error = error

    def _serve(self, server: uvicorn.Server, sock: socket.socket, hold: DataDirLock) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # SystemExit on startup failure included
            if self._startup_error is None:
                self._startup_error = exc
            logger.debug("local service thread ended with %r", exc)
        finally:
            sock.close()
            hold.release()


_ATTACH_POLL = 0.05
"""Seconds between looks at a data directory whose serving process is still starting."""
_TAKEOVER_POLL = 0.25
"""Seconds between checks, while attached, that the serving process is still there."""
_REBIND_PATIENCE = 1.0
"""Seconds a service taking over keeps trying to bind the port its predecessor used."""
_EXIT_TIMEOUT = 10.0
"""Seconds the service gets to stop at interpreter exit (it normally needs a fraction)."""

_embedded: dict[Path, LocalService] = {}
_embedded_lock = threading.Lock()


def embedded_service(data_dir: str | os.PathLike[str] | None = None) -> LocalService:
    """The process-wide service for ``data_dir``, started on first call.

    When another process (a notebook, a script, ``ibmq-local serve``) already serves
    ``data_dir``, the returned service is attached to it (see :attr:`LocalService.attached`)
    and takes over serving if that process ends first. Thread-safe. Every service started
    this way is stopped at interpreter exit.

    Raises:
        DataDirInUse: another process holds ``data_dir`` but never published its address.
        ServiceStartError: the service could not start.
        OSError: the data directory or a port could not be used.
    """
    path = Path(data_dir) if data_dir is not None else default_data_dir()
    path = path.expanduser().resolve()
    with _embedded_lock:
        service = _embedded.get(path)
        if service is None:
            service = LocalService(path, attach=True)
            _embedded[path] = service
        try:
            service.start()
        except BaseException:
            _embedded.pop(path, None)
            raise
        return service
