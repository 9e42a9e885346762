"""``wardhub users|roles|tokens``: passwords come from standard input, never argv; tokens print once."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from core.auth import passwords
from core.auth.models import ApiToken, User
from core.cli import main
from core.db.engine import Database
from core.db.scoping import SYSTEM
from core.testing import sign_in

WARDHUB = str(Path(sys.executable).parent / "wardhub")
PASSWORD = "một mật khẩu đủ dài 2025"


def cli_env(settings) -> dict[str, str]:
    return {
        "WARDHUB_DATABASE_URL": settings.database_url, "WARDHUB_SECRET_KEY": settings.secret_key,
        "WARDHUB_PLUGINS": "hello", "WARDHUB_LOG_LEVEL": "WARNING", "WARDHUB_LANG": "en",
    }


async def test_users_add_reads_the_password_from_stdin(settings, anon_client):
    username = f"cli-{uuid.uuid4().hex[:8]}"
    process = await asyncio.create_subprocess_exec(
        WARDHUB, "users", "add", username, "--name", "Trần Thị B", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env={**os.environ, **cli_env(settings)},
    )
    out, err = await process.communicate((PASSWORD + "\n").encode())
    assert process.returncode == 0, err.decode()
    assert f"added {username}" in out.decode()
    assert PASSWORD not in out.decode() + err.decode()
    response = await sign_in(anon_client, username, PASSWORD)  # the real app, through HTTP
    assert response.status_code == 200, response.text
    assert response.json()["user"]["display_name"] == "Trần Thị B"


def test_users_add_refuses_an_empty_stdin_and_has_no_password_option(settings, monkeypatch):
    for name, value in cli_env(settings).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    empty = runner.invoke(main, ["users", "add", f"cli-{uuid.uuid4().hex[:8]}"], input="")
    assert empty.exit_code == 2 and "No password on standard input" in empty.output
    argv = runner.invoke(main, ["users", "add", "someone", "--password", PASSWORD], input=PASSWORD + "\n")
    assert argv.exit_code == 2 and "No such option" in argv.output
    weak = runner.invoke(main, ["users", "add", f"cli-{uuid.uuid4().hex[:8]}"], input="short\n")
    assert weak.exit_code == 2 and "at least 10 characters" in weak.output


async def _read(settings, fn):
    database = Database(settings)
    try:
        async with database.session(SYSTEM) as session:
            return await fn(session)
    finally:
        await database.dispose()


def _ward(settings) -> str:
    from tenants import registry

    async def make(session):
        province = await registry.add_unit(session, scheme="local", code=f"p{uuid.uuid4().hex[:10]}",
                                           level="province", name="Tỉnh CLI", parent=None)
        ward = await registry.add_unit(session, scheme="local", code=f"w{uuid.uuid4().hex[:10]}", level="ward",
                                       name="Phường CLI", parent=province)
        return ward.key

    return asyncio.run(_read(settings, make))


def test_users_roles_and_tokens_commands(settings, monkeypatch):
    for name, value in cli_env(settings).items():
        monkeypatch.setenv(name, value)
    runner = CliRunner()
    username = f"cli-{uuid.uuid4().hex[:8]}"
    assert runner.invoke(main, ["users", "add", username], input=PASSWORD + "\n").exit_code == 0
    new = "another long passphrase"
    changed = runner.invoke(main, ["users", "passwd", username], input=new + "\n")
    assert changed.exit_code == 0, changed.output
    stored = asyncio.run(_read(settings, lambda s: s.scalar(select(User.password_hash).where(
        User.username == username))))
    assert asyncio.run(passwords.verify(stored, new))[0] and not asyncio.run(passwords.verify(stored, PASSWORD))[0]

    ward = _ward(settings)
    granted = runner.invoke(main, ["roles", "grant", username, "resident", "--tenant", ward, "--attr", "household=H7"])
    assert granted.exit_code == 0, granted.output
    listed = runner.invoke(main, ["roles", "list", username])
    assert "resident" in listed.output and ward in listed.output and "household=H7" in listed.output
    assert runner.invoke(main, ["roles", "grant", username, "emperor", "--tenant", ward]).exit_code == 2
    assert runner.invoke(main, ["roles", "grant", username, "ward_officer"]).exit_code == 2  # needs a unit
    override = runner.invoke(main, ["roles", "override", "resident", "hello.greeting:read", "--tenant", ward, "--deny"])
    assert override.exit_code == 0, override.output
    assert runner.invoke(main, ["roles", "revoke", username, "resident", "--tenant", ward]).exit_code == 0
    assert runner.invoke(main, ["roles", "revoke", username, "resident", "--tenant", ward]).exit_code == 2

    created = runner.invoke(main, ["tokens", "create", "--tenant", ward, "--role", "integrator", "--name", "Cổng DVC",
                                   "--days", "30"])
    assert created.exit_code == 0, created.output
    value = created.stdout.strip().splitlines()[-1]
    assert value.startswith("wht_") and len(value) == 47
    assert "not shown again" in created.stderr
    token_list = runner.invoke(main, ["tokens", "list", "--tenant", ward])
    assert "Cổng DVC" in token_list.output and value[:10] in token_list.output and value not in token_list.output
    token_id = asyncio.run(_read(settings, lambda s: s.scalar(
        select(ApiToken.id).where(ApiToken.prefix == value[:10]))))
    revoked = runner.invoke(main, ["tokens", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and "revoked" in runner.invoke(main, ["tokens", "list", "--tenant", ward]).output
    assert runner.invoke(main, ["tokens", "revoke", "not-a-uuid"]).exit_code == 2


@pytest.mark.parametrize("argv", [["users", "add", "x"], ["users", "passwd", "x"]])
def test_no_password_ever_on_the_command_line(argv):
    command = main
    for name in argv[:2]:
        command = command.commands[name] if hasattr(command, "commands") else command
    assert not any("password" in (p.name or "") for p in command.params)
