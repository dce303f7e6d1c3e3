"""``websocket = false``: a service that refuses the job-status websocket, so clients poll."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from ibmq_async._core.websocket import status_url
from ibmq_local import LocalService
from ibmq_local.config import load_settings

pytestmark = pytest.mark.integration


def refused_status(service: LocalService, http: httpx.Client, login: Any) -> int:
    """The HTTP status the handshake of a real job's status websocket gets (101: served)."""
    api = login(http, service.auth_url, service.token)
    job_id = api.create_job()["id"]
    me = http.get(f"{service.auth_url}/users/me", headers={"X-Access-Token": api.access_token})
    url = status_url(str(me.json()["urls"]["ws"]), job_id)
    try:
        with connect(url, proxy=None, open_timeout=10):
            return 101
    except InvalidStatus as refused:
        response = refused.response
        assert json.loads(response.body or b"{}")["error"]["statusCode"] == response.status_code
        return response.status_code


def test_a_service_without_the_websocket_refuses_every_handshake(
    tmp_path: Path, http: httpx.Client, login: Any
) -> None:
    with LocalService(tmp_path / "off", websocket=False) as service:
        assert service.settings.websocket is False
        assert refused_status(service, http, login) == 503
    with LocalService(tmp_path / "on") as service:
        assert refused_status(service, http, login) == 101


def test_the_switch_is_read_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"websocket": False}))
    assert load_settings(tmp_path).websocket is False
    assert load_settings(tmp_path, websocket=True).websocket is True
    assert load_settings(tmp_path / "default").websocket is True
