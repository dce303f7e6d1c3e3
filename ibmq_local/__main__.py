"""``python -m ibmq_local serve ...``."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
