"""Migrations: idempotent upgrade, and readiness that understands branches depending on core's head."""

from pathlib import Path

import pytest

from core.db import migrate
from core.db.engine import make_engine
from core.db.migrate import heads
from core.testing import make_settings

BRANCH = '''
import sqlalchemy as sa
from alembic import op

revision = "{rev}"
down_revision = {down!r}
branch_labels = {labels!r}
depends_on = {depends!r}


def upgrade():
    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade():
    op.drop_table("{table}")
'''


def write(folder: Path, rev: str, down, labels, depends, table: str) -> None:
    folder.mkdir(exist_ok=True)
    text = BRANCH.format(rev=rev, down=down, labels=labels, depends=depends, table=table)
    (folder / f"{rev}.py").write_text(text)


@pytest.mark.sqlite_only
async def test_branch_on_core_head_reads_as_current_until_a_new_revision(tmp_path, backend):
    core_head = next(iter(heads()))
    branch = tmp_path / "branch"
    write(branch, "zz_0001", None, ("zz",), (core_head,), "zz_one")
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", None, ())
    first = await migrate.upgrade(settings, [branch])
    again = await migrate.upgrade(settings, [branch])
    assert again["before"] == again["after"] == first["after"]
    engine = make_engine(settings.database_url)
    try:
        assert await migrate.is_current(engine, [branch])
        write(branch, "zz_0002", "zz_0001", None, None, "zz_two")
        assert not await migrate.is_current(engine, [branch])
        await migrate.upgrade(settings, [branch])
        assert await migrate.is_current(engine, [branch])
    finally:
        await engine.dispose()
