"""Two users of one local service through the client: each sees only their own providers,
backends and jobs, and what the other shared with them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from known_circuits import bell

from ibmq_async import (
    AsyncIBMQFactory,
    IBMQBackendApiError,
    IBMQJobApiError,
    IBMQProviderError,
)
from ibmq_local.service import LocalService

pytestmark = pytest.mark.integration

SIMULATOR = "ibmq_qasm_simulator"
CONFIG = f"""
[[users]]
id = "alice"
api_token = "alice-token"
projects = [
    {{ hub = "ibm-q", group = "open", project = "main", is_default = true }},
    {{ hub = "hub-a", group = "group-x", project = "proj-1", backends = ["{SIMULATOR}"] }},
]

[[users]]
id = "bob"
api_token = "bob-token"
projects = [
    {{ hub = "hub-a", group = "group-x", project = "proj-2" }},
    {{ hub = "hub-a", group = "group-y", project = "proj-3" }},
]
"""


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    """A service with alice (two hubs) and bob (two groups of hub-a)."""
    data_dir: Path = tmp_path_factory.mktemp("tenants")
    (data_dir / "config.toml").write_text(CONFIG)
    service = LocalService(data_dir)
    service.start()
    try:
        yield service
    finally:
        service.stop()


async def test_each_user_sees_only_their_providers_and_jobs(tenants: LocalService) -> None:
    async with AsyncIBMQFactory() as alice, AsyncIBMQFactory() as bob:
        await alice.enable_account("alice-token", url=tenants.auth_url)
        await bob.enable_account("bob-token", url=tenants.auth_url)
        assert [(p.hub, p.group, p.project) for p in alice.providers()] == [
            ("ibm-q", "open", "main"),
            ("hub-a", "group-x", "proj-1"),
        ]
        assert [(p.hub, p.group, p.project) for p in bob.providers()] == [
            ("hub-a", "group-x", "proj-2"),
            ("hub-a", "group-y", "proj-3"),
        ]
        with pytest.raises(IBMQProviderError):
            bob.get_provider(hub="ibm-q")

        # alice's hub-a project may use the simulator only.
        mine = alice.get_provider(hub="hub-a", group="group-x", project="proj-1")
        assert [backend.name() for backend in mine.backends()] == [SIMULATOR]
        assert len(alice.get_provider(hub="ibm-q").backends()) > 1

        backend = mine.get_backend(SIMULATOR)
        shared = await backend.run(bell(), shots=100, job_share_level="group")
        private = await backend.run(bell(), shots=100)
        for job in (shared, private):
            assert sum((await job.result()).get_counts().values()) == 100

        same_group = bob.get_provider(hub="hub-a", group="group-x", project="proj-2")
        other_group = bob.get_provider(hub="hub-a", group="group-y", project="proj-3")
        seen = await same_group.retrieve_job(shared.job_id())
        assert seen.share_level() == "group"
        assert (await seen.result()).get_counts() == (await shared.result()).get_counts()
        with pytest.raises(IBMQJobApiError):
            await seen.cancel()  # reading is shared, changing is not
        for provider, job_id in (
            (same_group, private.job_id()),
            (other_group, shared.job_id()),
            (other_group, private.job_id()),
        ):
            with pytest.raises(IBMQBackendApiError, match="3250"):
                await provider.retrieve_job(job_id)

        listed = {job.job_id() for job in await same_group.jobs(limit=None)}
        assert shared.job_id() in listed and private.job_id() not in listed
        assert not {job.job_id() for job in await other_group.jobs(limit=None)} & {
            shared.job_id(),
            private.job_id(),
        }
        # alice's other hub lists neither: her jobs belong to hub-a/group-x/proj-1.
        assert await alice.get_provider(hub="ibm-q").jobs(limit=None) == []
        assert {job.job_id() for job in await mine.jobs(limit=None)} == {
            shared.job_id(),
            private.job_id(),
        }
