"""Stored credentials without the network: the environment, the qiskitrc format and file,
connection options and redaction."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ibmq_async import (
    QX_AUTH_URL,
    Credentials,
    IBMQAccountCredentialsInvalidFormat,
    IBMQAccountCredentialsInvalidToken,
    IBMQAccountCredentialsInvalidUrl,
    IBMQAccountCredentialsNotFound,
    IBMQAccountMultipleCredentialsFound,
    IBMQAccountValueError,
)
from ibmq_async._core import accounts, credentials, qiskitrc

TOKEN = "0123456789abcdef-secret-token"

LEGACY_FILE = """\
[ibmq]
token = TOK
url = https://auth.quantum-computing.ibm.com/api
proxies = {'urls': {'https': 'http://proxy:8080'}}
verify = True
default_provider = h/g/p

"""
"""What qiskit-ibmq-provider 0.20.2 writes for
``save_account('TOK', hub='h', group='g', project='p', proxies=...)`` (seen on disk)."""


@pytest.fixture
def rc(tmp_path: Path) -> Path:
    return tmp_path / ".qiskit" / "qiskitrc"


# -- where credentials come from ---------------------------------------------------------------


def test_environment_variables_come_before_the_file() -> None:
    stored = {"ibmq": Credentials("file-token", "http://file.test/api", source="rc")}
    environ = {
        "QE_TOKEN": "env-token",
        "QE_URL": "http://env.test/api",
        "QE_HUB": "h",
        "QE_PROJECT": "p",
    }
    found = credentials.discover(environ, stored, "rc")
    assert (found.token, found.url) == ("env-token", "http://env.test/api")
    assert (found.hub, found.group, found.project) == ("h", None, "p")
    assert found.source == credentials.ENVIRONMENT_SOURCE
    # Without both QE_TOKEN and QE_URL the variables are ignored and the file is used.
    for partial in ({"QE_TOKEN": "env-token"}, {"QE_URL": "http://env.test/api"}):
        assert credentials.discover(partial, stored, "rc").token == "file-token"
        assert "environment variables are ignored" in str(credentials.incomplete_environ(partial))
    assert credentials.incomplete_environ(environ) is None
    assert credentials.incomplete_environ({}) is None


def test_missing_and_multiple_accounts_are_typed_errors(rc: Path) -> None:
    assert qiskitrc.load(rc) == {}  # no file: no credentials, and no file is created
    assert not rc.exists()
    with pytest.raises(IBMQAccountCredentialsNotFound, match="QE_TOKEN"):
        credentials.discover({}, {}, str(rc))
    with pytest.raises(IBMQAccountCredentialsNotFound, match="No IBM Quantum credentials"):
        credentials.stored_one({}, str(rc))
    two = {"ibmq": Credentials("a" * 8), "ibmq_h_g_p": Credentials("b" * 8)}
    with pytest.raises(IBMQAccountMultipleCredentialsFound) as multiple:
        credentials.discover({}, two, str(rc))
    assert str(rc) in str(multiple.value) and "[ibmq_h_g_p]" in str(multiple.value)


def test_qiskitrc_location_is_overridable(tmp_path: Path) -> None:
    assert qiskitrc.path({"QISKITRC": str(tmp_path / "rc")}) == tmp_path / "rc"
    assert qiskitrc.path({}) == Path.home() / ".qiskit" / "qiskitrc"  # computed, not touched


# -- the legacy format -------------------------------------------------------------------------


def test_the_legacy_clients_file_is_read() -> None:
    stored = credentials.parse(LEGACY_FILE, "rc")
    assert list(stored) == ["ibmq"]
    found = stored["ibmq"]
    assert (found.token, found.url, found.verify) == ("TOK", QX_AUTH_URL, True)
    assert found.proxies == {"urls": {"https": "http://proxy:8080"}}
    assert (found.hub, found.group, found.project) == ("h", "g", "p")
    assert "TOK" not in repr(found)


def test_rendering_writes_the_legacy_format_and_round_trips() -> None:
    saved = Credentials(
        "TOK", QX_AUTH_URL, "h", "g", "p", proxies={"urls": {"https": "http://proxy:8080"}}
    )
    text = credentials.render("", saved, "rc")
    assert text == LEGACY_FILE
    assert credentials.parse(text, "rc")["ibmq"].default_provider == "h/g/p"
    # Unlike the legacy client, verify = False survives, and any URL can be stored.
    local = Credentials("TOK%2F", "http://127.0.0.1:8000/api", verify=False)
    back = credentials.parse(credentials.render(text, local, "rc"), "rc")["ibmq"]
    assert (back.token, back.url, back.verify, back.proxies) == (
        "TOK%2F",
        "http://127.0.0.1:8000/api",
        False,
        None,
    )
    assert back.default_provider is None


def test_other_sections_are_kept() -> None:
    text = LEGACY_FILE + "[ibmq.preferences]\nh/g/p,experiment,auto_save = true\n\n"
    text += "[other]\nKeyCase = kept\n"
    assert list(credentials.parse(text, "rc")) == ["ibmq"]  # preferences are no account
    rewritten = credentials.render(text, Credentials("NEW"), "rc")
    assert "[ibmq.preferences]" in rewritten and "KeyCase = kept" in rewritten
    assert credentials.parse(rewritten, "rc")["ibmq"].token == "NEW"
    removed = credentials.remove(rewritten, "ibmq", "rc")
    assert credentials.parse(removed, "rc") == {} and "[other]" in removed


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (f"token = {TOKEN}\n", "line 1 comes before any [section]"),
        (f"[ibmq]\n{TOKEN}\n", "line 2 is neither"),
        (f"[ibmq]\ntoken = {TOKEN}\n[ibmq]\ntoken = x\n", "section is repeated on line 3"),
        (f"[ibmq]\ntoken = {TOKEN}\ntoken = {TOKEN}\n", "key of section [ibmq] is repeated"),
        ("[ibmq]\nurl = http://x/api\n", "section [ibmq] has no token"),
        (f"[ibmq]\ntoken = {TOKEN}\nproxies = {{'urls': {TOKEN}\n", "proxies"),
        (f"[ibmq]\ntoken = {TOKEN}\nproxies = ['{TOKEN}']\n", "proxies"),
        (f"[ibmq]\ntoken = {TOKEN}\nverify = {TOKEN}\n", "verify of section [ibmq]"),
        (f"[ibmq]\ntoken = {TOKEN}\ndefault_provider = h/g\n", "hub/group/project"),
        (f"[ibmq]\ntoken = {TOKEN}\ndefault_provider = h//p\n", "hub/group/project"),
    ],
)
def test_a_corrupt_file_names_the_file_and_never_the_token(
    rc: Path, text: str, detail: str
) -> None:
    rc.parent.mkdir()
    rc.write_text(text)
    with pytest.raises(IBMQAccountCredentialsInvalidFormat) as corrupt:
        qiskitrc.load(rc)
    message = str(corrupt.value)
    assert str(rc) in message and detail in message
    assert TOKEN not in message
    error = corrupt.value  # no parser traceback is chained to it
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_a_binary_file_is_a_format_error(rc: Path) -> None:
    rc.parent.mkdir()
    rc.write_bytes(b"[ibmq]\ntoken = \xff\xfe\x00\n")
    with pytest.raises(IBMQAccountCredentialsInvalidFormat, match="not UTF-8"):
        qiskitrc.load(rc)


# -- the file on disk --------------------------------------------------------------------------


def test_the_file_is_written_atomically_with_mode_0600(rc: Path) -> None:
    qiskitrc.write(rc, LEGACY_FILE)
    assert rc.read_text() == LEGACY_FILE
    assert stat.S_IMODE(rc.stat().st_mode) == 0o600
    assert stat.S_IMODE(rc.parent.stat().st_mode) == 0o700
    rc.chmod(0o644)  # a file the legacy client wrote is world-readable
    qiskitrc.write(rc, "[ibmq]\ntoken = other\n")
    assert stat.S_IMODE(rc.stat().st_mode) == 0o600
    assert credentials.parse(rc.read_text(), str(rc))["ibmq"].token == "other"
    assert sorted(p.name for p in rc.parent.iterdir()) == ["qiskitrc"]  # no temporary left


def test_a_symlinked_file_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "qiskitrc"
    real.parent.mkdir()
    real.write_text("")
    link = tmp_path / "qiskitrc"
    link.symlink_to(real)
    qiskitrc.write(link, LEGACY_FILE)
    assert link.is_symlink() and real.read_text() == LEGACY_FILE


def test_an_unwritable_place_is_an_account_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(Exception, match="Could not write the credentials file") as failed:
        qiskitrc.write(blocker / "qiskitrc", LEGACY_FILE)
    assert type(failed.value).__name__ == "IBMQAccountError"


# -- checks, proxies and redaction -------------------------------------------------------------


def test_credentials_and_provider_fields_are_checked() -> None:
    with pytest.raises(IBMQAccountCredentialsInvalidToken):
        accounts.check_credentials(" ", "http://x.test/api")
    with pytest.raises(IBMQAccountCredentialsInvalidUrl) as bad_url:
        accounts.check_credentials("t", f"ftp://x.test/api?token={TOKEN}")
    assert TOKEN not in str(bad_url.value)
    with pytest.raises(IBMQAccountCredentialsInvalidUrl, match="query") as query:
        accounts.check_credentials("t", f"https://x.test/api?token={TOKEN}")
    assert TOKEN not in str(query.value)
    with pytest.raises(IBMQAccountValueError, match="must all be specified"):
        accounts.check_provider_fields("h", None, "p", all_or_none=True)
    accounts.check_provider_fields("h", None, "p", all_or_none=False)
    with pytest.raises(IBMQAccountValueError):
        accounts.check_provider_fields("h/x", None, None, all_or_none=False)
    with pytest.raises(IBMQAccountValueError):
        accounts.check_verify("no")


def test_proxies_are_checked_and_chosen_like_requests() -> None:
    urls = {
        "https://auth.test": "http://one:1",
        "https": "http://two:2",
        "all://auth.test": "http://three:3",
        "all": "http://four:4",
    }
    proxies = accounts.check_proxies({"urls": urls})
    assert accounts.proxy_for("https://auth.test/api", proxies) == "http://one:1"
    assert accounts.proxy_for("https://other.test/api", proxies) == "http://two:2"
    assert accounts.proxy_for("http://auth.test/api", proxies) == "http://three:3"
    assert accounts.proxy_for("http://other.test/api", proxies) == "http://four:4"
    assert accounts.proxy_for("http://x.test/api", {"urls": {"https": "http://p:1"}}) is None
    assert accounts.proxy_for("http://x.test/api", None) is None
    for bad in (
        "proxy:8080",
        "ftp://proxy:8080",
        "http://",
        "http://proxy:port",
        f"http://user:{TOKEN}@:8080",
    ):
        with pytest.raises(IBMQAccountValueError) as refused:
            accounts.check_proxies({"urls": {"https": bad}})
        assert TOKEN not in str(refused.value)
    for shape in ("http://proxy:8080", {"urls": "http://proxy:8080"}, {"urls": {"https": 1}}):
        with pytest.raises(IBMQAccountValueError):
            accounts.check_proxies(shape)
    with pytest.raises(IBMQAccountValueError, match="NTLM"):
        accounts.check_proxies({"urls": {}, "username_ntlm": "u", "password_ntlm": "p"})


def test_secrets_of_urls_are_found_and_redacted() -> None:
    url = f"https://user:{TOKEN}@auth.test:8443/api?apiToken=abcdef&v=1"
    assert accounts.url_secrets(url) == ("user", TOKEN, "abcdef")
    shown = accounts.redact_url(url)
    assert shown == "https://...@auth.test:8443/api?..."
    assert accounts.url_secrets("http://auth.test/api?v=1") == ()
    assert accounts.redact_url("http://auth.test/api") == "http://auth.test/api"


def test_v1_credentials_migrate_to_one_v2_entry() -> None:
    stored = {
        "ibmq_h_g_p": Credentials(
            "tok", "https://api.quantum-computing.ibm.com/api/Hubs/h/Groups/g/Projects/p"
        ),
        "ibmq_old": Credentials("tok", "https://quantumexperience.ng.bluemix.net/api"),
        "ibmq_mine": Credentials("tok", "http://127.0.0.1:1/api"),
    }
    plan = credentials.migration(stored)
    assert plan.credentials is not None and plan.credentials.url == QX_AUTH_URL
    assert plan.providers == (("h", "g", "p"),)
    assert len(plan.warnings) == 1 and "is not a v1 account" in plan.warnings[0]
    nothing = credentials.migration({"ibmq": Credentials("tok")})
    assert nothing.credentials is None and "already a v2 account" in nothing.warnings[0]
