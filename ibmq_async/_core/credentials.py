"""Stored credentials without I/O (protocol.md 1.6): the ``QE_*`` environment variables, the
legacy ``qiskitrc`` format parsed and rendered, and which credentials ``load_account`` uses.

The file format is the one qiskit-ibmq-provider 0.20.2 reads and writes, so a saved account
works with either client: an INI file whose ``ibmq*`` sections each hold one credentials set
(``ibmq.preferences`` aside)::

    [ibmq]
    token = <API token>
    url = https://auth.quantum-computing.ibm.com/api
    proxies = {'urls': {'https': 'http://proxy:8080'}}
    verify = True
    default_provider = hub/group/project

A file that cannot be parsed gives :class:`IBMQAccountCredentialsInvalidFormat` naming the file
and the line, and never quoting it: the line may hold a token.
"""

from __future__ import annotations

import ast
import configparser
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .accounts import redact_url
from .defaults import QX_AUTH_URL
from .exceptions import (
    IBMQAccountCredentialsInvalidFormat,
    IBMQAccountCredentialsNotFound,
    IBMQAccountMultipleCredentialsFound,
)

ENV_TOKEN = "QE_TOKEN"
ENV_URL = "QE_URL"
ENV_HUB = "QE_HUB"
ENV_GROUP = "QE_GROUP"
ENV_PROJECT = "QE_PROJECT"
ENVIRONMENT_SOURCE = "the QE_TOKEN and QE_URL environment variables"

SECTION = "ibmq"
"""The section ``save_account`` writes."""
SECTION_PREFIX = "ibmq"
"""Only sections whose name starts with this are read."""
PREFERENCES_SECTION = "ibmq.preferences"
"""Preferences, not credentials: kept as they are, never read as an account."""

_BOOLEANS = {"1": True, "yes": True, "true": True, "on": True}
_BOOLEANS.update({"0": False, "no": False, "false": False, "off": False})

V1_URLS = frozenset(
    {
        "https://quantumexperience.ng.bluemix.net/api",
        "https://q-console-api.mybluemix.net/api",
        "https://api.quantum-computing.ibm.com/api",
        "https://api-qcon.quantum-computing.ibm.com/api",
    }
)
"""The API URLs of IBM Quantum Experience v1, which ``update_account`` migrates."""
_V1_HUBS_URL = re.compile(
    r"^(?P<base>https://.+)/Hubs/(?P<hub>[^/]+)/Groups/(?P<group>[^/]+)"
    r"/Projects/(?P<project>[^/]+)/?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, repr=False)
class Credentials:
    """One account's credentials, as given, stored in the environment, or stored on disk.

    ``hub``, ``group`` and ``project`` select the provider ``load_account`` returns.
    """

    token: str
    url: str = QX_AUTH_URL
    hub: str | None = None
    group: str | None = None
    project: str | None = None
    proxies: Mapping[str, Any] | None = None
    verify: bool = True
    source: str = ""
    """Where they were found, for messages: the environment variables or the file."""

    def __repr__(self) -> str:
        return (
            f"Credentials(token='...', url={redact_url(self.url)!r}, hub={self.hub!r}, "
            f"group={self.group!r}, project={self.project!r}, verify={self.verify!r})"
        )

    __str__ = __repr__

    @property
    def default_provider(self) -> str | None:
        """``hub/group/project`` when all three are set, as the file stores it."""
        if self.hub and self.group and self.project:
            return f"{self.hub}/{self.group}/{self.project}"
        return None


def from_environ(environ: Mapping[str, str]) -> Credentials | None:
    """The credentials of the ``QE_*`` environment variables, or ``None``.

    ``QE_TOKEN`` and ``QE_URL`` are both needed, else the variables are ignored (as the
    legacy client does); ``QE_HUB``, ``QE_GROUP`` and ``QE_PROJECT`` select the provider,
    any of them alone included.
    """
    token = environ.get(ENV_TOKEN, "").strip()
    url = environ.get(ENV_URL, "").strip()
    if not token or not url:
        return None
    return Credentials(
        token=token,
        url=url,
        hub=environ.get(ENV_HUB) or None,
        group=environ.get(ENV_GROUP) or None,
        project=environ.get(ENV_PROJECT) or None,
        source=ENVIRONMENT_SOURCE,
    )


def incomplete_environ(environ: Mapping[str, str]) -> str | None:
    """A warning when only one of ``QE_TOKEN`` and ``QE_URL`` is set, else ``None``."""
    token, url = bool(environ.get(ENV_TOKEN, "").strip()), bool(environ.get(ENV_URL, "").strip())
    if token == url:
        return None
    have, missing = (ENV_TOKEN, ENV_URL) if token else (ENV_URL, ENV_TOKEN)
    return f"{have} is set but {missing} is not: the environment variables are ignored."


class _Parser(configparser.ConfigParser):
    """The qiskitrc parser: key case kept (as the legacy client does), no ``%`` interpolation
    (a token or URL may hold ``%``)."""

    def __init__(self) -> None:
        super().__init__(interpolation=None)

    def optionxform(self, optionstr: str) -> str:
        return optionstr


def _invalid(source: str, detail: str) -> IBMQAccountCredentialsInvalidFormat:
    return IBMQAccountCredentialsInvalidFormat(
        f"The credentials file {source} is not valid: {detail}. Fix or delete it, or save the "
        "account again with save_account(..., overwrite=True)."
    )


def _syntax_error(error: configparser.Error) -> str:
    """What is wrong, by line number only: the line itself may hold a token."""
    if isinstance(error, configparser.MissingSectionHeaderError):
        return f"line {error.lineno} comes before any [section] header"
    if isinstance(error, configparser.ParsingError):
        numbers = ", ".join(str(number) for number, _ in error.errors)
        return f"line {numbers} is neither a [section] header nor a 'key = value' line"
    if isinstance(error, configparser.DuplicateSectionError):
        return f"a section is repeated on line {error.lineno}"
    if isinstance(error, configparser.DuplicateOptionError):
        return f"a key of section [{error.section}] is repeated on line {error.lineno}"
    return f"it cannot be parsed ({type(error).__name__})"


def _read(text: str, source: str) -> _Parser:
    parser = _Parser()
    try:
        parser.read_string(text, source)
    except configparser.Error as exc:
        raise _invalid(source, _syntax_error(exc)) from None
    return parser


def _section(name: str, values: Mapping[str, str], source: str) -> Credentials:
    token = values.get("token", "").strip()
    if not token:
        raise _invalid(source, f"section [{name}] has no token")
    proxies: Any = None
    if values.get("proxies", "").strip():
        try:
            proxies = ast.literal_eval(values["proxies"].strip())
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise _invalid(source, f"the proxies of section [{name}] are not a dict") from None
        if not isinstance(proxies, dict):
            raise _invalid(source, f"the proxies of section [{name}] are not a dict")
    verify = True
    if "verify" in values:
        flag = _BOOLEANS.get(values["verify"].strip().lower())
        if flag is None:
            raise _invalid(source, f"verify of section [{name}] is neither True nor False")
        verify = flag
    hub, group, project = (values.get(key) or None for key in ("hub", "group", "project"))
    if "default_provider" in values:
        parts = values["default_provider"].strip().split("/")
        if len(parts) != 3 or not all(parts):
            raise _invalid(
                source, f"default_provider of section [{name}] is not 'hub/group/project'"
            )
        hub, group, project = parts
    return Credentials(
        token=token,
        url=values.get("url", "").strip() or QX_AUTH_URL,
        hub=hub,
        group=group,
        project=project,
        proxies=proxies,
        verify=verify,
        source=source,
    )


def parse(text: str, source: str) -> dict[str, Credentials]:
    """The credentials sets of a qiskitrc file's text, by section name, in file order.

    Args:
        text: the file's content.
        source: the file's path, for messages.

    Raises:
        IBMQAccountCredentialsInvalidFormat: the text is not a valid qiskitrc file.
    """
    parser = _read(text, source)
    found = {}
    for name in parser.sections():
        if name.startswith(SECTION_PREFIX) and name != PREFERENCES_SECTION:
            found[name] = _section(name, parser[name], source)
    return found


def render(text: str, credentials: Credentials, source: str) -> str:
    """The file's text with ``credentials`` as its ``[ibmq]`` section; every other section is
    kept (comments are not).

    Raises:
        IBMQAccountCredentialsInvalidFormat: the existing text is not a valid qiskitrc file.
    """
    parser = _read(text, source)
    values = {"token": credentials.token, "url": credentials.url}
    if credentials.proxies:
        values["proxies"] = repr(dict(credentials.proxies))
    values["verify"] = str(credentials.verify)
    if credentials.default_provider is not None:
        values["default_provider"] = credentials.default_provider
    parser[SECTION] = values
    return _write(parser)


def remove(text: str, section: str, source: str) -> str:
    """The file's text without ``section``.

    Raises:
        IBMQAccountCredentialsInvalidFormat: the text is not a valid qiskitrc file.
    """
    parser = _read(text, source)
    parser.remove_section(section)
    return _write(parser)


def _write(parser: _Parser) -> str:
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def stored_one(stored: Mapping[str, Credentials], source: str) -> tuple[str, Credentials]:
    """The one credentials set stored in the file, and its section.

    Raises:
        IBMQAccountCredentialsNotFound: none is stored.
        IBMQAccountMultipleCredentialsFound: more than one is stored.
    """
    if not stored:
        raise IBMQAccountCredentialsNotFound(f"No IBM Quantum credentials found in {source}.")
    if len(stored) > 1:
        names = ", ".join(f"[{name}]" for name in stored)
        raise IBMQAccountMultipleCredentialsFound(
            f"Multiple IBM Quantum credentials found in {source} (sections {names}): keep one, "
            "or run update_account() to merge IBM Quantum Experience v1 credentials."
        )
    return next(iter(stored.items()))


def discover(
    environ: Mapping[str, str], stored: Mapping[str, Credentials] | None, source: str
) -> Credentials:
    """The credentials ``load_account`` uses: the environment variables first, then the file.

    Args:
        environ: the environment.
        stored: the file's credentials sets (``None``: not read, as the environment had some).
        source: the file's path, for messages.

    Raises:
        IBMQAccountCredentialsNotFound: neither has credentials.
        IBMQAccountMultipleCredentialsFound: the file has more than one set.
    """
    found = from_environ(environ)
    if found is not None:
        return found
    if not stored:
        raise IBMQAccountCredentialsNotFound(
            f"No IBM Quantum credentials found: set {ENV_TOKEN} and {ENV_URL}, or save an "
            f"account with save_account() (it is stored in {source})."
        )
    return stored_one(stored, source)[1]


@dataclass(frozen=True)
class Migration:
    """What ``update_account`` would change in the file."""

    credentials: Credentials | None
    """The one set that replaces every stored set, or ``None`` when nothing can be updated."""
    providers: tuple[tuple[str, str, str], ...]
    """Hub/group/project of v1 credentials, now reached with ``get_provider``."""
    warnings: tuple[str, ...]


def migration(stored: Mapping[str, Credentials]) -> Migration:
    """How stored IBM Quantum Experience v1 credentials become one v2 set (``QX_AUTH_URL``)."""
    updated: list[Credentials] = []
    providers: list[tuple[str, str, str]] = []
    warnings: list[str] = []
    for credentials in stored.values():
        url = credentials.url.rstrip("/")
        hubs = _V1_HUBS_URL.match(url)
        shown = redact_url(credentials.url)
        if url in V1_URLS or (hubs is not None and hubs["base"] in V1_URLS):
            updated.append(
                Credentials(
                    credentials.token,
                    QX_AUTH_URL,
                    proxies=credentials.proxies,
                    verify=credentials.verify,
                )
            )
            if hubs is not None:
                providers.append((hubs["hub"], hubs["group"], hubs["project"]))
        elif url == QX_AUTH_URL:
            warnings.append(f'The stored account with url "{shown}" is already a v2 account.')
        else:
            warnings.append(f'The stored account with url "{shown}" is not a v1 account.')
    if not updated:
        return Migration(None, (), tuple(warnings))
    first = updated[0]
    if any(
        (c.token, c.proxies, c.verify) != (first.token, first.proxies, first.verify)
        for c in updated
    ):
        warnings.append(
            "Multiple credentials found with different settings: the update keeps the "
            "settings of the first v1 account."
        )
    return Migration(first, tuple(providers), tuple(warnings))
