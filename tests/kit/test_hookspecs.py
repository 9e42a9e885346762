"""The plugin contract keeps itself honest: every hookspec of ``core/plugins/hookspecs.py`` is documented (when it
is called, its arguments, what it returns), implemented by at least one installed plugin, and exercised by a test.

"Exercised" is checked mechanically: a test function names the hook, or the table below names the test that
drives it through the app (the hook runs behind an HTTP call, so the test shows its effect rather than its
name). A new hookspec fails here until it has both.
"""

from __future__ import annotations

import ast
import inspect
import re
from functools import cache
from pathlib import Path

import pytest

from core.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
TEST_ROOTS = ("tests", "plugins", "tenants", "examples")

# hook → tests that drive it through the app, and what they observe
THROUGH_THE_APP = {
    "wardhub_graphql": [  # the plugin's root field and mutations answer
        "examples/feedback/tests/test_feedback_graphql_and_isolation.py::test_graphql_file_assign_handle_and_read",
    ],
    "wardhub_navigation": [  # the ward's pages link to the plugin, the neighbour's do not
        "examples/feedback/tests/test_feedback_graphql_and_isolation.py::"
        "test_a_neighbour_without_feedback_sees_nothing_of_it",
    ],
    "wardhub_dashboard": [  # the plugin's figure on the ward's dashboard
        "examples/feedback/tests/test_feedback_handling.py::test_statistics_and_overdue_follow_the_ward_settings",
    ],
    "wardhub_demo_accounts": [  # the demo's resident and neighbourhood head sign in and see their rows
        "plugins/residents/tests/test_plugin_hooks.py::"
        "test_the_demo_gives_a_resident_and_a_neighbourhood_head_their_own_rows",
    ],
    "wardhub_tenant_merged": [  # feedback keeps one settings row after a merge
        "tests/kit/test_hooks_exercised.py::test_a_merge_runs_the_plugins_tenant_merged_hook",
    ],
}


def specs() -> dict[str, object]:
    return {name: fn for name, fn in vars(hookspecs).items()
            if name.startswith("wardhub_") and callable(fn) and hasattr(fn, "wardhub_spec")}


@cache
def project_tests() -> dict[str, str]:
    """``"path::name"`` → source of every test function of the project (not of the virtual environment)."""
    found: dict[str, str] = {}
    for top in TEST_ROOTS:
        for path in sorted((ROOT / top).rglob("test_*.py")):
            if ".venv" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
                    found[f"{path.relative_to(ROOT).as_posix()}::{node.name}"] = ast.get_source_segment(text, node)
    return found


def test_the_contract_has_hooks():
    assert len(specs()) >= 16, sorted(specs())


@pytest.mark.parametrize("name", sorted(specs()))
def test_every_hookspec_is_documented(name):
    fn = specs()[name]
    doc = inspect.getdoc(fn) or ""
    assert len(doc) >= 80, f"{name}: document when it is called, its arguments and its result"
    for parameter in inspect.signature(fn).parameters:
        assert re.search(rf"\b{parameter}\b", doc), f"{name}: the docstring never explains {parameter}"
    if str(inspect.signature(fn).return_annotation) != "None":
        assert "return" in doc.lower(), f"{name}: say what the hook returns and what core does with it"
    assert name in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8"), f"{name}: missing from docs/plugins.md"


@pytest.mark.parametrize("name", sorted(specs()))
def test_every_hookspec_is_exercised_by_a_test(name):
    naming = [test for test, source in project_tests().items() if name in source]
    driving = THROUGH_THE_APP.get(name, [])
    for test in driving:
        assert test in project_tests(), f"{name}: {test} does not exist any more"
    assert naming or driving, f"{name}: no test exercises it (name it in a test, or list one in THROUGH_THE_APP)"


@pytest.mark.parametrize("name", sorted(specs()))
def test_every_hookspec_has_an_implementation_the_suite_loads(name, plugin_manager):
    implementers = [impl.plugin_name for impl in getattr(plugin_manager.pm.hook, name).get_hookimpls()]
    assert implementers, f"{name}: no installed plugin implements it, so no test runs real code behind it"
