"""docs/plugins.md, the plugin author's guide: its runnable samples run, its other Python samples parse, and it
names every hook and every core.testing fixture."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.plugins import hookspecs

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```$", re.S | re.M)
FIXTURES = ("backend", "settings", "plugin_manager", "app", "client", "anon_client", "client_as", "admin_client",
            "db", "scoped", "make_tenant", "make_user", "grant_role", "make_token", "sign_in")


def blocks(kind: str) -> list[str]:
    return [m["code"] for m in BLOCK.finditer(GUIDE.read_text(encoding="utf-8")) if m["info"].strip() == kind]


def test_the_guide_has_runnable_samples():
    assert len(blocks("python runnable")) >= 5


@pytest.mark.parametrize("index", range(len(blocks("python runnable"))))
def test_each_runnable_sample_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a sample that writes files writes them here
    code = blocks("python runnable")[index]
    exec(compile(code, f"docs/plugins.md[runnable {index}]", "exec"), {"__name__": f"docs_sample_{index}"})


def test_every_other_python_sample_parses():
    for code in blocks("python"):
        ast.parse(code)


def test_the_guide_names_every_hook_and_fixture():
    text = GUIDE.read_text(encoding="utf-8")
    hooks = [name for name in vars(hookspecs) if name.startswith("wardhub_")]
    assert [h for h in hooks if f"`{h}`" not in text] == []
    assert [f for f in FIXTURES if f"`{f}`" not in text] == []


def test_the_fixture_table_matches_core_testing():
    import core.testing

    for name in FIXTURES:
        assert callable(getattr(core.testing, name, None) or getattr(core.testing, f"{name}_fixture", None)), name
