"""``wardhub plugin new`` makes a package whose own tests pass once installed; ``wardhub plugin migration`` grows
its Alembic branch. The generated package is installed the way pip installs it, as far as discovery goes: its
folder on the path and a ``.dist-info`` holding its ``wardhub.plugins`` entry point (pip writes the same two
files), so the test needs no network and leaves the project's virtual environment untouched."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.cli import main
from core.db import migrate
from core.plugins import scaffold

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def install_entry_point(package: Path, site: Path, name: str) -> None:
    """What ``pip install`` records for discovery: the distribution's metadata and entry points."""
    info = site / f"wardhub_{name}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: wardhub-{name}\nVersion: 0.1.0\n")
    entry_points = tomllib.loads((package / "pyproject.toml").read_text())["project"]["entry-points"]
    group = entry_points["wardhub.plugins"]
    (info / "entry_points.txt").write_text(
        "[wardhub.plugins]\n" + "".join(f"{k} = {v}\n" for k, v in group.items()))


def run_generated_tests(package: Path, site: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "WARDHUB_")) or k == "WARDHUB_TEST_POSTGRES"}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(package)])
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=package,
                          env=env, capture_output=True, text=True, timeout=900)


def test_a_scaffolded_plugin_passes_its_own_tests_once_installed(tmp_path):
    result = CliRunner().invoke(main, ["plugin", "new", "kit_notes", "--dir", str(tmp_path / "src"),
                                       "--title-vi", "Sổ ghi chú", "--title-en", "Notebook"])
    assert result.exit_code == 0, result.output
    package = tmp_path / "src" / "kit_notes"
    made = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
    assert made == ["README.md", "pyproject.toml", "tests/access_matrix.py", "tests/test_kit_notes_plugin.py",
                    "wardhub_kit_notes/__init__.py",
                    "wardhub_kit_notes/migrations/kit_notes_0001_initial.py", "wardhub_kit_notes/models.py",
                    "wardhub_kit_notes/plugin.py", "wardhub_kit_notes/routes.py", "wardhub_kit_notes/schema.py",
                    "wardhub_kit_notes/services.py", "wardhub_kit_notes/templates/kit_notes/index.html"]
    project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["wardhub.plugins"] == {"kit_notes": "wardhub_kit_notes.plugin"}
    schema = (package / "wardhub_kit_notes/schema.py").read_text()
    assert '"kitNotesAddEntry"' in schema and "Connection[EntryNode]" in schema
    lint = subprocess.run([str(BIN / "ruff"), "check", "."], cwd=package, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    install_entry_point(package, tmp_path / "site", "kit_notes")
    tests = run_generated_tests(package, tmp_path / "site")
    summary = tests.stdout.strip().splitlines()[-1] if tests.stdout.strip() else ""
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    backends = 2 if os.environ.get("WARDHUB_TEST_POSTGRES") else 1
    # 8 tests per database, plus the access-matrix rows checked once
    assert f"{8 * backends + 1} passed" in summary and "failed" not in summary and "skipped" not in summary, summary


def test_plugin_migration_adds_revisions_at_the_head_of_the_branch(tmp_path):
    package = scaffold.new_plugin("kit_branch", tmp_path)
    folder = package / "wardhub_kit_branch" / "migrations"
    runner = CliRunner()
    first = runner.invoke(main, ["plugin", "migration", "kit_branch", "-m", "Thêm cột ghi chú", "--path", str(folder)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["plugins", "migration", "kit_branch", "-m", "index titles", "--path", str(folder)])
    assert second.exit_code == 0, second.output  # `plugins` and `plugin` are one group
    names = sorted(p.name for p in folder.glob("*.py"))
    assert names == ["kit_branch_0001_initial.py", "kit_branch_0002_them_cot_ghi_chu.py",
                     "kit_branch_0003_index_titles.py"]
    third = (folder / names[2]).read_text()
    assert 'revision = "kit_branch_0003"' in third and 'down_revision = "kit_branch_0002"' in third
    heads = migrate.heads([folder])
    assert "kit_branch_0003" in heads and not {"kit_branch_0001", "kit_branch_0002"} & heads  # one branch, one head
    lint = subprocess.run([str(BIN / "ruff"), "check", str(folder)], cwd=package, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["plugin", "new", "Bad-Name"], "is not a plugin name"),
    (["plugin", "new", "x"], "is not a plugin name"),
    (["plugin", "new", "tenants"], "reserved"),
    (["plugin", "new", "residents"], "a plugin named 'residents' is already installed"),
    (["plugin", "new", "ok_name", "--title-en", 'say "hi"'], "without quotes"),
    (["plugin", "migration", "no_such_plugin", "-m", "x"], "no installed plugin named 'no_such_plugin'"),
    (["plugin", "migration", "feedback", "-m", " "], "the message must be non-empty"),
])
def test_the_commands_refuse_clearly_and_write_nothing(tmp_path, args, message):
    result = CliRunner().invoke(main, [*args, *(["--dir", str(tmp_path)] if args[1] == "new" else [])])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not any(tmp_path.iterdir())


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(main, ["plugin", "new", "taken", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["keep.txt"]


def test_the_templates_ship_as_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = data["core.plugins"]
    shipped = {p for pattern in patterns for p in (ROOT / "core" / "plugins").glob(pattern) if p.is_file()}
    templates = {p for p in scaffold.TEMPLATES.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert templates and templates == shipped
