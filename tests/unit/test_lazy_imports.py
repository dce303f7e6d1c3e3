"""``import ibmq_async`` and ``import ibmq_sync`` load no heavy dependency: their public names
are imported on first use (PEP 562), and each still resolves to its class.

Checked on ``sys.modules`` in a fresh interpreter, never on time, so machine noise cannot fool
it. ``qiskit.transpiler`` and ``qiskit.compiler`` are not checked: ``import qiskit`` itself
loads them, and the SDK needs qiskit.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DEFERRED = (
    "httpx",
    "httpx._main",
    "click",
    "rich",
    "pygments",
    "pydantic",
    "websockets",
    "tenacity",
    "tqdm",
    "{package}.account",
    "{package}.backend",
    "{package}.job",
    "{package}.models",
    "ibmq_async._core.models",
    "ibmq_async._core.defaults",
    "ibmq_async._core.credentials",
)
"""Modules a bare ``import`` of the package must not load."""


def loaded_after(code: str, package: str) -> list[str]:
    """The modules of :data:`DEFERRED` that ``code`` loads in a fresh interpreter."""
    names = [name.format(package=package) for name in DEFERRED]
    program = (
        f"import json, sys\n{code}\nprint(json.dumps([m for m in {names!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=True
    )
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("package", ["ibmq_async", "ibmq_sync"])
def test_importing_the_package_loads_no_heavy_dependency(package: str) -> None:
    assert loaded_after(f"import {package}", package) == []


@pytest.mark.parametrize(
    ("package", "factory"), [("ibmq_async", "AsyncIBMQ"), ("ibmq_sync", "IBMQ")]
)
def test_the_first_use_of_a_public_name_loads_what_it_needs(package: str, factory: str) -> None:
    loaded = loaded_after(f"from {package} import {factory}", package)
    assert f"{package}.account" in loaded and "httpx" in loaded
    # The websocket library waits for the first job wait that uses it.
    assert "websockets" not in loaded


def test_lazy_names_resolve_to_their_classes_and_are_listed() -> None:
    import ibmq_async
    import ibmq_sync
    from ibmq_async.account import AsyncIBMQ
    from ibmq_async.job import AsyncIBMQJob
    from ibmq_sync.account import IBMQ

    assert ibmq_async.AsyncIBMQ is AsyncIBMQ and ibmq_sync.IBMQ is IBMQ
    assert ibmq_async.AsyncIBMQJob is AsyncIBMQJob
    assert ibmq_async.models.JobDocument is ibmq_sync.models.JobDocument
    for package in (ibmq_async, ibmq_sync):
        assert set(package.__all__) <= set(dir(package))
        for name in package.__all__:
            assert getattr(package, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        ibmq_async.NoSuchName  # noqa: B018


def test_star_import_binds_every_public_name() -> None:
    namespace: dict[str, object] = {}
    exec("from ibmq_async import *", namespace)
    import ibmq_async

    assert {name for name in ibmq_async.__all__} <= set(namespace)
    assert namespace["AsyncIBMQ"] is ibmq_async.AsyncIBMQ
