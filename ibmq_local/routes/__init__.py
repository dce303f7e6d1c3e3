"""HTTP routes of the local service, one module per API area."""

from __future__ import annotations

from . import auth, devices, jobs, network, storage, websocket

ROUTERS = (
    auth.router,
    network.router,
    devices.router,
    jobs.router,
    storage.router,
    websocket.router,
)
"""Every router, in the order the app includes them."""

__all__ = ["ROUTERS"]
