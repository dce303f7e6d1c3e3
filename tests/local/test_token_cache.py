"""The service's in-memory cache of access-token lookups (``ibmq_local._state``)."""

from __future__ import annotations

import time

from ibmq_local._state import AccessTokenCache


def test_an_entry_ends_at_its_deadline() -> None:
    cache = AccessTokenCache()
    cache.put("token-a", "alice", 0.2)
    assert cache.get("token-a") == "alice"
    assert cache.get("token-b") is None
    time.sleep(0.25)
    assert cache.get("token-a") is None


def test_forget_drops_a_revoked_token() -> None:
    cache = AccessTokenCache()
    cache.put("token-a", "alice", 60)
    cache.forget("token-a")
    assert cache.get("token-a") is None


def test_the_oldest_entries_go_first() -> None:
    cache = AccessTokenCache(size=2)
    for name in ("a", "b", "c"):
        cache.put(name, name, 60)
    assert [cache.get(name) for name in ("a", "b", "c")] == [None, "b", "c"]


def test_hold_never_exceeds_half_the_token_lifetime() -> None:
    cache = AccessTokenCache(hold=30)
    assert cache.hold_for(1_209_600) == 30
    assert cache.hold_for(2) == 1
    assert cache.hold_for(1) == 0  # not cached at all
