"""The sans-IO core: status mapping, retry decisions, error parsing, models, paths."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from qiskit.providers import JobStatus

from ibmq_async._core.endpoints import HubGroupProject, ProjectPaths
from ibmq_async._core.errors import from_response
from ibmq_async._core.retry import NON_IDEMPOTENT, RetryPolicy, parse_retry_after
from ibmq_async._core.statuses import FINAL_API_STATUSES, to_job_status
from ibmq_async.models import ApiJobStatus, BackendJobLimit, JobDocument


@pytest.mark.parametrize(
    ("api", "expected"),
    [
        ("CREATING", JobStatus.INITIALIZING),
        ("TRANSPILED", JobStatus.INITIALIZING),
        ("VALIDATED", JobStatus.VALIDATING),
        ("PENDING_IN_QUEUE", JobStatus.QUEUED),
        ("RUNNING", JobStatus.RUNNING),
        ("COMPLETED", JobStatus.DONE),
        ("CANCELLED", JobStatus.CANCELLED),
        ("ERROR_RUNNING_JOB", JobStatus.ERROR),
    ],
)
def test_status_mapping(api: str, expected: JobStatus) -> None:
    assert to_job_status(ApiJobStatus(api)) is expected


def test_final_statuses_are_exactly_the_six() -> None:
    assert {s.value for s in FINAL_API_STATUSES} == {
        "COMPLETED",
        "CANCELLED",
        "ERROR_CREATING_JOB",
        "ERROR_VALIDATING_JOB",
        "ERROR_RUNNING_JOB",
        "ERROR_TRANSPILING_JOB",
    }


def test_retry_policy_decisions() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert policy.retries_status(503) and policy.retries_status(429)
    assert not policy.retries_status(400) and not policy.retries_status(404)
    assert policy.retries_exception(httpx.ReadTimeout("slow"))
    assert not NON_IDEMPOTENT.retries_exception(httpx.ReadTimeout("slow"))
    assert NON_IDEMPOTENT.retries_exception(httpx.ConnectError("refused"))
    assert not NON_IDEMPOTENT.retries_status(500) and NON_IDEMPOTENT.retries_status(429)
    assert [policy.wait(n) for n in (1, 2, 3, 10)] == [0.5, 1.0, 2.0, 8.0]
    assert policy.wait(1, "3") == 3.0
    assert policy.wait(1, "9999") == policy.max_retry_after
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_api_errors_carry_code_message_and_request_id() -> None:
    request = httpx.Request("POST", "https://x.test/api/Jobs")
    response = httpx.Response(
        400,
        json={"error": {"code": 3458, "message": "limit reached for tok123"}},
        headers={"x-request-id": "r1"},
        request=request,
    )
    error = from_response(response, secrets=("tok123",))
    assert (error.status_code, error.error_code, error.request_id) == (400, 3458, "r1")
    assert "Error code: 3458" in str(error) and "tok123" not in str(error)


def test_job_limit_minus_one_means_unlimited() -> None:
    limit = BackendJobLimit.model_validate({"maximumJobs": -1, "runningJobs": 2})
    assert limit.maximum_jobs is None and limit.remaining_jobs is None
    limit = BackendJobLimit.model_validate({"maximumJobs": 5, "runningJobs": 2, "x": 1})
    assert limit.remaining_jobs == 3 and limit.model_extra == {"x": 1}


def test_job_document_reads_utc_and_keeps_unknown_fields() -> None:
    doc = JobDocument.model_validate(
        {
            "id": "j",
            "creationDate": "2023-02-01T10:00:00.000Z",
            "status": "QUEUED",
            "kind": "q-object-external-storage",
            "futureField": {"size": 3},
        }
    )
    assert doc.creation_date.utcoffset() is not None
    assert doc.model_extra == {"futureField": {"size": 3}}


def test_paths_quote_names() -> None:
    paths = ProjectPaths("http://h/api/", HubGroupProject("ibm-q", "open", "main"))
    assert paths.devices == "http://h/api/Network/ibm-q/Groups/open/Projects/main/devices/v/1"
    assert paths.job("a/b", "v/1").endswith("/Jobs/a%2Fb/v/1")


def test_the_local_extra_hint_fits_where_the_sdk_was_installed(tmp_path: Path) -> None:
    from ibmq_async._core.defaults import local_extra_command

    checkout = tmp_path / "checkout"
    (checkout / "ibmq_async").mkdir(parents=True)
    (checkout / "ibmq_local").mkdir()
    (checkout / "pyproject.toml").write_text("[project]\n")
    assert local_extra_command(checkout / "ibmq_async") == f'pip install -e "{checkout}[local]"'
    site = tmp_path / "site-packages"
    (site / "ibmq_async").mkdir(parents=True)
    assert local_extra_command(site / "ibmq_async") == "pip install 'ibmq-async[local]'"


def test_a_missing_local_extra_names_the_module_and_the_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from ibmq_async import IBMQLocalServiceError
    from ibmq_async._local import embedded

    monkeypatch.setitem(sys.modules, "ibmq_local.service", None)
    with pytest.raises(IBMQLocalServiceError, match=r"ibmq_local\.service is missing\): pip"):
        embedded(None)
