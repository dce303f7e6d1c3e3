"""Developer sessions: ``nox`` runs tests, lint, typecheck and compat."""

from __future__ import annotations

import sys
from pathlib import Path

import nox

nox.options.sessions = ["tests", "tests_oldest_qiskit", "lint", "typecheck", "compat", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "uv|virtualenv"

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
PACKAGES = ["ibmq_async", "ibmq_sync", "ibmq_local", "ibmq_cli"]
LINT_DEPS = ["ruff==0.17.5"]
LEGACY_CLIENT = ["qiskit-ibmq-provider==0.20.2", "requests<2.34"]
OLDEST_QISKIT = [
    "qiskit==1.4.*",
    # With qiskit 1.4 the resolver picks a qiskit-ibm-runtime whose ibm-platform-services pin
    # only has an sdist that fails to build; newer releases ship wheels.
    "ibm-platform-services>=0.60",
]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, respx, integration (real local service over loopback) and generated sync tests."""
    session.install("-e", ".[local,test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session(python=PYTHON)
def tests_oldest_qiskit(session: nox.Session) -> None:
    """The same tests on the oldest qiskit we support (1.4)."""
    session.install("-e", ".[local,test]", *OLDEST_QISKIT)
    session.run("python", "-c", "import qiskit; assert qiskit.__version__.startswith('1.4')")
    session.run("pytest", "-q", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, and a check that ibmq_sync/ and tests/sync/ match what the generator makes."""
    session.install(*LINT_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("python", "tools/unasync.py", "--check")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the packages."""
    session.install("-e", ".[local,cli]", "mypy>=1.10", "pytest", "respx", "types-tqdm")
    session.run("mypy", "--strict", *PACKAGES)


@nox.session(python=PYTHON)
def sync(session: nox.Session) -> None:
    """Regenerate the blocking facade and its tests from the async sources."""
    session.install(*LINT_DEPS)
    session.run("python", "tools/unasync.py")


@nox.session(python=PYTHON)
def compat(session: nox.Session) -> None:
    """The original qiskit-ibmq-provider 0.20.2 against `ibmq-local serve`.

    The legacy client needs qiskit-terra 0.x, which cannot live beside qiskit 2, so it gets a
    virtual environment of its own inside this session's; the service runs from this session's.
    """
    session.install("-e", ".[local]")
    legacy_python = _side_venv(
        session, Path(session.create_tmp()) / "legacy-venv", [*LEGACY_CLIENT, "pytest"]
    )
    serve = Path(session.bin) / "ibmq-local"
    session.run(
        str(legacy_python),
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        "tests/compat/pytest.ini",
        "tests/compat",
        *session.posargs,
        external=True,
        env={"IBMQ_LOCAL_SERVE": str(serve)},
    )


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Every benchmark scenario side by side (not run by plain `nox`): `python -m bench`.

    `nox -s bench -- --quick` for a short run, `-- --only batch,imports`, `-- --out DIR`. The
    legacy client (qiskit-ibmq-provider 0.20.2) and the serialization baseline (qiskit 1.4)
    get virtual environments of their own in this session's tmp, built once.
    """
    session.install("-e", ".[local]")
    tmp = Path(session.create_tmp())
    legacy = _side_venv(session, tmp / "legacy-venv", [*LEGACY_CLIENT])
    baseline = _side_venv(session, tmp / "baseline-venv", ["qiskit==1.4.*"])
    session.run(
        "python",
        "-m",
        "bench",
        *session.posargs,
        env={"IBMQ_BENCH_LEGACY_PYTHON": str(legacy), "IBMQ_BENCH_BASELINE_PYTHON": str(baseline)},
    )


def _side_venv(session: nox.Session, where: Path, packages: list[str]) -> Path:
    """The interpreter of a virtual environment at ``where`` holding ``packages`` (made once)."""
    python = where / "bin" / "python"
    if not python.exists():
        session.run(sys.executable, "-m", "venv", str(where), external=True)
        session.run(str(python), "-m", "pip", "install", "-q", *packages, external=True)
    return python


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """schemathesis against a live `ibmq-local serve` (not run by plain `nox`).

    At least 1,000 cases; no 5xx, no undocumented status: `nox -s fuzz -- --max-examples 100`.
    """
    session.install("-e", ".[local]", "schemathesis>=4,<5")
    session.run("python", "tools/fuzz.py", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The documentation site (mkdocs-material, mkdocstrings), warnings as errors.

    `nox -s docs -- serve` serves it with live reload instead of building it into
    `build/site/`.
    """
    session.install("-e", ".[docs]", *LINT_DEPS)  # ruff formats the rendered signatures
    quiet = {"NO_MKDOCS_2_WARNING": "1"}  # mkdocs-material's end-of-life banner
    if session.posargs and session.posargs[0] == "serve":
        session.run("mkdocs", "serve", *session.posargs[1:], env=quiet)
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs, env=quiet)
