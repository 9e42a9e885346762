"""The database dropping every connection while writes run (PostgreSQL: ``pg_terminate_backend`` on every
backend of the test database, as a restart or a failover would, without touching the server others use).

Writers register households (a code, members marked with it) in a loop while the connections are killed
three times. Then: requests succeed again (a disconnect invalidates the pool: dead connections are replaced), and
every write is all or nothing: a household is there with all its members, their identification numbers'
registrations and the audit entries of every row, or nothing of it is; every 201 the clients got is there.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from core.audit.models import AuditEntry
from core.db import engine as engine_module
from core.db.engine import make_engine
from core.db.scoping import SYSTEM, TenantScope
from plugins.residents.models import Household, IdRegistration, Person

pytestmark = [pytest.mark.postgres, pytest.mark.plugins("residents")]

KILL = ("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()")


async def kill_connections(admin_url: str) -> int:
    engine = make_engine(admin_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return (await conn.execute(text(KILL))).scalar_one()
    finally:
        await engine.dispose()


async def test_idle_connections_the_server_dropped_are_replaced_before_use(client, make_tenant, people, settings,
                                                                            monkeypatch):
    """A connection idle in the pool is pinged at checkout (here: any idle time) and replaced if the server
    dropped it, so the first requests after, say, a night without traffic and a restart all succeed."""
    ward = await make_tenant()
    url = f"/t/{ward.key}/residents/households"
    assert (await client.get(url)).status_code == 200  # the pool now holds connections
    monkeypatch.setattr(engine_module, "IDLE_BEFORE_PING", 0.0)
    assert await kill_connections(settings.admin_database_url) > 0
    for i in range(3):
        response = await client.post(url, json=people.family(f"HK-IDLE-{i}", 2))
        assert response.status_code == 201, response.text


async def test_writes_are_all_or_nothing_when_connections_die_and_the_app_recovers(client, make_tenant, people,
                                                                                   settings, db):
    ward = await make_tenant()
    url = f"/t/{ward.key}/residents/households"
    sent: dict[str, dict] = {}  # code -> the household sent
    outcome: dict[str, int | str] = {}
    stop = asyncio.Event()

    async def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            code = f"HK-K{n}-{i}"
            family = people.family(code, 2)
            for member in family["members"]:
                member["occupation"] = code
            sent[code] = family
            try:
                response = await client.post(url, json=family)
                outcome[code] = response.status_code
            except Exception as exc:  # the transport itself failing is an outcome too
                outcome[code] = type(exc).__name__
            await asyncio.sleep(0.02)  # a steady load, not a flood: the kills must land among requests

    async def killer() -> list[int]:
        killed = []
        for _ in range(3):
            await asyncio.sleep(0.7)
            killed.append(await kill_connections(settings.admin_database_url))
        await asyncio.sleep(0.7)
        stop.set()
        return killed

    results = await asyncio.gather(killer(), *(writer(n) for n in range(6)))
    killed = results[0]
    assert sum(killed) > 0, "the kills should have hit the app's connections"
    codes = Counter(outcome.values())
    assert codes[201] > 0, codes
    # a request whose connection died is told to try again (503, Retry-After), never an internal error
    assert set(codes) <= {201, 503}, codes

    # the app recovers: fresh requests all succeed
    started = time.monotonic()
    for i in range(5):
        family = people.family(f"HK-AFTER-{i}", 2)
        response = await client.post(url, json=family)
        assert response.status_code == 201, (i, response.text)
        assert (await client.get(f"{url}/{response.json()['id']}")).status_code == 200
    assert time.monotonic() - started < 30

    # all or nothing, and nothing acknowledged is lost
    await kill_connections(settings.admin_database_url)  # the test's own pool must cope too
    async with db.session(TenantScope.of(ward.id)) as session:
        households = {h.code: h for h in (await session.execute(select(Household))).scalars()}
        persons: dict[str, list[Person]] = {}
        for person in (await session.execute(select(Person))).scalars():
            persons.setdefault(person.occupation or "", []).append(person)
        audited = {entity: set((await session.execute(select(AuditEntry.entity_id).where(
            AuditEntry.action == "create", AuditEntry.entity == entity))).scalars())
            for entity in (Household.__tablename__, Person.__tablename__)}
    async with db.session(SYSTEM) as session:
        registered = set((await session.execute(select(IdRegistration.id_number))).scalars())
        active = await session.scalar(select(func.count()).select_from(IdRegistration)
                                      .where(IdRegistration.tenant_id == ward.id))
    half_applied, lost = [], []
    for code, family in sent.items():
        numbers = {m["id_number"] for m in family["members"] if m.get("id_number")}
        household, members = households.get(code), persons.get(code, [])
        if household is None:
            if members or numbers & registered:
                half_applied.append((code, outcome.get(code), len(members)))
            if outcome.get(code) == 201:
                lost.append(code)
            continue
        complete = len(members) == len(family["members"]) and numbers <= registered
        if not complete:
            half_applied.append((code, outcome.get(code), len(members)))
    assert half_applied == [], half_applied
    assert lost == [], lost
    # every row audited, and no audit entry for a row that is not there
    assert audited[Household.__tablename__] == {str(h.id) for h in households.values()}
    assert audited[Person.__tablename__] == {str(p.id) for group in persons.values() for p in group}
    assert active == sum(1 for group in persons.values() for p in group if p.id_number)
    print(f"outcomes during the kills: {dict(codes)}; connections killed: {killed}")
