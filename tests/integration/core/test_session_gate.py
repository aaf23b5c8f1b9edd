"""Under a burst larger than the connection pool the server queues requests, it does not deadlock.

A request that holds a connection (its token was looked up) still needs worker threads for the
sync dependencies and the route that follow. Were requests allowed to wait for a pooled connection
while holding a worker thread, a burst could leave every thread waiting for a connection and every
connection's request waiting for a thread.
"""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.orm import Session

from laotie.app import create_app
from laotie.core.db import Database
from laotie.settings import Settings
from tests.factories import make_user

BURST = 120


async def _burst(database: Database, settings: Settings, headers: dict[str, str]) -> list[int]:
    app = create_app(settings, db=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://laotie.test", headers=headers
    ) as client:
        answers = await asyncio.gather(*(client.get("/api/v1/accounts/me") for _ in range(BURST)))
    return [a.status_code for a in answers]


def test_a_burst_beyond_the_pool_is_queued_and_served(
    db: Database, settings: Settings, session: Session
) -> None:
    # Authenticated: the token lookup takes a connection, then further sync dependencies need threads.
    _, headers = make_user(session)
    # Far fewer connections than worker threads (as on a PostgreSQL with few connections to spare),
    # and a short pool timeout: a deadlock would show as 500s within seconds.
    small = Database(db.url, pool_size=2, max_overflow=2, pool_timeout=3)
    try:
        statuses = asyncio.run(asyncio.wait_for(_burst(small, settings, headers), timeout=60))
    finally:
        small.dispose()
    assert statuses == [200] * BURST
