"""Fixtures of the async tests (the blocking twins are generated from this file)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from ibmq_async import AsyncAccountProvider, AsyncIBMQFactory


@pytest.fixture
async def factory() -> AsyncIterator[AsyncIBMQFactory]:
    """A fresh account factory, closed after the test."""
    accounts = AsyncIBMQFactory()
    yield accounts
    await accounts.aclose()


@pytest.fixture
async def provider(factory: AsyncIBMQFactory, local_service: Any) -> AsyncAccountProvider:
    """The default provider of the local service's account."""
    provider = await factory.enable_account(local_service.token, url=local_service.auth_url)
    assert provider is not None
    return provider
