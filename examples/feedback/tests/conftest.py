"""Fixtures of the feedback tests, on WardHub's core.testing (which gives ``scoped``, a session over a ward): a
ward with feedback on, a photo folder per test, and a filing helper. Plain helpers are in ``feedback_helpers``."""

from __future__ import annotations

import pytest
from feedback_helpers import REPORT, url


@pytest.fixture(autouse=True)
def photo_folder(tmp_path, monkeypatch):
    folder = tmp_path / "feedback-photos"
    monkeypatch.setenv("WARDHUB_FEEDBACK_PHOTOS", str(folder))
    return folder


@pytest.fixture
async def ward(make_tenant):
    return await make_tenant(plugins=("feedback",))


@pytest.fixture
async def file(anon_client, ward):
    """``await file(**overrides)`` → a report filed anonymously over HTTP (its JSON)."""
    async def factory(target=None, client=None, **overrides):
        response = await (client or anon_client).post(url(target or ward, "reports"), json={**REPORT, **overrides})
        assert response.status_code == 201, response.text
        return response.json()

    return factory
