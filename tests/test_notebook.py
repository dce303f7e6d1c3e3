"""The blocking facade inside a running event loop, as in a Jupyter notebook cell."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from qiskit import QuantumCircuit, transpile

from ibmq_sync import IBMQFactory


async def test_blocking_calls_work_while_a_loop_runs(
    local_service: Any, ghz: QuantumCircuit
) -> None:
    asyncio.get_running_loop()  # we are inside a loop, like a notebook cell
    accounts = IBMQFactory()
    provider = accounts.enable_account(local_service.token, url=local_service.auth_url)
    assert provider is not None
    backend = provider.get_backend("ibmq_qasm_simulator")
    counts = backend.run(transpile(ghz, backend), shots=100).result(timeout=120).get_counts()
    assert set(counts) <= {"000", "111"} and sum(counts.values()) == 100
    accounts.close()


async def test_enable_local_works_while_a_loop_runs(tmp_path: Path) -> None:
    asyncio.get_running_loop()
    accounts = IBMQFactory()
    provider = accounts.enable_local(data_dir=tmp_path)
    assert provider.get_backend("ibmq_manila").configuration().n_qubits == 5
    assert (provider.get_backend("ibmq_manila").status()).operational
    accounts.close()
