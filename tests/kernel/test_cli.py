"""The real ``wardhub`` console script, run as a subprocess against a temporary SQLite database.

``WARDHUB_PLUGINS=hello`` lets the third-party test plugin load; ``WARDHUB_LANG=en`` picks English
messages. Steps are grouped, and independent commands run side by side: each command costs about a
second, most of it importing the application.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WARDHUB = Path(sys.executable).with_name("wardhub")


class Cli:
    def __init__(self, directory: Path) -> None:
        assert WARDHUB.exists(), f"the wardhub console script is not installed next to {sys.executable}"
        self.directory = directory
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("WARDHUB_")}
        self.env.update(
            WARDHUB_DATABASE_URL=f"sqlite:///{directory / 'w.db'}", WARDHUB_PLUGINS="hello", WARDHUB_LANG="en"
        )

    def start(self, args: tuple[str, ...], env: dict[str, str | None]) -> subprocess.Popen[str]:
        merged = {k: v for k, v in {**self.env, **env}.items() if v is not None}  # None: unset it
        return subprocess.Popen([str(WARDHUB), *args], env=merged, cwd=self.directory,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    @staticmethod
    def finish(proc: subprocess.Popen[str], code: int) -> tuple[str, str]:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == code, f"{' '.join(proc.args[1:])} -> {proc.returncode}\n{out}\n{err}"
        assert "Traceback" not in err, err
        return out, err

    def run(self, *args: str, **env: str | None) -> str:
        return self.finish(self.start(args, env), 0)[0]

    def batch(self, *commands: tuple[tuple[str, ...], dict[str, str | None], int]) -> list[tuple[str, str]]:
        """Run independent commands side by side, each with its expected exit code: [(stdout, stderr)]."""
        procs = [(self.start(args, env), code) for args, env, code in commands]
        return [self.finish(proc, code) for proc, code in procs]

    def units(self, *args: str) -> dict[str, dict]:
        return {u["key"]: u for u in json.loads(self.run("tenants", "list", "--json", *args))}

    def plugins_of(self, key: str) -> dict[str, str]:
        """``plugins list --tenant``: plugin name → "enabled" / "disabled"."""
        lines = self.run("plugins", "list", "--tenant", key).splitlines()
        return {line.split()[0]: line.split()[2] for line in lines}


def ok(*args: str, **env: str | None) -> tuple[tuple[str, ...], dict[str, str | None], int]:
    return args, env, 0


def refused(*args: str, **env: str | None) -> tuple[tuple[str, ...], dict[str, str | None], int]:
    """A command that must be refused: exit code 2 and a message, never a traceback."""
    return args, env, 2


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Cli:
    """A migrated database holding the current official units, shared by the tests below."""
    cli = Cli(tmp_path_factory.mktemp("cli"))
    cli.run("db", "upgrade")
    cli.run("tenants", "import-official")
    return cli


def test_db_upgrade_and_official_imports_are_idempotent(tmp_path):
    cli = Cli(tmp_path)
    first = cli.run("db", "upgrade")
    assert first.startswith("database upgraded: ") and "hello_" in first  # core and the plugin's branch
    again = cli.run("db", "upgrade")
    assert again.startswith("database already current: ") and again.split(": ")[1] == first.split(": ")[1]

    current = cli.run("tenants", "import-official")
    assert current.startswith("current: 3355 units, 3355 inserted, 0 updated, 0 unchanged in ")
    repeat = cli.run("tenants", "import-official")
    assert repeat.startswith("current: 3355 units, 0 inserted, 0 updated, 3355 unchanged in ")
    legacy = cli.run("tenants", "import-official", "--legacy")
    assert legacy.startswith("legacy: 10810 units, 10810 inserted, 0 updated, 0 unchanged in ")

    provinces = cli.units("--level", "province")
    assert sum(k.startswith("current:") for k in provinces) == 34
    assert sum(k.startswith("legacy:") for k in provinces) == 63
    assert provinces["current:79"]["name"] == "Thành phố Hồ Chí Minh"


def test_tenant_registry_commands(cli):
    wards = cli.units("--parent", "79", "--level", "ward")
    assert len(wards) > 100 and all(u["status"] == "active" for u in wards.values())
    moved, source, target = sorted(wards)[-3:]

    (added, _), (renamed, _), _ = cli.batch(
        ok("tenants", "add", "--code", "q_thu_nghiem", "--name", " Quận  Thử nghiệm ", "--level", "district",
           "--parent", "79"),
        ok("tenants", "rename", source, "Phường  Sáp nhập"),
        ok("plugins", "enable", source, "hello"),  # seeds one greeting, which moves with the merge
    )
    assert added.strip() == "added local:q_thu_nghiem Quận Thử nghiệm"
    assert renamed.strip() == f"renamed {source}: Phường Sáp nhập"
    assert cli.run("tenants", "move", moved, "--parent", "local:q_thu_nghiem").strip() == (
        f"moved {moved} under local:q_thu_nghiem"
    )
    merged = cli.run("tenants", "merge", source, target, "--note", "Nghị quyết thử nghiệm")
    assert merged.startswith(f"merged {source} into {target}: ") and "hello_greetings=1" in merged

    (district, _), (province, _), (target_plugins, _), *errors = cli.batch(
        ok("tenants", "list", "--json", "--parent", "local:q_thu_nghiem"),
        ok("tenants", "list", "--json", "--parent", "79"),
        ok("plugins", "list", "--tenant", target),
        refused("tenants", "rename", "99999999", "X"),
        refused("tenants", "merge", source, target),
    )
    assert json.loads(district) == [wards[moved]]
    after = {u["key"]: u for u in json.loads(province)}
    assert after["local:q_thu_nghiem"]["level"] == "district" and moved not in after
    assert after[source]["status"] == "merged" and after[source]["name"] == "Phường Sáp nhập"
    assert after[target]["status"] == "active"
    assert target_plugins.split()[:3] == ["hello", "0.1.0", "enabled"]  # the subscription followed the data
    unknown, again = (err.strip() for _, err in errors)
    assert unknown == "NOT_FOUND: No unit current:99999999"
    assert again == "CONFLICT: One of the units has already been merged"


def test_plugin_commands(cli):
    ward = "current:00004"  # Phường Ba Đình, Hà Nội
    (listed, _), (before, _), (default, _), *errors = cli.batch(
        ok("plugins", "list"),
        ok("plugins", "list", "--tenant", ward),
        ok("plugins", "list", WARDHUB_PLUGINS=None),  # unset: WardHub's own plugins only
        refused("plugins", "enable", ward, "nope"),
        refused("plugins", "enable", ward, "nope", WARDHUB_LANG="vi"),
        refused("plugins", "enable", "00000", "hello"),
        refused("plugins", "list", WARDHUB_PLUGINS="hello,ghost"),
        refused("plugins", "list", WARDHUB_DATABASE_URL="mysql://db/w"),
    )
    assert [line.split()[:2] for line in listed.splitlines()] == [["hello", "0.1.0"]]
    assert listed.rstrip().endswith("Greetings")
    assert before.split()[:3] == ["hello", "0.1.0", "disabled"]
    assert "hello" not in default  # the pip-installed plugin is not loaded without the allowlist
    no_plugin, no_plugin_vi, no_unit, allowlist, database = (err for _, err in errors)
    assert no_plugin.splitlines()[0] == "BAD_USER_INPUT: No plugin named 'nope'"
    assert no_plugin_vi.splitlines()[0] == "BAD_USER_INPUT: Không có phân hệ 'nope'"
    assert no_unit.strip() == "NOT_FOUND: No unit current:00000"
    assert allowlist.strip() == "error: WARDHUB_PLUGINS names plugins that are not installed: ghost"
    assert database.startswith("error: WARDHUB_DATABASE_URL: ") and "mysql" in database

    assert cli.run("plugins", "enable", ward, "hello").strip() == f"{ward}: hello"
    assert cli.plugins_of(ward) == {"hello": "enabled"}
    assert cli.run("plugins", "disable", ward, "hello").strip() == f"{ward}: -"
    assert cli.plugins_of(ward) == {"hello": "disabled"}


def test_demo_is_idempotent(cli):
    first = cli.run("demo").strip()
    summary, *notes = first.splitlines()
    assert summary.startswith("official units: 3355 (0 new); demo ward current:")
    assert summary.endswith("; plugins: hello")
    assert notes[-1].strip().startswith("sign in at /auth/login as admin") and "(created admin" in notes[-1]
    again = cli.run("demo").strip().splitlines()
    assert again[0] == summary and "created" not in again[-1]  # nothing made twice
    demo_ward = summary.split("demo ward ")[1].split()[0]
    assert cli.plugins_of(demo_ward) == {"hello": "enabled"}
