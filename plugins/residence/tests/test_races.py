"""Two wards at the same moment (PostgreSQL: real concurrent transactions): the platform-wide keys decide,
the loser gets a CONFLICT and writes nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from core.toolkit import TenantScope, UserError
from plugins.residence import services
from plugins.residence.models import Stay

pytestmark = [pytest.mark.plugins("residents", "residence"), pytest.mark.postgres]


async def test_the_same_guest_declared_in_two_wards_at_once(db, make_tenant):
    wards = [await make_tenant() for _ in range(2)]
    hotels = []
    for n, ward in enumerate(wards):
        async with db.session(TenantScope.of(ward.id)) as session:
            hotels.append((await services.create_establishment(session, {
                "code": f"H{n}", "name": f"Hotel {n}", "address": "1 A"})).id)
    day = services.today_in_vietnam()
    guest = {"guest_name": "Lê Văn Đua", "guest_document": f"R{wards[0].code[1:12]}", "room": "1",
             "arrival": datetime.combine(day, time(10)).isoformat(),
             "planned_departure": datetime.combine(day + timedelta(days=1), time(10)).isoformat()}
    first = db.open(TenantScope.of(wards[0].id))
    try:
        await first.begin()
        await services.declare_stay(first, hotels[0], guest)  # holds the guest's night, not committed yet

        async def second() -> UserError:
            async with db.session(TenantScope.of(wards[1].id)) as session:
                with pytest.raises(UserError) as caught:
                    await services.declare_stay(session, hotels[1], guest)  # passes the check, waits on the key
                return caught.value

        racing = asyncio.create_task(second())
        await asyncio.sleep(0.5)
        assert not racing.done()
        await first.commit()
        error = await asyncio.wait_for(racing, 30)
    finally:
        await first.close()
    assert error.code == "CONFLICT"
    async with db.session(TenantScope.of(wards[1].id)) as session:
        assert await session.scalar(select(func.count()).select_from(Stay)) == 0
