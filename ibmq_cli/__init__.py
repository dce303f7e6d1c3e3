"""``ibmq``: the command line of ibmq-async (the ``cli`` extra: typer and rich).

It drives the blocking facade, ``ibmq_sync``; ``ibmq --help`` lists the commands.
"""
