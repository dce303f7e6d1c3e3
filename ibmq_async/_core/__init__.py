"""The sans-IO core shared by ``ibmq_async``, ``ibmq_sync`` and ``ibmq_local``.

Plain functions, constants and pydantic models: endpoint paths, defaults, retry decisions,
reply parsing and the error mapping, the job status vocabulary, dates, LoopBack filters, run
options, circuit assembly, validation and the qiskit target. Nothing here does I/O or holds
``async`` code: the sync generator refuses a core module that does, so the blocking facade can
import the core as it is.
"""
