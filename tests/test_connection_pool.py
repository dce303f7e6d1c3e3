"""Bursts of concurrent requests reuse the account's pooled connections.

A batch whose jobs finish together sends their downloads at once. With httpx's default pool
(100 connections, 20 kept while idle) every burst after the first opened a new connection for
each request over 20: 236 connects for the 240 result requests of 60 jobs. Each burst here
must run on the connections the first one opened, and never on more than the pool's. Both
the async and the blocking account are checked, against the real local service.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from qiskit import QuantumCircuit

from ibmq_async import AsyncIBMQFactory
from ibmq_async._core.defaults import CONNECTION_POOL
from ibmq_sync import IBMQFactory

pytestmark = pytest.mark.integration

BURST = 40
"""Concurrent requests per burst: twice the pool's connections, and twice the idle connections
httpx keeps by default."""


def stream_of(response: httpx.Response) -> tuple[str, int]:
    """Which connection carried ``response``: its local address (host, ephemeral port)."""
    host, port = response.extensions["network_stream"].get_extra_info("client_addr")
    return str(host), int(port)


async def test_async_bursts_reuse_connections(local_service: Any, ghz: QuantumCircuit) -> None:
    factory = AsyncIBMQFactory()
    try:
        provider = await factory.enable_account(local_service.token, url=local_service.auth_url)
        assert provider is not None
        job = await provider.get_backend("ibmq_qasm_simulator").run(ghz, shots=10)
        await job.result(timeout=120)
        seen: list[tuple[str, int]] = []

        async def record(response: httpx.Response) -> None:
            seen.append(stream_of(response))

        job._api._session.client.event_hooks["response"].append(record)
        bursts: list[set[tuple[str, int]]] = []
        for _ in range(3):
            seen.clear()
            await asyncio.gather(*(job.refresh() for _ in range(BURST)))
            assert len(seen) == BURST
            bursts.append(set(seen))
        assert len(bursts[0]) <= CONNECTION_POOL.max_connections
        assert bursts[1] <= bursts[0] and bursts[2] <= bursts[0]
    finally:
        await factory.aclose()


def test_blocking_bursts_reuse_connections(local_service: Any, ghz: QuantumCircuit) -> None:
    factory = IBMQFactory()
    try:
        provider = factory.enable_account(local_service.token, url=local_service.auth_url)
        assert provider is not None
        job = provider.get_backend("ibmq_qasm_simulator").run(ghz, shots=10)
        job.result(timeout=120)
        seen: list[tuple[str, int]] = []
        job._api._session.client.event_hooks["response"].append(
            lambda response: seen.append(stream_of(response))
        )
        bursts: list[set[tuple[str, int]]] = []
        with ThreadPoolExecutor(BURST) as threads:
            for _ in range(3):
                seen.clear()
                list(threads.map(lambda _: job.refresh(), range(BURST)))
                assert len(seen) == BURST
                bursts.append(set(seen))
        assert 1 < len(bursts[0]) <= CONNECTION_POOL.max_connections
        assert bursts[1] <= bursts[0] and bursts[2] <= bursts[0]
    finally:
        factory.close()
