"""Which service a command talks to: the embedded local one, the saved account, or
``--token`` / ``--url``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ibmq_sync import QX_AUTH_URL, AccountProvider, IBMQFactory

from .errors import CliError, ExitCode


@dataclass(frozen=True)
class Connection:
    """The connection options of a command."""

    local: bool = False
    data_dir: Path | None = None
    token: str | None = None
    url: str | None = None

    def check(self) -> None:
        """Refuse options that contradict each other (before any slow start-up)."""
        if (self.local or self.data_dir is not None) and (
            self.token is not None or self.url is not None
        ):
            raise CliError(
                "--local and --data-dir cannot be used with --token or --url", ExitCode.USAGE
            )


@contextmanager
def provider_for(connection: Connection) -> Iterator[AccountProvider]:
    """The provider the options select, closed (logged out) on leaving.

    ``--local`` (or ``--data-dir``) starts the embedded service; ``--token`` and ``--url``
    override the saved account's; with neither, the account comes from ``QE_TOKEN`` /
    ``QE_URL`` or the saved ``qiskitrc``.
    """
    connection.check()
    factory = IBMQFactory()
    with factory:
        if connection.local or connection.data_dir is not None:
            provider: AccountProvider | None = factory.enable_local(connection.data_dir)
        elif connection.token is None and connection.url is None:
            provider = factory.load_account()
        else:
            stored = (
                IBMQFactory.stored_account() if None in (connection.token, connection.url) else {}
            )
            token = connection.token or stored.get("token")
            if token is None:
                raise CliError(
                    "--url needs a token: pass --token, or save one with `ibmq account save`",
                    ExitCode.USAGE,
                )
            url = connection.url or stored.get("url") or QX_AUTH_URL
            provider = factory.enable_account(token, url=url)
        if provider is None:
            raise CliError("the account has no hub/group/project to use", ExitCode.NOT_FOUND)
        yield provider
