"""TCP_NODELAY on the server's side of accepted connections, embedded and standalone.

Without it every response on a kept-alive connection waited about 40 ms for the client's
delayed ACK (Nagle). The option is read on the server's own socket: in this process for the
embedded service, through ``pidfd_getfd`` (Linux) for the CLI's process. Where that is not
possible, the latency of sequential requests on one connection is measured instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ibmq_local import LocalService
from ibmq_local.service import bind_socket

pytestmark = pytest.mark.integration

_SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture


class Unavailable(Exception):
    """The server's socket cannot be reached from here."""


def request_version(client: socket.socket, port: int) -> None:
    """One keep-alive HTTP/1.1 request on ``client``, reading the whole response."""
    client.sendall(f"GET /api/version HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode("ascii"))
    data = b""
    while b"\r\n\r\n" not in data:
        data += client.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += client.recv(4096)


def _fd_numbers(pid: int) -> list[int]:
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError as exc:
        raise Unavailable(f"cannot list the descriptors of {pid}: {exc}") from exc
    return [int(name) for name in names if name.isdigit()]


@contextlib.contextmanager
def _borrowed(pid: int, fd: int) -> Iterator[socket.socket | None]:
    """A socket object on a copy of descriptor ``fd`` of process ``pid`` (``None`` if not one)."""
    if pid == os.getpid():
        try:
            copy = os.dup(fd)
        except OSError:
            yield None
            return
    else:
        copy = _pidfd_getfd(pid, fd)
        if copy < 0:
            yield None
            return
    try:
        sock = socket.socket(fileno=copy)
    except OSError:
        os.close(copy)
        yield None
        return
    with sock:
        yield sock


def _pidfd_getfd(pid: int, fd: int) -> int:
    if not hasattr(os, "pidfd_open"):
        raise Unavailable("no pidfd_open")
    try:
        pidfd = os.pidfd_open(pid)
    except OSError as exc:
        raise Unavailable(f"pidfd_open: {exc}") from exc
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        copy = int(libc.syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0))
        if copy < 0 and ctypes.get_errno() in (1, 38):  # EPERM, ENOSYS
            raise Unavailable(f"pidfd_getfd: {os.strerror(ctypes.get_errno())}")
        return copy
    finally:
        os.close(pidfd)


def server_nodelay(pid: int, client: socket.socket) -> int:
    """TCP_NODELAY of the socket process ``pid`` accepted for the connection ``client``."""
    if not sys.platform.startswith("linux"):
        raise Unavailable("reading another socket's options needs Linux")
    local, peer = client.getsockname(), client.getpeername()
    for fd in _fd_numbers(pid):
        with _borrowed(pid, fd) as sock:
            if sock is None or sock.type != socket.SOCK_STREAM:
                continue
            try:
                if sock.getsockname() != peer or sock.getpeername() != local:
                    continue
            except OSError:
                continue
            return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    raise Unavailable("the accepted socket was not found")


def median_latency(port: int, requests: int = 50) -> float:
    """Median seconds per request of ``requests`` sequential ones on one connection."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        http.get("/api/version")
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            http.get("/api/version")
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def assert_nodelay(pid: int, port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        request_version(client, port)
        try:
            assert server_nodelay(pid, client) != 0
            return
        except Unavailable:
            pass
    # A delayed ACK stalls a response by 40 ms or more; without the stall one takes ~1 ms.
    assert median_latency(port) < 0.02


def test_the_listening_socket_hands_nodelay_to_accepted_connections() -> None:
    listener = bind_socket("127.0.0.1", 0)
    with listener:
        assert listener.proto == socket.IPPROTO_TCP  # what asyncio checks before setting it
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_embedded_service_sets_nodelay(service: LocalService) -> None:
    assert_nodelay(os.getpid(), service.port)


def test_standalone_server_sets_nodelay(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ibmq_local", "serve", "--port", "0", "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline()
        assert url.startswith("auth url: http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
        assert_nodelay(process.pid, port)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        if process.stdout is not None:
            process.stdout.close()


def test_sequential_requests_on_one_connection_do_not_stall(service: LocalService) -> None:
    assert median_latency(service.port) < 0.02
