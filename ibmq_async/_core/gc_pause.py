"""Pausing the cyclic garbage collector while a burst of short-lived objects is built.

Building a job's experiments, or parsing a page of 100 job documents, allocates thousands of
dicts, lists and models at once. With the collector on, every 700 of them start a collection
that finds them all still alive, promotes them, and after enough promotions scans the whole
heap (qiskit's included: about 100 ms on the benchmark machine). What is built here holds no
reference cycle, so reference counting alone frees what is dropped; pausing the collector for
the burst only spares those scans (measured by ``bench/serialization.py`` and
``bench/listing.py``).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the ``with`` block.

    Pauses nest and overlap across threads: the collector's state from before the first one
    is restored when the last one ends, so a caller that disabled it keeps it disabled.
    """
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
