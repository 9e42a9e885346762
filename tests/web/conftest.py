"""Fixtures of the web console's tests: two extra plugins, a folder of tenant template overrides, and a
client allowed to see a tenant's pages."""

import pytest

from core.app import load_plugins
from core.plugins.manager import LoadedPlugin
from tests.web.fake_web_plugins import Broken, Tally

EXTRA = (Tally(), Broken())


@pytest.fixture(scope="session")
def overrides_dir(tmp_path_factory: pytest.TempPathFactory):
    """``WARDHUB_TEMPLATE_OVERRIDES`` of the tests: write ``<tenant key>/<name>`` into it (keys are unique)."""
    return tmp_path_factory.mktemp("template-overrides")


@pytest.fixture
def settings(settings, overrides_dir):
    return settings.with_(template_overrides=overrides_dir)


@pytest.fixture
def plugin_manager(settings):
    manager = load_plugins(settings)
    manager.add([LoadedPlugin(p.manifest, p, None) for p in EXTRA])
    return manager


@pytest.fixture
def viewer(request: pytest.FixtureRequest, client):
    """``await viewer(tenant)`` → a client that may see the tenant's pages.

    Signed in as a ward officer of the tenant where sign-in exists (the ``client_as`` fixture); the
    anonymous ``client`` before that.
    """

    async def factory(tenant):
        try:
            client_as = request.getfixturevalue("client_as")
        except pytest.FixtureLookupError:
            return client
        return await client_as("ward_officer", tenant)

    return factory
