"""``ibmq-local serve`` as a real process: prints its URL and token, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from ibmq_async._core.websocket import status_url

pytestmark = pytest.mark.integration


def serve(data_dir: Path, *extra: str) -> tuple[subprocess.Popen[str], str, str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ibmq_local",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    url_line = process.stdout.readline()
    token_line = process.stdout.readline()
    assert url_line.startswith("auth url: http://127.0.0.1:"), url_line + process.stderr.read()
    assert token_line.startswith("token: ")
    return process, url_line.split(": ", 1)[1].strip(), token_line.split(": ", 1)[1].strip()


def check_serving(url: str, token: str) -> None:
    assert ":0/" not in url
    with httpx.Client(timeout=30) as http:
        assert "api-auth" in http.get(f"{url}/version").json()
        login = http.post(f"{url}/users/loginWithToken", json={"apiToken": token})
        assert login.status_code == 200


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_until_signalled(tmp_path: Path, sig: signal.Signals) -> None:
    process, url, token = serve(tmp_path)
    try:
        check_serving(url, token)
        assert (tmp_path / "token").read_text().strip() == token
    finally:
        process.send_signal(sig)
        assert process.wait(timeout=30) == 0
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]


def test_explicit_token(tmp_path: Path) -> None:
    process, url, token = serve(tmp_path, "--token", "my-token")
    try:
        assert token == "my-token"
        check_serving(url, "my-token")
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]


def test_switches_turn_off_idempotency_keys_and_the_websocket(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text('{"idempotency_keys": true, "websocket": true}')
    process, url, token = serve(tmp_path, "--no-idempotency-keys", "--no-websocket")
    try:
        with httpx.Client(timeout=30) as http:
            assert "idempotency-keys" not in http.get(f"{url}/version").json()["capabilities"]
            access = http.post(f"{url}/users/loginWithToken", json={"apiToken": token})
            headers = {"X-Access-Token": access.json()["id"]}
            ws = http.get(f"{url}/users/me", headers=headers).json()["urls"]["ws"]
        with pytest.raises(InvalidStatus) as refused:
            connect(status_url(ws, "0" * 24), proxy=None, open_timeout=10)
        assert refused.value.response.status_code == 503
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    # Without the switches, the configuration's values hold.
    process, url, _ = serve(tmp_path)
    try:
        with httpx.Client(timeout=30) as http:
            assert "idempotency-keys" in http.get(f"{url}/version").json()["capabilities"]
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
