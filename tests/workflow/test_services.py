"""The workflow's services without HTTP: two approvals racing in two transactions, and declarations."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from core.db.scoping import TenantScope
from core.errors import UserError
from core.plugins.manager import PluginError
from core.workflow import services
from core.workflow.models import ChangeRequest
from core.workflow.types import ChangeType, ChangeTypes
from plugins.residents.models import Person
from tests.workflow.conftest import contact, wf

pytestmark = pytest.mark.plugins("residents")


async def test_two_transactions_approving_at_once_apply_once(world, db, plugin_manager, make_user):
    person_id = world.home["members"][1]["id"]
    created = (await world.resident.post(f"{wf(world.ward)}/changes", json=contact(person_id))).json()
    assert (await world.officer.post(f"{wf(world.ward)}/changes/{created['id']}/review")).status_code == 200
    types = ChangeTypes(plugin_manager.collect("wardhub_change_types"))
    scope = TenantScope.of(world.ward.id)
    outcomes: dict[str, str] = {}
    first_wrote = asyncio.Event()

    async def chair(name: str, user_id: uuid.UUID, delay: float, hold: float) -> None:
        caller = services.Caller(user_id, name, frozenset({"ward_chair"}), frozenset({services.APPROVE}))
        await asyncio.sleep(delay)
        session = db.open(scope)
        try:
            await services.approve(session, types, caller, created["id"])
            first_wrote.set()
            await asyncio.sleep(hold)  # keep the transaction open while the other one tries
            await session.commit()
            outcomes[name] = "approved"
        except UserError as exc:
            await session.rollback()
            outcomes[name] = exc.code
        finally:
            await session.close()

    await asyncio.gather(chair("a", world.chair.user.id, 0.0, 0.3), chair("b", (await make_user()).id, 0.1, 0.0))
    assert sorted(outcomes.values()) == ["CONFLICT", "approved"], outcomes
    async with db.session(scope) as session:
        person = (await session.execute(select(Person).where(Person.id == uuid.UUID(person_id)))).scalar_one()
        request = (await session.execute(select(ChangeRequest))).scalar_one()
    assert person.phone == "0912345678" and person.version == world.home["members"][1]["version"] + 1
    assert request.state == "approved" and request.version == 3  # submitted, reviewed, approved: once each


def _noop(*_args):
    return {}


@pytest.mark.parametrize(("declared", "message"), [
    ({"residents": ["not a change type"]}, "must return ChangeType objects"),
    ({"residents": [ChangeType("Bad Name", "a", "b", Person, "residents.person", _noop, _noop)]}, "lower case"),
    ({"residents": [ChangeType("x", "a", "b", Person, "hello.person", _noop, _noop)]}, "resource must start"),
    ({"residents": [ChangeType("x", "", "b", Person, "residents.person", _noop, _noop)]}, "needs title_vi"),
    ({"residents": [ChangeType("x", "a", "b", object, "residents.person", _noop, _noop)]}, "tenant-owned"),
    ({"residents": [ChangeType("x", "a", "b", Person, "residents.person", _noop, _noop)] * 2}, "declared twice"),
])
def test_bad_declarations_stop_start_up_naming_the_plugin(declared, message):
    with pytest.raises(PluginError, match=message) as caught:
        ChangeTypes(declared)
    assert "plugin 'residents'" in str(caught.value)


def test_residents_declares_its_change_types(plugin_manager):
    types = ChangeTypes(plugin_manager.collect("wardhub_change_types"))
    names = {name for plugin, name in types.types if plugin == "residents"}
    assert names == {"person_contact", "add_member", "member_moved_away", "household_address"}
    assert all(t.title_vi and t.title_en for t in types.types.values())
