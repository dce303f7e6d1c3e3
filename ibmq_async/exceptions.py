"""The exception hierarchy of ibmq-async. It is defined in the shared core, so both facades
raise the very same classes."""

from ._core.exceptions import *  # noqa: F403
from ._core.exceptions import __all__ as __all__
