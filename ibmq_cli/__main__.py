"""``python -m ibmq_cli``: the ``ibmq`` command line."""

from .app import main

main()
