"""A national-scale population for benchmarks, loaded COPY-fast into PostgreSQL.

``build(admin_url, persons, wards)`` makes a fresh database ``wardhub_bench``: migrations, the official
units, the ``residents`` plugin on for ``wards`` wards of Hồ Chí Minh City, then ``persons`` persons in
households of about 3.5 (Vietnamese-looking names, valid identification numbers, one head per household),
spread evenly so that a ward holds persons / wards of them (about 6,700 for 1,000,000 over 150: the size
of a real HCMC ward). Rows are written with PostgreSQL's COPY as the owner; the app reads them as its
own role under row-level security.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from core.db.ids import new_id
from plugins.residents.reference import BIRTH_PROVINCES

BENCH_DB = "wardhub_bench"
APP_ROLE, APP_PASSWORD = "wardhub_bench_app", "wardhub-bench-app"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
MIDDLE = {"male": ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành"), "female": ("Thị", "Ngọc", "Thu", "Thanh", "Kim")}
GIVEN = {"male": ("An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Long", "Nam", "Phúc", "Sơn", "Tuấn"),
         "female": ("Anh", "Chi", "Dung", "Hà", "Hoa", "Hương", "Lan", "Linh", "Mai", "Thảo", "Trang", "Vy")}
RELIGIONS = ("none", "none", "none", "buddhism", "buddhism", "catholicism", "cao_dai", "protestantism")
ETHNICITIES = ("01",) * 18 + ("04", "05", "03")
SIZES = (1, 2, 3, 3, 3, 4, 4, 4, 5, 6)  # persons per household: 3.5 on average
PROVINCES = ("079", *sorted(set(BIRTH_PROVINCES) - {"079"}))


@dataclass
class Population:
    admin_url: str
    app_url: str
    ward_ids: list[uuid.UUID]
    persons: int
    households: int
    seconds: float


def urls(admin_url: str, database: str = BENCH_DB) -> tuple[str, str]:
    admin = make_url(admin_url).set(drivername="postgresql+asyncpg", database=database)
    app = admin.set(username=APP_ROLE, password=APP_PASSWORD)
    return admin.render_as_string(hide_password=False), app.render_as_string(hide_password=False)


async def _fresh_database(admin_url: str, database: str) -> None:
    import asyncpg

    url = make_url(admin_url)
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host or "127.0.0.1",
                                 port=url.port or 5432, database=url.database or "postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()


async def _units(settings, wards: int) -> list[uuid.UUID]:
    from sqlalchemy import select

    from core.app import load_plugins
    from core.db.engine import Database
    from core.db.scoping import SYSTEM, TenantScope
    from tenants import registry, subscriptions
    from tenants.models import Tenant

    manager = load_plugins(settings)
    db = Database(settings)
    try:
        async with db.session(SYSTEM) as session:
            await registry.import_official(session, "current")
            province = await registry.get(session, "current:79")
            rows = (await session.execute(
                select(Tenant).where(Tenant.parent_id == province.id).order_by(Tenant.code).limit(wards)
            )).scalars().all()
        units = [province, *rows]
        for unit in units:
            async with db.session(TenantScope.of(unit.id)) as session:
                row = await registry.get(session, unit.key)
                kind = "ward" if row.level == "ward" else "district"
                if kind in manager.manifest("residents").scope:
                    await subscriptions.enable(session, row, "residents", manager)
        return [r.id for r in rows]
    finally:
        await db.dispose()


def _rows(ward_ids: list[uuid.UUID], persons: int, seed: int = 2026):
    """Households and persons for COPY, in the tables' column order."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    this_year = now.year
    households, people, registry = [], [], []
    serial = 0
    per_ward = persons // len(ward_ids)
    for ward_index, ward in enumerate(ward_ids):
        target = per_ward + (1 if ward_index < persons % len(ward_ids) else 0)
        made, house_no = 0, 0
        while made < target:
            size = min(target - made, rng.choice(SIZES))
            house_no += 1
            household = new_id()
            code = f"HK{ward_index:03d}{house_no:05d}"
            households.append((ward, household, code, code.lower(), f"{house_no} đường số {rng.randint(1, 40)}",
                               None, "active", 1, now, now))
            family = rng.choice(FAMILY)
            for member in range(size):
                sex = rng.choice(("male", "female"))
                age = rng.randint(30, 80) if member == 0 else rng.randint(0, 90)
                year = this_year - age
                name = f"{family} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
                folded = _fold(name)
                serial += 1
                century = {1900: 0, 2000: 2}.get(year // 100 * 100, 0) + (sex == "female")
                province = PROVINCES[(serial // 10**6) % len(PROVINCES)]  # unique past 1,000,000
                id_number = f"{province}{century}{year % 100:02d}{serial % 10**6:06d}"
                person = new_id()
                people.append((ward, person, name, folded, folded.rsplit(" ", 1)[-1], year, rng.randint(1, 12),
                               rng.randint(1, 28), sex, id_number, rng.choice(ETHNICITIES), rng.choice(RELIGIONS),
                               "VN", None, None, household, "head" if member == 0 else "child", "present", None,
                               None, 1, now, now))
                registry.append((id_number, ward, person, now))
                made += 1
    return households, people, registry


_FOLD = str.maketrans("đĐ", "dD")


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


async def build(admin_url: str, persons: int = 1_000_000, wards: int = 150, database: str = BENCH_DB) -> Population:
    """Make ``database`` afresh (``http`` uses its own, so that it never races ``residents``)."""
    import asyncpg

    from core.app import load_plugins, migration_dirs
    from core.db import migrate
    from core.settings import Settings

    started = time.perf_counter()
    await _fresh_database(admin_url, database)
    admin, app = urls(admin_url, database)
    settings = Settings(database_url=app, admin_database_url=admin, environment="production",
                        secret_key="bench-secret-key-bench-secret-key-0123456789", log_level="WARNING",
                        plugins=("residents",))
    await migrate.upgrade(settings, migration_dirs(load_plugins(settings)))
    ward_ids = await _units(settings, wards)
    households, people, registry = _rows(ward_ids, persons)
    url = make_url(admin)
    conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host or "127.0.0.1",
                                 port=url.port or 5432, database=database)
    try:
        for table, rows in (("residents_households", households), ("residents_persons", people),
                            ("residents_id_registry", registry)):
            for start in range(0, len(rows), 100_000):
                await conn.copy_records_to_table(table, records=rows[start:start + 100_000])
        await conn.execute("ANALYZE")
        await conn.execute(f"COMMENT ON DATABASE \"{database}\" IS '{_marker(len(people), len(ward_ids))}'")
    finally:
        await conn.close()
    return Population(admin, app, ward_ids, len(people), len(households), time.perf_counter() - started)


def _marker(persons: int, wards: int) -> str:
    return f"wardhub bench population v2: {persons} persons, {wards} wards"


async def existing(admin_url: str, persons: int, wards: int = 150, database: str = BENCH_DB) -> Population | None:
    """The population :func:`build` left in ``database`` for these figures (its database comment says
    so), or None. Benchmarks that only read (``http``) reuse it rather than spend minutes rebuilding."""
    import asyncpg

    admin, app = urls(admin_url, database)
    url = make_url(admin)
    try:
        conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host or "127.0.0.1",
                                     port=url.port or 5432, database=database)
    except asyncpg.InvalidCatalogNameError:
        return None
    try:
        comment = await conn.fetchval("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                      "WHERE datname = $1", database)
        if comment != _marker(persons, wards):
            return None
        province = await conn.fetchval("SELECT id FROM tenants WHERE scheme = 'current' AND code = '79'")
        ward_ids = [r["id"] for r in await conn.fetch(
            "SELECT id FROM tenants WHERE parent_id = $1 ORDER BY code LIMIT $2", province, wards)]
        households = await conn.fetchval("SELECT count(*) FROM residents_households")
    finally:
        await conn.close()
    return Population(admin, app, ward_ids, persons, households, 0.0)
