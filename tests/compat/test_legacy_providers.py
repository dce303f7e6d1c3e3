"""qiskit-ibmq-provider 0.20.2 selecting a non-default provider and running a job there."""

from __future__ import annotations

import pytest
from compat_helpers import ghz
from qiskit import IBMQ, transpile
from qiskit.providers.exceptions import QiskitBackendNotFoundError
from qiskit.providers.ibmq import IBMQBackendApiError
from qiskit.providers.jobstatus import JobStatus


def test_get_provider_selects_another_hub_and_runs_a_job_there(provider, other_project) -> None:
    hub, group, project = other_project["hub"], other_project["group"], other_project["project"]
    assert {
        (p.credentials.hub, p.credentials.group, p.credentials.project) for p in IBMQ.providers()
    } >= {
        ("ibm-q", "open", "main"),
        (hub, group, project),
    }
    other = IBMQ.get_provider(hub=hub, group=group, project=project)
    assert other is not provider
    assert (other.credentials.hub, other.credentials.group, other.credentials.project) == (
        hub,
        group,
        project,
    )
    # The project may use two devices only; the default project sees them all.
    assert sorted(backend.name() for backend in other.backends()) == sorted(
        other_project["backends"]
    )
    assert len(provider.backends()) > len(other_project["backends"])
    with pytest.raises(QiskitBackendNotFoundError):
        other.get_backend("ibmq_lima")

    backend = other.get_backend("ibmq_qasm_simulator")
    job = backend.run(transpile(ghz(), backend), shots=300, job_tags=["other-hub"])
    counts = job.result(timeout=120).get_counts()
    assert set(counts) <= {"000", "111"} and sum(counts.values()) == 300
    assert job.status() is JobStatus.DONE

    # The job lives in hub-a/group-x/proj-1: found there, listed there, not in ibm-q/open/main.
    assert other.backend.retrieve_job(job.job_id()).job_id() == job.job_id()
    assert [j.job_id() for j in other.backend.jobs(job_tags=["other-hub"])] == [job.job_id()]
    assert job.job_id() not in [j.job_id() for j in provider.backend.jobs(job_tags=["other-hub"])]
    with pytest.raises(IBMQBackendApiError, match="3250"):
        provider.backend.retrieve_job(job.job_id())
