"""The ``qiskitrc`` file on disk. This core module does I/O, and only this: it reads and writes
that one small local file, blocking, for both facades (the format is in ``credentials``).

The file is ``~/.qiskit/qiskitrc``, where qiskit-ibmq-provider keeps it, unless the
``QISKITRC`` environment variable names another path. It is written atomically (a temporary
file in the same folder, then a rename) with mode 0600, so a crash never leaves half a file
and other users cannot read the token.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .credentials import Credentials, parse
from .exceptions import IBMQAccountCredentialsInvalidFormat, IBMQAccountError

ENV_QISKITRC = "QISKITRC"
"""Names the file to use instead of ``~/.qiskit/qiskitrc``."""

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the credentials are stored: ``$QISKITRC``, or ``~/.qiskit/qiskitrc``."""
    environ = os.environ if environ is None else environ
    override = environ.get(ENV_QISKITRC)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".qiskit" / "qiskitrc"


def read(file: Path) -> str:
    """The file's text; ``""`` when there is no file.

    Raises:
        IBMQAccountCredentialsInvalidFormat: the file is not UTF-8 text.
        IBMQAccountError: the file exists but cannot be read.
    """
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise IBMQAccountError(
            f"Could not read the credentials file {file}: {exc.strerror or exc}"
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise IBMQAccountCredentialsInvalidFormat(
            f"The credentials file {file} is not valid: it is not UTF-8 text. Fix or delete it."
        ) from None


def load(file: Path) -> dict[str, Credentials]:
    """The credentials sets stored in the file, by section (none when there is no file).

    Raises:
        IBMQAccountCredentialsInvalidFormat: the file cannot be parsed.
        IBMQAccountError: the file cannot be read.
    """
    return parse(read(file), str(file))


def write(file: Path, text: str) -> None:
    """Replace the file's content with ``text`` atomically, readable by its owner only.

    A symbolic link is followed: the file it points to is replaced.

    Raises:
        IBMQAccountError: the file cannot be written.
    """
    target = file.resolve() if file.is_symlink() else file
    temporary: str | None = None
    try:
        target.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".qiskitrc-", dir=target.parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise IBMQAccountError(
            f"Could not write the credentials file {file}: {exc.strerror or exc}"
        ) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
