"""The account layer: stored credentials, enabling and failing to enable, connection options,
and the one connection pool of an account. Against the real local service, or respx where a
test must see what reaches httpx."""

from __future__ import annotations

import logging
import socket
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
import respx

from ibmq_async import (
    AsyncIBMQFactory,
    IBMQAccountApiError,
    IBMQAccountConnectionError,
    IBMQAccountCredentialsInvalidFormat,
    IBMQAccountCredentialsInvalidToken,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountCredentialsNotFound,
    IBMQAccountError,
    IBMQAccountMultipleCredentialsFound,
    IBMQAccountValueError,
    IBMQProviderError,
    RetryPolicy,
)

FAST = RetryPolicy(backoff=0.001, max_backoff=0.002, jitter=0.0)
SECRET = "url-secret-0123456789"

AUTH = "https://auth.example.test/api"
HTTP = "https://api.example.test/api"
PROXY = "http://proxy.example.test:3128"
PROJECTS = {"p1": {"isDefault": True}, "p2": {}}
CONFIG = {
    "backend_name": "dev",
    "backend_version": "1",
    "n_qubits": 2,
    "basis_gates": ["cx", "x"],
    "max_shots": 100,
    "coupling_map": [[0, 1]],
}


@pytest.fixture(autouse=True)
def qiskitrc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The credentials file of the test: never the real one, and no QE_* variables."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    path = home / ".qiskit" / "qiskitrc"
    monkeypatch.setenv("QISKITRC", str(path))
    for name in ("QE_TOKEN", "QE_URL", "QE_HUB", "QE_GROUP", "QE_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """Every httpx client created during the test, with the arguments it was given."""
    made: list[tuple[Any, dict[str, Any]]] = []
    original = httpx.AsyncClient

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            made.append((self, kwargs))

    monkeypatch.setattr(httpx, "AsyncClient", Recording)
    return made


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """A mocked API: one login, two projects with one device each."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.get(f"{AUTH}/version").respond(json={"api-auth": "0.1"})
        router.post(f"{AUTH}/users/loginWithToken").respond(json={"id": "access-token"})
        router.get(f"{AUTH}/users/me").respond(
            json={"urls": {"http": HTTP, "ws": "wss://ws.example.test"}}
        )
        router.get(f"{HTTP}/Network").respond(
            json=[{"name": "h", "groups": {"g": {"projects": PROJECTS}}}]
        )
        for project in PROJECTS:
            hgp = f"{HTTP}/Network/h/Groups/g/Projects/{project}"
            router.get(f"{hgp}/devices/v/1").respond(json=[CONFIG])
            router.get(f"{hgp}/devices/dev/queue/status").respond(
                json={"state": True, "status": "active", "lengthQueue": 0}
            )
        yield router


def write(path: Path, text: str) -> None:
    """Write the credentials file by hand."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def read(path: Path) -> tuple[str, int]:
    """The file's text and permission bits."""
    return path.read_text(), stat.S_IMODE(path.stat().st_mode)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- stored credentials against the real service -----------------------------------------------


async def test_saved_account_loads_with_its_default_provider(
    factory: AsyncIBMQFactory, local_service: Any, qiskitrc: Path
) -> None:
    url = local_service.auth_url  # any URL can be saved, a local service's included
    factory.save_account(local_service.token, url, hub="ibm-q", group="open", project="main")
    text, mode = read(qiskitrc)
    assert mode == 0o600 and "default_provider = ibm-q/open/main" in text
    assert factory.stored_account() == {"token": local_service.token, "url": url}
    provider = await factory.load_account()
    assert provider is not None and provider.project == "main"
    assert factory.active_account() == {"token": local_service.token, "url": url}


async def test_save_account_keeps_an_entry_unless_overwrite(
    factory: AsyncIBMQFactory, qiskitrc: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert factory.account_file() == qiskitrc  # QISKITRC, set by the fixture
    factory.save_account("first-token", "http://127.0.0.1:1/api")
    with caplog.at_level(logging.WARNING):
        factory.save_account("second-token", "http://127.0.0.1:1/api")
    assert "overwrite=True" in caplog.text and "second-token" not in caplog.text
    assert factory.stored_account()["token"] == "first-token"
    factory.save_account("second-token", "http://127.0.0.1:2/api", overwrite=True)
    assert factory.stored_account() == {"token": "second-token", "url": "http://127.0.0.1:2/api"}
    with pytest.raises(IBMQAccountValueError):
        factory.save_account("t", "http://127.0.0.1:1/api", hub="h", overwrite=True)
    with pytest.raises(IBMQAccountValueError):
        factory.save_account("t", overwrite=True, proxies={"urls": {"https": "nonsense"}})
    assert factory.stored_account()["token"] == "second-token"
    factory.delete_account()
    assert factory.stored_account() == {}
    with pytest.raises(IBMQAccountCredentialsNotFound):
        factory.delete_account()


async def test_environment_variables_come_before_the_saved_account(
    factory: AsyncIBMQFactory, local_service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory.save_account("stale-token", local_service.auth_url)
    monkeypatch.setenv("QE_TOKEN", local_service.token)
    monkeypatch.setenv("QE_URL", local_service.auth_url)
    monkeypatch.setenv("QE_PROJECT", "main")
    provider = await factory.load_account()
    assert provider is not None and provider.project == "main"
    for name in ("QE_TOKEN", "QE_URL", "QE_PROJECT"):
        monkeypatch.delenv(name)
    # Now the file's stale token is used; it fails, and the enabled account stays.
    with pytest.raises(IBMQAccountCredentialsInvalidToken):
        await factory.load_account()
    assert factory.active_account() == {"token": local_service.token, "url": local_service.auth_url}
    assert factory.get_provider() is provider


async def test_missing_corrupt_and_ambiguous_stored_accounts_enable_nothing(
    factory: AsyncIBMQFactory, local_service: Any, qiskitrc: Path
) -> None:
    with pytest.raises(IBMQAccountCredentialsNotFound, match="QE_TOKEN"):
        await factory.load_account()
    write(qiskitrc, f"[ibmq]\n{local_service.token}\n")
    with pytest.raises(IBMQAccountCredentialsInvalidFormat) as corrupt:
        await factory.load_account()
    assert str(qiskitrc) in str(corrupt.value) and local_service.token not in str(corrupt.value)
    with pytest.raises(IBMQAccountCredentialsInvalidFormat):
        factory.stored_account()
    write(qiskitrc, f"[ibmq]\ntoken = a-token\n\n[ibmq_h_g_p]\ntoken = {SECRET}\n")
    with pytest.raises(IBMQAccountMultipleCredentialsFound):
        await factory.load_account()
    factory.save_account(
        local_service.token, local_service.auth_url, "ibm-q", "open", "gone", overwrite=True
    )
    write(qiskitrc, read(qiskitrc)[0].split("[ibmq_h_g_p]")[0])
    with pytest.raises(IBMQProviderError, match="default provider"):
        await factory.load_account()
    assert factory.active_account() is None


async def test_update_account_merges_v1_credentials(
    factory: AsyncIBMQFactory, qiskitrc: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = "https://api.quantum-computing.ibm.com/api"
    write(
        qiskitrc,
        f"[ibmq_h_g_p]\ntoken = old\nurl = {v1}/Hubs/h/Groups/g/Projects/p\n\n"
        f"[ibmq]\ntoken = old\nurl = {v1}\n",
    )
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert factory.update_account() is None
    with pytest.raises(IBMQAccountMultipleCredentialsFound):
        factory.stored_account()
    updated = factory.update_account(force=True)
    assert updated is not None
    assert factory.stored_account() == {"token": "old", "url": updated.url}
    assert updated.url == "https://auth.quantum-computing.ibm.com/api"


# -- failing to enable leaves nothing enabled --------------------------------------------------


async def test_a_failed_enable_leaves_no_account_and_a_retry_works(
    factory: AsyncIBMQFactory, local_service: Any
) -> None:
    token, url = local_service.token, local_service.auth_url
    with pytest.raises(IBMQProviderError):
        await factory.enable_account(token, url=url, hub="no-such-hub")
    assert factory.active_account() is None
    with pytest.raises(IBMQAccountCredentialsInvalidToken):
        await factory.enable_account("wrong-token", url=url)
    assert factory.active_account() is None
    provider = await factory.enable_account(token, url=url, hub="ibm-q")
    assert provider is not None and provider.hub == "ibm-q"
    assert factory.active_account() == {"token": token, "url": url}


async def test_an_unreachable_url_is_a_connection_error_naming_it(
    factory: AsyncIBMQFactory, local_service: Any
) -> None:
    port = closed_port()
    with pytest.raises(IBMQAccountConnectionError) as unreachable:
        await factory.enable_account(
            local_service.token, url=f"http://127.0.0.1:{port}/api", retry=FAST
        )
    assert isinstance(unreachable.value, IBMQAccountApiError)
    assert f"http://127.0.0.1:{port}/api" in str(unreachable.value)
    assert "authentication URL" not in str(unreachable.value)
    assert unreachable.value.status_code == -1
    assert factory.active_account() is None
    # A URL that carries a token never shows it.
    with pytest.raises(IBMQAccountConnectionError) as redacted:
        await factory.enable_account(
            "api-token", url=f"http://user:{SECRET}@127.0.0.1:{port}/api", retry=FAST
        )
    assert SECRET not in str(redacted.value) and f"127.0.0.1:{port}" in str(redacted.value)
    with pytest.raises(IBMQAccountCredentialsInvalidUrl) as query:
        await factory.enable_account("api-token", url=f"{local_service.auth_url}?token={SECRET}")
    assert SECRET not in str(query.value)
    provider = await factory.enable_account(local_service.token, url=local_service.auth_url)
    assert provider is not None


async def test_enable_local_twice_returns_the_same_provider(
    factory: AsyncIBMQFactory, local_service: Any, tmp_path: Path
) -> None:
    first = await factory.enable_local(data_dir=tmp_path / "local")
    again = await factory.enable_local(data_dir=tmp_path / "local")
    assert again is first
    assert await factory.enable_local(tmp_path / "local", hub="ibm-q") is first
    await factory.disable_account()
    await factory.enable_account(local_service.token, url=local_service.auth_url)
    with pytest.raises(IBMQAccountError, match="already enabled"):
        await factory.enable_local(data_dir=tmp_path / "local")


# -- connection options and the connection pool ------------------------------------------------


async def test_proxies_and_verify_reach_httpx(
    api: respx.MockRouter, clients: list[tuple[Any, dict[str, Any]]]
) -> None:
    accounts = AsyncIBMQFactory()
    proxies = {"urls": {"https": PROXY}}
    provider = await accounts.enable_account("t", url=AUTH, proxies=proxies, verify=False)
    assert provider is not None
    client, options = clients[0]
    assert options["proxy"] == PROXY and options["verify"] is False
    pool = client._transport_for_url(httpx.URL(f"{AUTH}/version"))._pool
    assert isinstance(pool, httpcore.AsyncHTTPProxy)
    assert pool._proxy_url.host == b"proxy.example.test" and pool._proxy_url.port == 3128
    assert pool._ssl_context.verify_mode == ssl.CERT_NONE
    await accounts.aclose()
    # A proxy for http only is not used for an https service; verify stays on by default.
    await accounts.enable_account("t", url=AUTH, proxies={"urls": {"http": PROXY}})
    client, options = clients[1]
    assert options["proxy"] is None and options["verify"] is True
    pool = client._transport_for_url(httpx.URL(f"{AUTH}/version"))._pool
    assert not isinstance(pool, httpcore.AsyncHTTPProxy)
    assert pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    await accounts.aclose()


async def test_bad_connection_options_are_typed_errors(
    api: respx.MockRouter, clients: list[tuple[Any, dict[str, Any]]]
) -> None:
    accounts = AsyncIBMQFactory()
    for proxies in (
        {"urls": {"https": "::not a url"}},
        {"urls": {"https": f"http://user:{SECRET}@proxy:port"}},
        {"urls": {"https": PROXY}, "username_ntlm": "u", "password_ntlm": "p"},
        {"urls": [PROXY]},
    ):
        with pytest.raises(IBMQAccountValueError) as refused:
            await accounts.enable_account("t", url=AUTH, proxies=proxies)
        assert SECRET not in str(refused.value)
    with pytest.raises(IBMQAccountValueError):
        await accounts.enable_account("t", url=AUTH, verify="yes")  # type: ignore[arg-type]
    assert clients == [] and not api.calls and accounts.active_account() is None
    try:
        import socksio  # noqa: F401
    except ImportError:  # httpx itself refuses a socks proxy without it
        socks = {"urls": {"https": f"socks5://user:{SECRET}@proxy:1080"}}
        with pytest.raises(IBMQAccountValueError, match="Invalid connection options") as refused:
            await accounts.enable_account("t", url=AUTH, proxies=socks)
        assert SECRET not in str(refused.value) and accounts.active_account() is None


async def test_every_provider_shares_one_pool_and_one_login(
    api: respx.MockRouter, clients: list[tuple[Any, dict[str, Any]]]
) -> None:
    async with AsyncIBMQFactory() as accounts:
        await accounts.enable_account("t", url=AUTH)
        providers = accounts.providers()
        assert [p.project for p in providers] == ["p1", "p2"]
        for provider in providers:
            assert (await provider.get_backend("dev").status()).operational
        assert len(clients) == 1
        assert api.routes[1].call_count == 1  # one login
        await accounts.disable_account()
        assert clients[0][0].is_closed and accounts.active_account() is None
        await accounts.enable_account("t", url=AUTH)
    assert len(clients) == 2 and clients[1][0].is_closed
