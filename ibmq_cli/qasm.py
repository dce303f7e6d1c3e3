"""Reading a circuit from an OpenQASM 2 or 3 file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .errors import CliError, ExitCode

QASM3_PACKAGE = "qiskit-qasm3-import"
"""The package ``qiskit.qasm3.loads`` needs to read OpenQASM 3."""

# Whitespace and comments (``//`` and, in OpenQASM 3, ``/* */``) before the version statement.
_LEADING = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)*", re.DOTALL)
_VERSION = re.compile(r"OPENQASM\s+(\d+)(?:\.\d+)?\s*;")


def qasm_version(text: str) -> int:
    """The major OpenQASM version a program declares; 3 when it declares none (only
    OpenQASM 3 lets a program leave the version out)."""
    start = _LEADING.match(text)
    found = _VERSION.match(text, start.end() if start else 0)
    return int(found.group(1)) if found else 3


def load_circuit(file: Path) -> tuple[Any, int]:
    """The circuit an OpenQASM 2 or 3 file holds, and the file's OpenQASM version.

    Raises:
        CliError: the file is missing, unreadable or not valid OpenQASM (``USAGE``), or
            OpenQASM 3 support is not installed (``ERROR``).
    """
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{file}: no such file", ExitCode.USAGE) from None
    except IsADirectoryError:
        raise CliError(f"{file}: is a directory, not a QASM file", ExitCode.USAGE) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CliError(f"{file}: cannot be read: {reason}", ExitCode.USAGE) from None
    version = qasm_version(text)
    if version == 2:
        from qiskit import qasm2

        try:
            # Includes resolve beside the file; the legacy instructions map qelib1.inc's
            # gates (u1, u2, u3, ...) to the standard qiskit gates that backends know.
            circuit = qasm2.load(file, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        except Exception as exc:  # the parser's errors are not all QASM2Error
            raise _invalid(file, version, exc) from None
    elif version == 3:
        from qiskit import qasm3

        try:
            circuit = qasm3.loads(text)
        except ImportError:  # qiskit's MissingOptionalLibraryError is an ImportError
            raise CliError(
                f"reading OpenQASM 3 needs the {QASM3_PACKAGE} package: "
                f"pip install {QASM3_PACKAGE}",
                ExitCode.ERROR,
            ) from None
        except Exception as exc:  # openqasm3's parser raises errors of its own
            raise _invalid(file, version, exc) from None
    else:
        raise CliError(
            f"{file}: OpenQASM {version} is not supported (only 2 and 3)", ExitCode.USAGE
        )
    if not any(instruction.operation.name == "measure" for instruction in circuit.data):
        raise CliError(
            f"{file}: the circuit measures nothing, so there would be no counts; add measurements",
            ExitCode.USAGE,
        )
    circuit.name = file.stem
    return circuit, version


def _invalid(file: Path, version: int, error: Exception) -> CliError:
    message = getattr(error, "message", None)
    reason = message if isinstance(message, str) and message else str(error)
    return CliError(f"{file}: not valid OpenQASM {version}: {reason}", ExitCode.USAGE)
