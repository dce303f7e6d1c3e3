"""The blocking facade mirrors the async package's public names."""

from __future__ import annotations

import ibmq_async
import ibmq_async.exceptions
import ibmq_async.models
import ibmq_sync
import ibmq_sync.exceptions
import ibmq_sync.models


def test_every_public_name_has_its_blocking_twin_or_is_shared() -> None:
    assert sorted(ibmq_sync.__all__) == sorted(
        name.removeprefix("Async") for name in ibmq_async.__all__
    )
    for name in ibmq_async.__all__:
        ours = getattr(ibmq_async, name)
        twin = getattr(ibmq_sync, name.removeprefix("Async"))
        module = getattr(ours, "__module__", None) or type(ours).__module__
        shared = isinstance(ours, str) or module.startswith("ibmq_async._core")
        # What the core defines is shared as is; what the I/O layer defines has a twin.
        if shared and name != "models":
            assert twin is ours, name
        else:
            assert twin is not ours, name
            plain = ("models", "least_busy", "job_monitor", "job_set_monitor")
            assert name.startswith("Async") or name in plain, name
    for cls in (ibmq_async.Timeouts, ibmq_async.RetryPolicy, ibmq_async.IBMQBackendApiError):
        assert getattr(ibmq_sync, cls.__name__) is cls


def test_models_and_exceptions_are_the_same_classes_on_both_sides() -> None:
    assert ibmq_sync.models.__all__ == ibmq_async.models.__all__
    for name in ibmq_async.models.__all__:
        assert getattr(ibmq_sync.models, name) is getattr(ibmq_async.models, name)
    assert ibmq_sync.exceptions.__all__ == ibmq_async.exceptions.__all__
    for name in ibmq_async.exceptions.__all__:
        assert getattr(ibmq_sync.exceptions, name) is getattr(ibmq_async.exceptions, name)


def _imports_of(package: str) -> set[tuple[str, str]]:
    """``(file, module)`` of every import of an ``ibmq_async`` module in ``package``."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in (root / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom) and node.level == 0
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            found |= {(path.name, n) for n in names if n.split(".")[0] == "ibmq_async"}
    return found


def test_the_service_and_the_facade_use_only_the_shared_core() -> None:
    for package in ("ibmq_local", "ibmq_sync"):
        outside = {
            (where, module)
            for where, module in _imports_of(package)
            if not module.startswith("ibmq_async._core")
        }
        assert outside == set(), package


def test_the_surface_table_names_tests_that_exist() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    table = (root / "docs" / "surface.md").read_text()
    named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", table)
    shorthand = re.findall(r", `(test_\w+)`", table)
    assert len(named) > 20
    sources = {path.name: path.read_text() for path in (root / "tests" / "aio").glob("*.py")}
    for module, test in named:
        assert f"def {test}(" in sources[module], (module, test)
    everything = "".join(sources.values())
    for test in shorthand:
        assert f"def {test}(" in everything, test
