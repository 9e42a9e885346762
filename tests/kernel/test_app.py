"""The app: liveness, readiness, request ids, structured logs, and no stack trace for clients."""

import json
import os

import pytest
from litestar.testing import AsyncTestClient

from core.app import create_app
from core.testing import make_settings


async def test_health(client):
    response = await client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_ready_reports_database_migrations_and_plugins(client):
    response = await client.get("/ready")
    body = response.json()
    assert response.status_code == 200, body
    assert (body["status"], body["database"], body["migrations"]) == ("ready", "ok", "current")
    assert "hello" in body["plugins"]


async def test_ready_checks_redis_when_it_is_configured(settings):
    url = os.environ.get("WARDHUB_TEST_REDIS", "redis://127.0.0.1:6379/0")
    async with AsyncTestClient(app=create_app(settings.with_(redis_url=url))) as client:
        body = (await client.get("/ready")).json()
    assert (body["status"], body["redis"]) == ("ready", "ok"), body


@pytest.mark.sqlite_only
async def test_ready_is_503_while_migrations_are_pending(tmp_path, backend):
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", None, ("hello",))
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/ready")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


@pytest.mark.plugins("hello")
async def test_unexpected_error_is_500_without_internals(client, make_tenant):
    ward = await make_tenant()
    response = await client.get(f"/t/{ward.key}/hello/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "INTERNAL" and error["request_id"] == response.headers["x-request-id"]
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "RuntimeError" not in response.text


async def test_request_id_is_echoed_or_made(client):
    given = await client.get("/health", headers={"X-Request-ID": "abcdef0123456789"})
    assert given.headers["x-request-id"] == "abcdef0123456789"
    made = await client.get("/health", headers={"X-Request-ID": "<script>"})
    assert len(made.headers["x-request-id"]) == 32 and made.headers["x-request-id"] != "<script>"


async def test_unknown_route_and_bad_method_are_localized_4xx(client):
    missing = await client.get("/no/such/page", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "Not found"
    assert (await client.get("/no/such/page")).json()["error"]["message"] == "Không tìm thấy"
    wrong = await client.delete("/health")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "BAD_USER_INPUT"


@pytest.mark.plugins("hello")
async def test_production_logs_are_json_with_request_context(settings, make_tenant, make_token, capsys):
    ward = await make_tenant()
    _, token = await make_token(ward)
    app = create_app(settings.with_(log_format="json", log_level="INFO", environment="production"))
    async with AsyncTestClient(app=app) as client:
        await client.get(f"/t/{ward.key}/hello/greetings",
                         headers={"X-Request-ID": "req-1234567890", "Authorization": f"Bearer {token}"})
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    request_lines = [line for line in lines if line.get("event") == "request"]
    assert request_lines, lines
    line = request_lines[-1]
    assert line["request_id"] == "req-1234567890" and line["status"] == 200
    assert line["path"] == f"/t/{ward.key}/hello/greetings" and line["tenant"] == ward.key
    assert line["level"] == "info" and "timestamp" in line


async def test_prometheus_metrics(client):
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "wardhub_requests_total" in response.text and 'path="/health"' in response.text
