"""Permanent and temporary residence, absence, renewal, history, expiry: the rules, through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.toolkit import UserError
from plugins.residence import jobs, services
from plugins.residence.models import PermanentRegistry, Registration
from plugins.residence.tests.conftest import TODAY
from plugins.residents.models import Person

pytestmark = pytest.mark.plugins("residents", "residence")


async def rejected(call) -> UserError:
    with pytest.raises(UserError) as caught:
        await call
    return caught.value


async def count(scoped, ward, model=Registration) -> int:
    async with scoped(ward) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_permanent_residence_takes_the_household_address_and_one_per_person(scoped, ward, populate):
    data = await populate(ward)
    person = data["persons"][0]
    async with scoped(ward) as session:
        row = await services.register_permanent(session, {"person_id": person}, today=TODAY)
        assert (row.kind, row.status, row.start_date, row.address) == ("permanent", "active", TODAY, "1 Nguyễn Trãi")
        assert row.neighbourhood_id == data["kp1"]
    async with scoped(ward) as session:
        error = await rejected(services.register_permanent(session, {"person_id": person, "address": "9 Lê Lợi"}))
    assert error.code == "BAD_USER_INPUT" and "person_id" in error.fields
    assert "đã có đăng ký thường trú" in error.fields["person_id"][0]
    assert await count(scoped, ward) == 1


async def test_unknown_person_and_bad_fields_are_field_errors(scoped, ward, populate):
    await populate(ward)
    async with scoped(ward) as session:
        error = await rejected(services.register_permanent(session, {
            "person_id": "0190a8d0-0000-7000-8000-000000000000", "start_date": "31/02/2026"}))
    assert set(error.fields) == {"person_id", "start_date", "address"}
    assert error.fields["person_id"][1] == "No such person in the ward's register"
    async with scoped(ward) as session:
        error = await rejected(services.register_permanent(session, {"person_id": "nope"}))
    assert "person_id" in error.fields
    assert await count(scoped, ward) == 0


async def test_one_active_permanent_residence_on_the_whole_platform(scoped, ward, make_tenant, populate):
    data = await populate(ward)
    other = await make_tenant(plugins=("residents", "residence"))
    async with scoped(ward) as session:
        first = await services.register_permanent(session, {"person_id": data["persons"][1]}, today=TODAY)
        source = await session.get(Person, (ward.id, data["persons"][1]))
        copied = {k: getattr(source, k) for k in ("full_name", "search_name", "search_given", "birth_year", "sex",
                                                  "id_number")}
    # the same person (same identification number) on another ward's register: a record kept by mistake
    async with scoped(other) as session:
        twin = Person(tenant_id=other.id, **copied)
        session.add(twin)
    async with scoped(other) as session:
        error = await rejected(services.register_permanent(session, {"person_id": twin.id, "address": "1 Hai Bà Trưng"},
                                                           today=TODAY))
    assert error.code == "BAD_USER_INPUT"
    message = error.fields["person_id"][1]
    assert ward.code in message and "permanent residence in unit" in message
    assert await count(scoped, other) == 0
    # ended in the first ward: the second may register
    async with scoped(ward) as session:
        ended = await services.end_registration(session, first.id, {"closed_on": TODAY + timedelta(days=3)})
        assert (ended.status, ended.closed_on) == ("ended", TODAY + timedelta(days=3))
    async with scoped(other) as session:
        again = await services.register_permanent(session, {"person_id": twin.id, "address": "1 Hai Bà Trưng"},
                                                  today=TODAY)
    async with scoped(other) as session:
        held = await session.get(PermanentRegistry, copied["id_number"])
        assert (held.tenant_id, held.registration_id) == (other.id, again.id)


async def test_temporary_residence_dates(scoped, ward, populate):
    data = await populate(ward)
    person = data["persons"][3]
    async with scoped(ward) as session:
        error = await rejected(services.declare_temporary(session, {
            "person_id": person, "start_date": "2026-06-10", "end_date": "2026-06-01"}))
    assert error.fields == {"end_date": ("Ngày kết thúc trước ngày bắt đầu", "The end date is before the start date")}
    async with scoped(ward) as session:
        error = await rejected(services.declare_temporary(session, {
            "person_id": person, "start_date": "2026-06-10", "end_date": "2028-06-11"}))
    assert "2 years" in error.fields["end_date"][1]
    async with scoped(ward) as session:
        error = await rejected(services.declare_temporary(session, {"person_id": person}))
    assert {"start_date", "end_date"} <= set(error.fields)
    assert await count(scoped, ward) == 0
    async with scoped(ward) as session:
        row = await services.declare_temporary(session, {
            "person_id": person, "start_date": "2026-06-10", "end_date": "2028-06-10", "address": "5 Phố Huế"})
        assert (row.kind, row.end_date, row.address) == ("temporary", date(2028, 6, 10), "5 Phố Huế")
    async with scoped(ward) as session:
        error = await rejected(services.declare_temporary(session, {
            "person_id": person, "start_date": "2026-07-01", "end_date": "2026-08-01"}))
    assert "renew" in error.fields["person_id"][1]


async def test_a_permanent_resident_needs_no_temporary_residence_in_the_same_ward(scoped, ward, populate):
    data = await populate(ward)
    person = data["persons"][0]
    async with scoped(ward) as session:
        await services.register_permanent(session, {"person_id": person}, today=TODAY)
    async with scoped(ward) as session:
        error = await rejected(services.declare_temporary(session, {
            "person_id": person, "start_date": "2026-06-10", "end_date": "2026-12-01"}))
    assert "permanent resident" in error.fields["person_id"][1]


async def test_renewal_and_history(scoped, ward, populate):
    data = await populate(ward)
    person = data["persons"][4]
    async with scoped(ward) as session:
        first = await services.declare_temporary(session, {
            "person_id": person, "start_date": "2025-01-01", "end_date": "2026-06-30"})
    async with scoped(ward) as session:
        error = await rejected(services.renew_temporary(session, first.id, {"end_date": "2028-07-02"}))
        assert "end_date" in error.fields
    async with scoped(ward) as session:
        renewed = await services.renew_temporary(session, first.id, {"end_date": "2027-06-30"})
        assert (renewed.start_date, renewed.end_date, renewed.renewed_from_id) == (
            date(2026, 7, 1), date(2027, 6, 30), first.id)
    async with scoped(ward) as session:
        error = await rejected(services.renew_temporary(session, first.id, {"end_date": "2027-12-30"}))
        assert "id" in error.fields  # the old one is no longer active
        absence = await services.notice_absence(session, {
            "person_id": person, "start_date": "2026-08-01", "end_date": "2026-09-01", "destination": "Đà Lạt"})
        assert absence.address == "2 Nguyễn Trãi"
    async with scoped(ward) as session:
        rows = await services.history(session, person)
    assert [(r.kind, r.status) for r in rows] == [("temporary", "renewed"), ("temporary", "active"),
                                                 ("absence", "active")]


async def test_absence_needs_a_destination_and_sane_dates(scoped, ward, populate):
    data = await populate(ward)
    async with scoped(ward) as session:
        error = await rejected(services.notice_absence(session, {
            "person_id": data["persons"][0], "start_date": "2026-08-01", "end_date": "2026-07-01"}))
    assert set(error.fields) == {"end_date", "destination"}
    assert await count(scoped, ward) == 0


async def test_expiring_lists_and_the_job_run_twice(scoped, ward, make_tenant, populate, settings, plugin_manager, db):
    data = await populate(ward)
    today = date.today()
    persons = data["persons"]
    async with scoped(ward) as session:
        soon = await services.declare_temporary(session, {
            "person_id": persons[0], "start_date": today - timedelta(days=300), "end_date": today + timedelta(days=10)})
        late = await services.declare_temporary(session, {
            "person_id": persons[1], "start_date": today - timedelta(days=300), "end_date": today - timedelta(days=1)})
        await services.declare_temporary(session, {
            "person_id": persons[2], "start_date": today, "end_date": today + timedelta(days=200)})
        away = await services.notice_absence(session, {
            "person_id": persons[3], "start_date": today - timedelta(days=20), "end_date": today - timedelta(days=2),
            "destination": "Cần Thơ"})
    async with scoped(ward) as session:
        found = await services.expiring(session, today=today)
    assert [r.id for r in found["ending"]] == [soon.id] and [r.id for r in found["expired"]] == [late.id]
    # a ward with the plugin off keeps its past-due rows untouched
    off = await make_tenant(plugins=("residents", "residence"))
    other = await populate(off)
    async with scoped(off) as session:
        kept = await services.declare_temporary(session, {
            "person_id": other["persons"][0], "start_date": today - timedelta(days=90),
            "end_date": today - timedelta(days=5)})
    from tenants import registry, subscriptions

    async with scoped(off) as session:
        await subscriptions.disable(session, await registry.get(session, off.key), "residence", plugin_manager)

    first = await jobs.run_expiry(settings, manager=plugin_manager, database=db, today=today)
    assert first[ward.key] == 2 and off.key not in first
    second = await jobs.run_expiry(settings, manager=plugin_manager, database=db, today=today)
    assert second[ward.key] == 0
    async with scoped(ward) as session:
        assert (await session.get(Registration, (ward.id, late.id))).status == "expired"
        assert (await session.get(Registration, (ward.id, away.id))).status == "expired"
        assert (await session.get(Registration, (ward.id, soon.id))).status == "active"
        found = await services.expiring(session, today=today)
        assert [r.id for r in found["expired"]] == [late.id]
    async with scoped(off) as session:
        assert (await session.get(Registration, (off.id, kept.id))).status == "active"
    # an expired temporary residence can still be renewed
    async with scoped(ward) as session:
        renewed = await services.renew_temporary(session, late.id, {"end_date": today + timedelta(days=100)})
        assert renewed.start_date == today


async def test_the_expiry_command_per_enabled_ward_run_twice(scoped, ward, make_tenant, populate, settings, db,
                                                             capsys):
    """``python -m plugins.residence.jobs expire``: what cron runs, with the app's settings."""
    import asyncio

    data = await populate(ward)
    other = await make_tenant(plugins=("residents", "residence"))
    other_data = await populate(other)
    day = date(2026, 6, 15)
    async with scoped(ward) as session:
        late = await services.declare_temporary(session, {
            "person_id": data["persons"][0], "start_date": "2026-01-01", "end_date": "2026-06-01"})
    async with scoped(other) as session:
        elsewhere = await services.notice_absence(session, {
            "person_id": other_data["persons"][0], "start_date": "2026-05-01", "end_date": "2026-06-10",
            "destination": "Huế"})

    def run(*argv: str) -> tuple[int, str]:
        code = jobs.main(list(argv), settings=settings)
        return code, capsys.readouterr().out

    # a dry run and a run limited to one ward touch nothing else
    code, out = await asyncio.to_thread(run, "expire", "--today", str(day), "--dry-run", "--tenant", ward.key)
    assert code == 0 and f"{ward.key}\t1" in out and other.key not in out and "would mark" in out
    async with scoped(ward) as session:
        assert (await session.get(Registration, (ward.id, late.id))).status == "active"
    code, out = await asyncio.to_thread(run, "expire", "--today", str(day), "--tenant", other.key,
                                        "--tenant", "local:nowhere")
    assert code == 0 and f"{other.key}\t1" in out and ward.key not in out
    # every enabled ward, twice: the second run marks nothing
    code, out = await asyncio.to_thread(run, "expire", "--today", str(day))
    assert code == 0 and f"{ward.key}\t1" in out and f"{other.key}\t0" in out
    code, out = await asyncio.to_thread(run, "expire", "--today", str(day))
    assert code == 0 and f"{ward.key}\t0" in out and f"{other.key}\t0" in out
    async with scoped(ward) as session:
        row = await session.get(Registration, (ward.id, late.id))
        assert (row.status, row.closed_on) == ("expired", date(2026, 6, 2))
    async with scoped(other) as session:
        assert (await session.get(Registration, (other.id, elsewhere.id))).status == "expired"
    # each change is audited, by the job
    from core.audit.models import AuditEntry

    async with scoped(ward) as session:
        entries = (await session.execute(select(AuditEntry).where(
            AuditEntry.entity == "residence_registrations", AuditEntry.entity_id == str(late.id),
            AuditEntry.action == "update"))).scalars().all()
    assert [(e.actor_label, e.after["status"]) for e in entries] == [("job:residence.expiry", "expired")]


async def test_wardhub_residence_expire_is_a_command_of_the_console_script(scoped, ward, populate, settings):
    """The plugin contributes ``wardhub residence expire`` through ``wardhub_cli_commands``."""
    import asyncio
    import os
    import subprocess
    import sys
    from pathlib import Path

    data = await populate(ward)
    async with scoped(ward) as session:
        late = await services.declare_temporary(session, {
            "person_id": data["persons"][0], "start_date": "2026-01-01", "end_date": "2026-06-01"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDHUB_")}
    env.update(WARDHUB_DATABASE_URL=settings.database_url, WARDHUB_LANG="en")
    wardhub = str(Path(sys.executable).with_name("wardhub"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([wardhub, *args], env=env, capture_output=True, text=True, timeout=180)

    listed = await asyncio.to_thread(run, "--help")
    assert listed.returncode == 0 and "residence" in listed.stdout, listed.stdout + listed.stderr
    done = await asyncio.to_thread(run, "residence", "expire", "--today", "2026-06-15", "--tenant", ward.key)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{ward.key}\t1" in done.stdout and "1 marked in 1 wards" in done.stdout, done.stdout
    async with scoped(ward) as session:
        assert (await session.get(Registration, (ward.id, late.id))).status == "expired"
    again = await asyncio.to_thread(run, "residence", "expire", "--today", "2026-06-15", "--tenant", ward.key)
    assert again.returncode == 0 and f"{ward.key}\t0" in again.stdout, again.stdout + again.stderr
