"""The sync generator (``tools/unasync.py``) on a small project of its own in a temporary folder."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "unasync.py"


@pytest.fixture(scope="module")
def unasync() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


FRESH = '''"""A module that did not exist when the generator was written."""

from ._acompat import sleep
from ._core.paths import url


class AsyncFetcher:
    """Fetches a page."""

    async def fetch(self) -> str:
        """The page."""
        await sleep(0)
        return url()

    # unasync: async-only
    async def __aenter__(self) -> AsyncFetcher:
        return self
    # unasync: end
    # unasync: sync-only
    # def __del__(self) -> None:
    #     self.closed = True
    # unasync: end
'''


def _project(root: Path) -> Path:
    files = {
        "ibmq_async/__init__.py": '"""The package."""\n',
        "ibmq_async/py.typed": "",
        "ibmq_async/_acompat.py": "async def sleep(seconds: float) -> None:\n    pass\n",
        "ibmq_async/_core/__init__.py": '"""The core."""\n',
        "ibmq_async/_core/paths.py": 'def url() -> str:\n    return "x"\n',
        "ibmq_async/fresh.py": FRESH,
        "ibmq_sync/_compat.py": (
            "# Hand-written: twin\ndef sleep(seconds: float) -> None:\n    pass\n"
        ),
        "tests/aio/test_fresh.py": (
            "from ibmq_async.fresh import AsyncFetcher\n\n\n"
            "async def test_fetch() -> None:\n    assert await AsyncFetcher().fetch()\n"
        ),
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _stale_rules(problems: list[str]) -> list[str]:
    return [p for p in problems if "never fired" not in p]


def test_a_new_async_module_outside_the_core_gets_a_blocking_twin(
    unasync: ModuleType, tmp_path: Path
) -> None:
    root = _project(tmp_path)
    assert _stale_rules(unasync.run(root, check=False)) == []
    generated = (root / "ibmq_sync" / "fresh.py").read_text()
    assert "class Fetcher:" in generated and "    def fetch(self) -> str:" in generated
    body = generated.split("\n", 2)[2]  # below the "Generated from ..." header
    assert "sleep(0)" in body and not re.search(r"\b(?:async|await)\b", body, re.IGNORECASE)
    assert "from ibmq_async._core.paths import url" in generated
    assert "from ._compat import sleep" in generated
    assert "__aenter__" not in generated and "__enter__" not in generated
    assert "    def __del__(self) -> None:\n        self.closed = True" in generated
    assert not (root / "ibmq_sync" / "_core").exists()
    test = (root / "tests" / "sync" / "test_fresh.py").read_text()
    assert "from ibmq_sync.fresh import Fetcher" in test and "def test_fetch" in test
    assert _stale_rules(unasync.run(root, check=True)) == []


def test_check_fails_on_drift_and_on_files_without_source(
    unasync: ModuleType, tmp_path: Path
) -> None:
    root = _project(tmp_path)
    unasync.run(root, check=False)
    twin = root / "ibmq_sync" / "fresh.py"
    twin.write_text(twin.read_text() + "# edited by hand\n")
    (root / "ibmq_sync" / "orphan.py").write_text("x = 1\n")
    problems = unasync.run(root, check=True)
    assert "ibmq_sync/fresh.py differs from what the generator makes" in problems
    assert "ibmq_sync/orphan.py has no source: delete it" in problems
    assert unasync.main(["--check", "--root", str(root)]) == 1


def test_check_fails_on_async_code_in_the_core(unasync: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path)
    unasync.run(root, check=False)
    (root / "ibmq_async" / "_core" / "io.py").write_text("async def fetch() -> None:\n    pass\n")
    problems = unasync.run(root, check=True)
    assert any(p.startswith("ibmq_async/_core/io.py:1: async code in the core") for p in problems)


def test_check_fails_on_async_wording_in_generated_text(
    unasync: ModuleType, tmp_path: Path
) -> None:
    root = _project(tmp_path)
    source = root / "ibmq_async" / "fresh.py"
    source.write_text(source.read_text().replace('"""The page."""', '"""An awaitable page."""'))
    problems = unasync.run(root, check=False)
    assert any(
        "still says 'awaitable'" in p and p.startswith("ibmq_sync/fresh.py:") for p in problems
    )


def test_hand_written_modules_need_their_header(unasync: ModuleType, tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "ibmq_sync" / "_compat.py").write_text("def sleep(seconds: float) -> None: ...\n")
    problems = unasync.run(root, check=True)
    assert "ibmq_sync/_compat.py is hand-written: it must start with '# Hand-written'" in problems


def test_unbalanced_markers_are_refused(unasync: ModuleType) -> None:
    with pytest.raises(SystemExit, match="never closed"):
        unasync.one_sided("x = 1\n# unasync: async-only\ny = 2\n", "m.py")
    with pytest.raises(SystemExit, match="must be commented out"):
        unasync.one_sided("# unasync: sync-only\ny = 2\n# unasync: end\n", "m.py")
