"""An mkdocs hook that silences one known, harmless griffe warning under ``--strict``.

``ibmq_async/__init__.py`` (and the generated ``ibmq_sync/__init__.py``) end with
``__all__ += exceptions.__all__``, which griffe cannot evaluate statically. The exceptions are
documented from ``ibmq_async._core.exceptions`` directly, so nothing is lost; every other
warning still fails the build.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_KNOWN = re.compile(r"Unsupported item in ibmq_(async|sync)\.__all__: __all__ \(use strings only\)")


class _DropKnownWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _KNOWN.search(record.getMessage())


_FILTER = _DropKnownWarning()


def on_startup(**_: Any) -> None:
    """Install the filter on the loggers griffe's messages reach mkdocs through."""
    for name in ("mkdocs.plugins.griffe", "griffe", "mkdocs.plugins.mkdocstrings_handlers"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
