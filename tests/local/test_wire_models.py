"""The service speaks the client's wire models: every reply parses, with nothing left over.

The service builds its documents through the same pydantic models the client parses them with
(``ibmq_async._core.models``). These tests pin that: a field the service adds, renames or
re-types without the model knowing shows up as an unexpected extra or a failed round trip.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from ibmq_async._core.codes import ApiErrorCode
from ibmq_async._core.errors import BACKEND, classify, from_response
from ibmq_async._core.exceptions import IBMQBackendJobLimitError
from ibmq_async._core.models.job import (
    BackendRef,
    CancelResponse,
    DownloadUrl,
    JobCreated,
    JobCreateRequest,
    JobDocument,
    JobStatusResponse,
)
from ibmq_async._core.statuses import ApiJobStatus

pytestmark = pytest.mark.integration

PAUSED = "ibmq_lima"

CREATE_REPLY_EXTRAS = frozenset({"objectStorageInfo"})
"""The create reply is a job document plus the upload location (:class:`JobCreated`)."""
DOCUMENT_EXTRAS: frozenset[str] = frozenset()
"""Job documents carry no field the client's model does not type."""


def extras(model: BaseModel, path: str = "") -> set[str]:
    """Dotted paths of every field kept as an extra, in ``model`` and the models it holds."""
    found = {f"{path}{key}" for key in model.model_extra or {}}
    for name in type(model).model_fields:
        value = getattr(model, name)
        children = value.values() if isinstance(value, dict) else [value]
        for child in children:
            if isinstance(child, BaseModel):
                found |= extras(child, f"{path}{name}.")
    return found


def parse_document(
    served: dict[str, Any], allowed: frozenset[str] = DOCUMENT_EXTRAS
) -> JobDocument:
    """Parse ``served`` as the client does; check nothing is untyped and it round-trips."""
    document = JobDocument.model_validate(served)
    assert extras(document) <= allowed, served
    dumped = document.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped == served
    return document


def parse_reply(model: type[BaseModel], served: dict[str, Any]) -> BaseModel:
    """Parse a non-document reply: no extras, and it round-trips."""
    reply = model.model_validate(served)
    assert not extras(reply), served
    assert reply.model_dump(mode="json", by_alias=True, exclude_none=True) == served
    return reply


def test_every_job_reply_is_the_clients_model(api: Any, build: Any, http: httpx.Client) -> None:
    request = JobCreateRequest(
        backend=BackendRef(name="ibmq_qasm_simulator"),
        name="wire",
        tags=["w1", "w2"],
        experiment_tag="exp-wire",
    )
    response = api.post("/Jobs", json=request.to_wire())
    assert response.status_code == 200, response.text
    created = response.json()
    parse_reply(JobCreated, {key: created[key] for key in ("id", "objectStorageInfo")})
    document = parse_document(created, CREATE_REPLY_EXTRAS)
    assert document.status is ApiJobStatus.CREATING
    assert (document.name, document.tags, document.experiment_tag) == (
        "wire",
        ["w1", "w2"],
        "exp-wire",
    )
    assert document.hub_info is not None and document.hub_info.project is not None
    assert document.hub_info.project.name == "main"

    qobj = build.qobj([build.ghz(2)], shots=50)
    upload = http.put(created["objectStorageInfo"]["uploadUrl"], content=json.dumps(qobj))
    assert upload.status_code == 200
    uploaded = api.post(f"/Jobs/{document.id}/jobDataUploaded").json()
    assert set(uploaded) == {"job"}
    parse_document(uploaded["job"])
    assert api.wait(document.id) == "COMPLETED"

    done = parse_document(api.job(document.id))
    assert done.status is ApiJobStatus.COMPLETED and done.shots == 50
    assert done.end_date is not None and done.time_per_step is not None
    assert done.end_date == done.time_per_step["COMPLETED"]
    parse_reply(JobStatusResponse, api.status(document.id))
    parse_reply(DownloadUrl, api.get(f"/Jobs/{document.id}/resultDownloadUrl").json())
    parse_reply(DownloadUrl, api.get(f"/Jobs/{document.id}/jobDownloadUrl").json())

    failing = build.qobj([build.ghz(2)], shots=10**9)
    failed = parse_document(api.run(failing))
    assert failed.status is ApiJobStatus.ERROR_VALIDATING_JOB
    assert failed.error is not None and failed.error.code == 1104

    paused = build.qobj(
        [build.experiment([{"name": "x", "qubits": [0]}, *build.measure([0])], 5, 1)], PAUSED
    )
    queued_id = api.submit(paused, PAUSED)
    api.wait(queued_id, frozenset({"QUEUED"}))
    queued = parse_document(api.job(queued_id))
    assert queued.info_queue is not None and queued.info_queue.position is not None
    status = parse_reply(JobStatusResponse, api.status(queued_id))
    assert isinstance(status, JobStatusResponse) and status.info_queue is not None
    parse_reply(CancelResponse, api.post(f"/Jobs/{queued_id}/cancel").json())
    assert parse_document(api.job(queued_id)).status is ApiJobStatus.CANCELLED

    for path in ("/Jobs/v/1", "/Jobs/status/v/1"):
        listed = api.get(path, params={"filter": json.dumps({"limit": 5})}).json()
        assert {document.id, queued_id} <= {job["id"] for job in listed}
        for served in listed:
            parse_document(served)


def test_a_served_document_round_trips_through_the_model(api: Any) -> None:
    created = api.create_job(name="round trip", tags=["x"])
    served = api.job(created["id"])
    document = JobDocument.model_validate(served)
    again = JobDocument.model_validate_json(document.model_dump_json(by_alias=True))
    assert again == document
    assert again.model_dump(mode="json", by_alias=True, exclude_none=True) == served
    # Optional keys the job never had stay absent; liveDataEnabled is always sent.
    assert {"error", "endDate", "experimentTag", "infoQueue", "shots"}.isdisjoint(served)
    assert served["liveDataEnabled"] is False
    api.post(f"/Jobs/{created['id']}/cancel")


def test_error_replies_map_to_the_clients_typed_errors(bob: Any, expect_error: Any) -> None:
    created = [bob.create_job() for _ in range(2)]
    refused = bob.post("/Jobs", json={"backend": {"name": "ibmq_qasm_simulator"}})
    error = expect_error(refused, 400, ApiErrorCode.JOB_LIMIT_REACHED)
    assert error["name"] == ApiErrorCode.JOB_LIMIT_REACHED.wire_name
    typed = classify(from_response(refused), BACKEND, "run")
    assert isinstance(typed, IBMQBackendJobLimitError)
    for job in created:
        bob.post(f"/Jobs/{job['id']}/cancel")

    code = ApiErrorCode.JOB_NOT_FOUND
    missing = expect_error(bob.get("/Jobs/0123456789abcdef01234567/v/1"), code.status, code)
    assert missing["name"] == code.wire_name
