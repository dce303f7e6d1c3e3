"""Exact requests and injected faults, against a respx-mocked API (no real server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from qiskit import QuantumCircuit

from ibmq_async import (
    AsyncAccountProvider,
    AsyncIBMQFactory,
    IBMQApiError,
    IBMQBackendApiCredentialsError,
    IBMQBackendApiError,
    IBMQBackendError,
    IBMQBackendJobLimitError,
    IBMQBackendValueError,
    IBMQJobApiError,
    IBMQJobInvalidStateError,
    RetryPolicy,
)
from ibmq_async._core.submission import RUN_TOKEN_PREFIX

AUTH = "https://auth.example.test/api"
HTTP = "https://api.example.test/api"
HGP = f"{HTTP}/Network/h/Groups/g/Projects/p"
TOKEN = "api-token-secret"
ACCESS = "access-token-secret"
UPLOAD = "https://storage.example.test/upload?sig=abc"
FAST = RetryPolicy(backoff=0.001, max_backoff=0.002, jitter=0.0)

CONFIG = {
    "backend_name": "fake_device",
    "backend_version": "1.2.3",
    "n_qubits": 2,
    "basis_gates": ["cx", "rz", "sx", "x"],
    "gates": [{"name": "cx", "parameters": [], "qasm_def": "gate cx q1,q2 { CX q1,q2; }"}],
    "local": False,
    "simulator": False,
    "conditional": False,
    "open_pulse": False,
    "memory": True,
    "max_shots": 8192,
    "max_experiments": 10,
    "coupling_map": [[0, 1], [1, 0]],
    "online_date": "2021-01-01T00:00:00Z",
}
JOB = {
    "id": "job1",
    "creationDate": "2023-02-01T10:00:00.000Z",
    "status": "CREATED",
    "kind": "q-object-external-storage",
    "backend": {"name": "fake_device"},
}


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """A mocked IBM Quantum API with a working login and one device."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.get(f"{AUTH}/version").respond(json={"api-auth": "0.1"})
        router.post(f"{AUTH}/users/loginWithToken").respond(json={"id": ACCESS})
        router.get(f"{AUTH}/users/me").respond(
            json={"urls": {"http": HTTP, "ws": "wss://ws.example.test"}}
        )
        router.get(f"{HTTP}/Network").respond(
            json=[{"name": "h", "groups": {"g": {"projects": {"p": {"isDefault": True}}}}}]
        )
        router.get(f"{HGP}/devices/v/1").respond(json=[CONFIG, {"broken": True}])
        # ``run()`` reads the job limit to pace concurrent submissions.
        router.get(f"{HGP}/devices/fake_device/jobsLimit").respond(
            json={"maximumJobs": 5, "runningJobs": 0}
        )
        yield router


@pytest.fixture
async def mocked(api: respx.MockRouter) -> Any:
    accounts = AsyncIBMQFactory()
    provider = await accounts.enable_account(TOKEN, url=AUTH, retry=FAST)
    yield provider
    await accounts.aclose()


def circuit() -> QuantumCircuit:
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qc


async def test_login_sequence_and_headers(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    calls = [(c.request.method, str(c.request.url)) for c in api.calls]
    assert calls == [
        ("GET", f"{AUTH}/version"),
        ("POST", f"{AUTH}/users/loginWithToken"),
        ("GET", f"{AUTH}/users/me"),
        ("GET", f"{HTTP}/Network"),
        ("GET", f"{HGP}/devices/v/1"),
    ]
    version, login, me = (c.request for c in api.calls[:3])
    assert "X-Access-Token" not in version.headers and "X-Access-Token" not in login.headers
    assert json.loads(login.content) == {"apiToken": TOKEN}
    assert me.headers["X-Access-Token"] == ACCESS
    assert all("X-Qx-Client-Application" in c.request.headers for c in api.calls)
    assert [b.name() for b in mocked.backends()] == ["fake_device"]  # the broken one skipped


async def test_run_sends_the_legacy_create_body_and_no_token_to_storage(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    create = api.post(f"{HGP}/Jobs").respond(
        json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}}
    )
    upload = api.put(UPLOAD).respond(200)
    notify = api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(json={"job": JOB})
    backend = mocked.get_backend("fake_device")
    job = await backend.run(circuit(), shots=10, job_name="n1", job_tags=["a"], experiment_id="e")
    assert job.job_id() == "job1"
    body = json.loads(create.calls.last.request.content)
    user_tag, token = body.pop("tags")
    assert body == {
        "backend": {"name": "fake_device"},
        "allowObjectStorage": True,
        "liveDataEnabled": None,
        "name": "n1",
        "experimentTag": "e",
    }
    # The run token rides in the tags (exactly-once creation) and is hidden from the user.
    assert user_tag == "a" and token.startswith(RUN_TOKEN_PREFIX) and len(token) > 20
    sent = upload.calls.last.request
    assert "X-Access-Token" not in sent.headers
    qobj = json.loads(sent.content)
    assert qobj["type"] == "QASM" and qobj["config"]["shots"] == 10
    assert qobj["header"]["backend_name"] == "fake_device"
    assert notify.calls.last.request.content == b""


async def test_invalid_input_sends_nothing(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    create = api.post(f"{HGP}/Jobs").respond(500)
    api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    backend = mocked.get_backend("fake_device")
    wide = QuantumCircuit(3, 3)
    wide.x(2)
    wide.measure([0, 1, 2], [0, 1, 2])
    for bad in (
        {"circuits": wide},
        {"circuits": circuit(), "shots": 0},
        {"circuits": circuit(), "shots": 1.5},
        {"circuits": circuit(), "job_tags": [1]},
        {"circuits": [circuit()] * 11},
        {"circuits": circuit(), "use_measure_esp": True},
    ):
        with pytest.raises(IBMQBackendValueError):
            await backend.run(**bad)
    assert not create.called


async def test_reads_retry_on_5xx_but_job_creation_does_not(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    status = api.get(f"{HGP}/devices/fake_device/queue/status").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(502),
            httpx.Response(200, json={"state": True, "status": "active", "lengthQueue": 3}),
        ]
    )
    backend = mocked.get_backend("fake_device")
    reply = await backend.status()
    assert status.call_count == 3 and reply.pending_jobs == 3 and reply.operational
    create = api.post(f"{HGP}/Jobs").respond(500, json={"error": {"code": 1, "message": "x"}})
    lookup = api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    with pytest.raises(IBMQBackendApiError) as failed:
        await backend.run(circuit(), shots=10)
    # A failed creation is never sent again blindly: each retry follows a lookup of its token
    # that found no job, and the tries stop at the retry policy's count.
    assert create.call_count == FAST.attempts and lookup.call_count == FAST.attempts - 1
    assert failed.value.status_code == 500


async def test_connect_errors_are_retried_even_for_job_creation(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    create = api.post(f"{HGP}/Jobs").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(200, json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}}),
        ]
    )
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(json={"job": JOB})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert job.job_id() == "job1" and create.call_count == 2


async def test_job_limit_error_code_maps_to_its_own_error(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.post(f"{HGP}/Jobs").respond(
        400,
        json={"error": {"code": 3458, "message": "Job limit reached", "name": "LIMIT"}},
        headers={"x-request-id": "req-7"},
    )
    with pytest.raises(IBMQBackendJobLimitError) as limit:
        await mocked.get_backend("fake_device").run(circuit(), shots=10, wait_for_slot=False)
    assert limit.value.error_code == 3458 and limit.value.request_id == "req-7"
    assert limit.value.status_code == 400


async def test_a_job_limit_answer_waits_for_a_slot_by_default(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    # Another client filled the backend: the first report shows room, the server says 3458,
    # the next report shows it full, and a later one shows a slot again.
    limit = api.get(f"{HGP}/devices/fake_device/jobsLimit").mock(
        side_effect=[
            httpx.Response(200, json={"maximumJobs": 2, "runningJobs": 1}),
            httpx.Response(200, json={"maximumJobs": 2, "runningJobs": 2}),
            httpx.Response(200, json={"maximumJobs": 2, "runningJobs": 1}),
        ]
    )
    create = api.post(f"{HGP}/Jobs").mock(
        side_effect=[
            httpx.Response(400, json={"error": {"code": 3458, "message": "Job limit reached"}}),
            httpx.Response(200, json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}}),
        ]
    )
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(json={"job": JOB})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert job.job_id() == "job1"
    assert create.call_count == 2 and limit.call_count == 3


async def test_wait_for_slot_must_be_a_bool(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    create = api.post(f"{HGP}/Jobs").respond(500)
    api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    with pytest.raises(IBMQBackendValueError, match="wait_for_slot"):
        await mocked.get_backend("fake_device").run(circuit(), wait_for_slot="yes")
    assert create.call_count == 0


async def test_an_ambiguous_creation_is_looked_up_by_its_token(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    # The first POST reached the server and its reply was lost (a gateway 504); the job it
    # made is found by the run token, cancelled, and one new job is created in its place.
    create = api.post(f"{HGP}/Jobs").mock(
        side_effect=[
            httpx.Response(504),
            httpx.Response(200, json={"id": "job2", "objectStorageInfo": {"uploadUrl": UPLOAD}}),
        ]
    )
    phantom = {"id": "ghost", "creationDate": "2023-02-01T10:00:00Z", "status": "CREATING"}
    lookup = api.get(f"{HGP}/Jobs/status/v/1").mock(
        side_effect=[httpx.Response(200, json=[phantom]), httpx.Response(200, json=[])]
    )
    cancel = api.post(f"{HGP}/Jobs/ghost/cancel").respond(json={"cancelled": True})
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job2/jobDataUploaded").respond(json={"job": {**JOB, "id": "job2"}})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10, job_tags=["t"])
    assert job.job_id() == "job2" and create.call_count == 2 and cancel.call_count == 1
    first, second = (json.loads(c.request.content)["tags"] for c in create.calls)
    where = json.loads(lookup.calls[0].request.url.params["filter"])["where"]
    assert where == {"tags": {"inq": [first[1]]}}
    # The second creation carries a new token, so a later lookup cannot confuse the two.
    assert first[0] == second[0] == "t" and first[1] != second[1]


async def test_an_ambiguous_creation_that_never_reached_the_server_is_sent_once_more(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    create = api.post(f"{HGP}/Jobs").mock(
        side_effect=[
            httpx.ReadTimeout("no reply"),
            httpx.Response(200, json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}}),
        ]
    )
    lookup = api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    cancel = api.post(url__regex=r".*/cancel$").respond(json={"cancelled": True})
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(json={"job": JOB})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert job.job_id() == "job1"
    assert create.call_count == 2 and lookup.call_count == 1 and cancel.call_count == 0


async def test_a_creation_that_stays_ambiguous_gives_up_after_the_policy_s_tries(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    create = api.post(f"{HGP}/Jobs").respond(502)
    api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    with pytest.raises(IBMQBackendApiError) as failed:
        await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert failed.value.status_code == 502 and create.call_count == FAST.attempts


async def test_failed_upload_cancels_the_phantom_job(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.post(f"{HGP}/Jobs").respond(json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}})
    api.put(UPLOAD).respond(403)
    cancel = api.post(f"{HGP}/Jobs/job1/cancel").respond(json={"cancelled": True})
    with pytest.raises(IBMQBackendApiError):
        await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert cancel.called


async def test_tokens_never_leak_into_errors(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.get(f"{HGP}/devices/fake_device/jobsLimit").respond(
        401, text=f"bad token {ACCESS} / {TOKEN}"
    )
    with pytest.raises(IBMQApiError) as failed:
        await mocked.get_backend("fake_device").job_limit()
    assert ACCESS not in str(failed.value) and TOKEN not in str(failed.value)
    assert "..." in str(failed.value)


async def test_bad_job_arguments_send_nothing(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    listing = api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    create = api.post(f"{HGP}/Jobs").respond(500)
    api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    backend = mocked.get_backend("fake_device")
    with pytest.raises(IBMQBackendValueError, match="share level"):
        await backend.run(circuit(), shots=10, job_share_level="bogus")
    for bad in (
        {"status": "SLEEPING"},
        {"job_tags": ["a"], "job_tags_operator": "XOR"},
        {"job_tags": "a"},
        {"limit": -1},
        {"skip": "2"},
        {"start_datetime": "2024-01-01"},
        {"db_filter": [1]},
    ):
        with pytest.raises(IBMQBackendValueError):
            await backend.jobs(**bad)
    with pytest.raises(IBMQBackendValueError):
        await backend.retrieve_job(5)
    assert not listing.called and not create.called
    assert await backend.jobs(job_tags=["a"]) == [] and listing.call_count == 1
    sent = json.loads(listing.calls.last.request.url.params["filter"])
    assert sent == {
        "order": "creationDate DESC",
        "limit": 10,
        "skip": 0,
        "where": {"backend.name": "fake_device", "tags": {"inq": ["a"]}},
    }


async def test_bad_job_updates_send_nothing(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.post(f"{HGP}/Jobs").respond(json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}})
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(json={"job": JOB})
    update = api.put(f"{HGP}/Jobs/job1").respond(json={"name": "x"})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10)
    with pytest.raises(IBMQJobInvalidStateError):
        await job.update_name(5)
    for bad in ({}, {"replacement_tags": "a"}, {"removal_tags": [1]}):
        with pytest.raises(IBMQJobInvalidStateError):
            await job.update_tags(**bad)
    assert not update.called
    assert await job.update_name("x") == "x" and update.call_count == 1


async def test_run_option_rules_send_nothing(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    create = api.post(f"{HGP}/Jobs").respond(500)
    api.get(f"{HGP}/Jobs/status/v/1").respond(json=[])
    backend = mocked.get_backend("fake_device")
    assert backend.provider() is mocked
    for bad in (
        {"rep_time": 100},
        {"qubit_lo_freq": [5.0]},
        {"schedule_los": [{}]},
        {"memory_slot_size": 10},
        {"memory_slots": 2},
        {"rep_delay": 0.0001},  # fake_device has no dynamic repetition rate
        {"meas_return": 5},
        {"init_qubits": "no"},
        {"memory": "yes"},
        {"dynamic": True},
    ):
        with pytest.raises(IBMQBackendValueError):
            await backend.run(circuit(), shots=10, **bad)
    with pytest.raises(AttributeError):
        backend.set_options(bogus=1)
    with pytest.raises(IBMQBackendValueError):
        backend.set_options(shots="many")
    backend.set_options(shots=7)
    assert backend.options.shots == 7
    with (
        pytest.warns(UserWarning, match="not a recognized runtime option"),
        pytest.raises(IBMQBackendApiError),
    ):
        await backend.run(circuit(), my_option=1)
    assert create.call_count == FAST.attempts  # each retry after a lookup found no job
    sent = json.loads(create.calls.last.request.content)
    assert "shareLevel" not in sent


async def test_a_job_of_a_retired_backend_gets_a_stand_in(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    gone = {**JOB, "id": "old1", "backend": {"name": "ibmq_retired"}}
    api.get(f"{HGP}/Jobs/status/v/1").mock(
        side_effect=[httpx.Response(200, json=[gone]), httpx.Response(200, json=[])]
    )
    api.get(f"{HGP}/Jobs/old1/v/1").respond(json=gone)
    (job,) = await mocked.jobs(limit=None)
    retired = job.backend()
    assert retired.name() == "ibmq_retired"
    assert (await mocked.retrieve_job("old1")).backend() is retired
    calls = len(api.calls)
    status = await retired.status()
    assert not status.operational and "no longer available" in status.status_msg
    assert await retired.properties() is None and await retired.defaults() is None
    assert await retired.job_limit() is None and await retired.reservations() == []
    assert len(api.calls) == calls  # none of these asked the server
    with pytest.raises(IBMQBackendError):
        await retired.run(circuit())


async def test_an_expired_access_token_logs_in_again_once(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    login = api.post(f"{AUTH}/users/loginWithToken").respond(json={"id": "access-2"})
    before = login.call_count
    expired = httpx.Response(401, json={"error": {"code": 3200, "message": "expired"}})
    ok = httpx.Response(200, json={"state": True, "status": "active", "lengthQueue": 0})
    status = api.get(f"{HGP}/devices/fake_device/queue/status").mock(side_effect=[expired, ok])
    backend = mocked.get_backend("fake_device")
    assert (await backend.status()).operational
    assert login.call_count == before + 1
    assert status.calls[-1].request.headers["X-Access-Token"] == "access-2"
    status.mock(side_effect=None, return_value=expired)
    with pytest.raises(IBMQBackendApiCredentialsError):
        await backend.status()
    assert login.call_count == before + 2  # once per failing call, never in a loop


async def test_a_lost_data_uploaded_reply_does_not_cancel_a_queued_job(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.post(f"{HGP}/Jobs").respond(json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}})
    api.put(UPLOAD).respond(200)
    notify = api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(504)
    api.get(f"{HGP}/Jobs/job1/v/1").respond(json={**JOB, "status": "QUEUED"})
    cancel = api.post(f"{HGP}/Jobs/job1/cancel").respond(json={"cancelled": True})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert job.job_id() == "job1" and job.api_status().value == "QUEUED"
    assert notify.call_count == FAST.attempts and cancel.call_count == 0


async def test_a_data_uploaded_that_never_arrived_cancels_the_job(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.post(f"{HGP}/Jobs").respond(json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}})
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(502)
    api.get(f"{HGP}/Jobs/job1/v/1").respond(json={**JOB, "status": "CREATING"})
    cancel = api.post(f"{HGP}/Jobs/job1/cancel").respond(json={"cancelled": True})
    with pytest.raises(IBMQBackendApiError):
        await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert cancel.call_count == 1  # no half-created job is left behind


async def test_waiting_polls_through_failed_polls_until_the_job_ends(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.post(f"{HGP}/Jobs").respond(json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}})
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(json={"job": JOB})
    # Every try of the first poll fails (the session's retries included); the next succeeds.
    # Waits poll through the project's shared status listing, not the job's own route.
    status = api.get(f"{HGP}/Jobs/status/v/1").mock(
        side_effect=[httpx.Response(503)] * FAST.attempts
        + [httpx.Response(200, json=[{"id": "job1", "status": "COMPLETED"}])]
    )
    api.get(f"{HGP}/Jobs/job1/v/1").respond(json={**JOB, "status": "COMPLETED"})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10)
    assert (await job.wait_for_final_state(timeout=30, wait=0.01)).name == "DONE"
    assert status.call_count == FAST.attempts + 1


async def test_waiting_stops_at_a_poll_failure_that_will_not_pass(
    api: respx.MockRouter, mocked: AsyncAccountProvider
) -> None:
    api.post(f"{HGP}/Jobs").respond(json={"id": "job1", "objectStorageInfo": {"uploadUrl": UPLOAD}})
    api.put(UPLOAD).respond(200)
    api.post(f"{HGP}/Jobs/job1/jobDataUploaded").respond(json={"job": JOB})
    api.get(f"{HGP}/Jobs/status/v/1").respond(404, json={"error": {"code": 3250}})
    job = await mocked.get_backend("fake_device").run(circuit(), shots=10)
    with pytest.raises(IBMQJobApiError):
        await job.wait_for_final_state(timeout=30, wait=0.01)


async def test_each_request_is_one_debug_line_without_secrets(
    api: respx.MockRouter, mocked: AsyncAccountProvider, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    backend = mocked.get_backend("fake_device")
    api.get(f"{HGP}/devices/fake_device/queue/status").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(
                200,
                json={"state": True, "status": "active", "lengthQueue": 1},
                headers={"x-request-id": "req-42"},
            ),
        ]
    )
    caplog.set_level(logging.DEBUG, logger=type(backend).__module__.split(".")[0])
    await backend.status()
    lines = [r.getMessage() for r in caplog.records if " -> " in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(
        f"GET {HGP.split('.test')[1]}/devices/fake_device/queue/status -> 200 in "
    )
    assert lines[0].endswith("ms, 1 retries, request id req-42")
    assert not [r for r in caplog.records if TOKEN in r.getMessage() or ACCESS in r.getMessage()]
