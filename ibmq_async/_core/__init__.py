"""The sans-IO core shared by ``ibmq_async``, ``ibmq_sync`` and ``ibmq_local``.

Plain functions, constants and pydantic models: endpoint paths, defaults, retry decisions,
reply parsing and the error mapping, the job status vocabulary, dates, LoopBack filters, run
options, circuit assembly, validation and the qiskit target. Nothing here holds ``async`` code
(the sync generator refuses a core module that does, so the blocking facade can import the
core as it is) or touches the network; the one module that does I/O is ``qiskitrc``, which
reads and writes the credentials file, the same for both facades.
"""
