"""A small web service that runs OpenQASM 2 circuits through ``ibmq_async``.

    pip install -e ".[local]"
    uvicorn fastapi_service:app --app-dir examples --host 127.0.0.1 --port 8000

With ``QE_TOKEN`` and ``QE_URL`` set it uses that account (``AsyncIBMQFactory.load_account``),
otherwise the embedded local service. The account is enabled once, in the app's lifespan, and
every request shares its connections.

    POST /jobs?backend=ibmq_qasm_simulator&shots=1000   body: OpenQASM 2 text
         -> 201 {"job_id": ..., "backend": ..., "status": ...}
    GET  /jobs/{job_id}                                  -> {"job_id", "backend", "status"}
    GET  /jobs/{job_id}/result?timeout=60                -> {"job_id", "status", "counts"}
    GET  /backends                                       -> the backends' names
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Body, FastAPI, HTTPException, Request
from qiskit import qasm2, transpile

from ibmq_async import AsyncAccountProvider, AsyncIBMQFactory, AsyncIBMQJob
from ibmq_async.exceptions import (
    IBMQApiError,
    IBMQBackendNotFoundError,
    IBMQBackendValueError,
    IBMQJobFailureError,
    IBMQJobInvalidStateError,
    IBMQJobTimeoutError,
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Enable the account when the app starts; close its connections when it stops."""
    async with AsyncIBMQFactory() as accounts:
        if os.environ.get("QE_TOKEN") and os.environ.get("QE_URL"):
            provider = await accounts.load_account()
        else:
            provider = await accounts.enable_local()
        if provider is None:
            raise RuntimeError("The account has no provider.")
        app.state.provider = provider
        yield


app = FastAPI(title="ibmq-async example service", lifespan=lifespan)


def provider_of(request: Request) -> AsyncAccountProvider:
    """The provider the lifespan enabled."""
    provider: AsyncAccountProvider = request.app.state.provider
    return provider


@app.get("/backends")
async def backends(request: Request) -> list[str]:
    """The names of the backends the account may use."""
    return [backend.name() for backend in provider_of(request).backends()]


@app.post("/jobs", status_code=201)
async def submit(
    request: Request,
    qasm: str = Body(..., media_type="text/plain"),
    backend: str = "ibmq_qasm_simulator",
    shots: int = 1024,
) -> dict[str, Any]:
    """Parse an OpenQASM 2 circuit, transpile it for ``backend`` and submit it."""
    provider = provider_of(request)
    try:
        circuit = qasm2.loads(qasm)
    except qasm2.QASM2ParseError as exc:
        raise HTTPException(400, f"Not OpenQASM 2: {exc}") from None
    try:
        target = provider.get_backend(backend)
    except IBMQBackendNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    # Transpiling is CPU work: keep it off the event loop.
    compiled = await asyncio.to_thread(transpile, circuit, target, seed_transpiler=1)
    try:
        job = await target.run(compiled, shots=shots)
    except IBMQBackendValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"job_id": job.job_id(), "backend": backend, "status": (await job.status()).name}


@app.get("/jobs/{job_id}")
async def status(request: Request, job_id: str) -> dict[str, Any]:
    """A job's status."""
    job = await _retrieve(request, job_id)
    return {
        "job_id": job.job_id(),
        "backend": job.backend().name(),
        "status": (await job.status()).name,
    }


@app.get("/jobs/{job_id}/result")
async def result(request: Request, job_id: str, timeout: float = 60) -> dict[str, Any]:
    """Wait up to ``timeout`` seconds for a job, then return its counts."""
    job = await _retrieve(request, job_id)
    try:
        outcome = await job.result(timeout=timeout)
    except IBMQJobTimeoutError:
        raise HTTPException(409, f"Job {job_id} is not finished yet.") from None
    except (IBMQJobFailureError, IBMQJobInvalidStateError) as exc:
        raise HTTPException(422, str(exc)) from None
    return {"job_id": job_id, "status": "DONE", "counts": outcome.get_counts()}


async def _retrieve(request: Request, job_id: str) -> AsyncIBMQJob:
    """The job ``job_id`` of the provider, or the HTTP error that says why not."""
    try:
        return await provider_of(request).retrieve_job(job_id)
    except IBMQBackendValueError as exc:
        raise HTTPException(400, str(exc)) from None
    except IBMQApiError as exc:
        if exc.status_code == 404:
            raise HTTPException(404, f"No job {job_id}.") from None
        raise HTTPException(502, f"The quantum service failed: {exc}") from None
