"""``POST /graphql`` (and GraphiQL on ``GET /graphql``): tenant, schema, session, execution, errors, log."""

from __future__ import annotations

import html
import json
import time
from functools import lru_cache
from typing import Any

import structlog
from graphql import FieldNode, GraphQLSyntaxError, OperationDefinitionNode, parse
from litestar import MediaType, Request, Response, get, post
from sqlalchemy.exc import SQLAlchemyError

from core.db.scoping import SYSTEM
from core.errors import UserError, language
from core.graphql.context import GatewayContext, SerializedSession
from core.graphql.errors import format_error, user_error
from core.graphql.schema import SchemaRegistry
from core.web.auth import authenticated_guard
from core.web.tenancy import check_access, resolve_tenant

log = structlog.get_logger("wardhub.graphql")


def _bad_request(message: tuple[str, str], lang: str) -> Response:
    body = {"data": None, "errors": [user_error(UserError("BAD_USER_INPUT", message), lang)]}
    return Response(body, status_code=400, media_type=MediaType.JSON)


def _read_body(raw: bytes) -> dict[str, Any] | None:
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None
    if body.get("variables") is not None and not isinstance(body["variables"], dict):
        return None
    if body.get("operationName") is not None and not isinstance(body["operationName"], str):
        return None
    return body


def _root_fields(query: str, operation_name: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The operation's type and its top-level field names (empty when the document does not parse).

    Clients send the same few documents over and over: answers for documents of up to 20,000 characters
    are kept (512 of them), so the gateway does not parse each request's document a second time."""
    if len(query) <= 20_000:
        return _cached_root_fields(query, operation_name)
    return _parse_root_fields(query, operation_name)


def _parse_root_fields(query: str, operation_name: str | None) -> tuple[str | None, tuple[str, ...]]:
    try:
        document = parse(query, max_tokens=10_000)
    except GraphQLSyntaxError:
        return None, ()
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            names = tuple(s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode))
            return definition.operation.value, names
    return None, ()


_cached_root_fields = lru_cache(maxsize=512)(_parse_root_fields)


def _not_enabled(registry: SchemaRegistry, names: tuple[str, ...], enabled: frozenset[str]) -> list[str]:
    return sorted({registry.root_fields[n] for n in names if n in registry.root_fields} - enabled)


@post("/graphql", status_code=200, opt={"csrf_exempt": True})
async def graphql_endpoint(request: Request) -> Response:
    lang = language(request.headers.get("accept-language"))
    started = time.perf_counter()
    body = _read_body(await request.body())
    if body is None:
        return _bad_request(("Thân yêu cầu phải là JSON {query, variables?, operationName?}",
                             "The body must be JSON {query, variables?, operationName?}"), lang)
    query, operation = body["query"], body.get("operationName")
    registry: SchemaRegistry = request.app.state.graphql
    try:
        current = await resolve_tenant(request)
        if current is not None:
            check_access(request, current)
        await request.app.state.graphql_rate.hit(request)
    except UserError as exc:
        return Response({"data": None, "errors": [user_error(exc, lang)]}, status_code=exc.status,
                        media_type=MediaType.JSON)
    enabled = current.plugins if current else frozenset()
    kind, names = _root_fields(query, operation)
    missing = _not_enabled(registry, names, enabled)
    if missing:
        errors = [user_error(UserError("PLUGIN_NOT_ENABLED", (
            f"Đơn vị chưa bật phân hệ {p}", f"The plugin {p} is not enabled for this unit")), lang) for p in missing]
        _log(request, operation, started, errors)
        return Response({"data": None, "errors": errors}, media_type=MediaType.JSON)
    user = request.state.get("wardhub_principal")
    schema = registry.schema(enabled, introspection=user is not None)  # no introspection for anonymous callers
    db = request.app.state.db
    session = db.open(current.scope if current else SYSTEM)
    try:
        context = GatewayContext(request=request, session=SerializedSession(session), tenant=current, lang=lang,
                                 user=user)
        result = await schema.execute(query, variable_values=body.get("variables"), context_value=context,
                                      operation_name=operation)
        await context.session.finish()
        if result.errors and kind != "query":
            await session.rollback()  # a failed mutation changes nothing
        else:  # a query writes nothing but the audit entries of sensitive reads: keep those, errors or not
            try:
                await session.commit()
            except SQLAlchemyError:
                log.warning("graphql_query_commit_failed", operation=operation)
                await session.rollback()
            else:
                for callback in context.after_commit:
                    await callback()
    finally:
        await session.close()
    payload: dict[str, Any] = {"data": result.data}
    status = 200
    if result.errors:
        payload["errors"] = [format_error(e, lang) for e in result.errors]
        if result.data is None and all(e.path is None for e in result.errors):
            status = 400  # the document never ran (syntax, validation, limits): a request error, not a field's
    _log(request, operation, started, payload.get("errors", []))
    return Response(payload, status_code=status, media_type=MediaType.JSON)


def _log(request: Request, operation: str | None, started: float, errors: list[dict[str, Any]]) -> None:
    log.info(
        "graphql",
        operation=operation,
        ms=round((time.perf_counter() - started) * 1000, 2),
        codes=sorted({e.get("extensions", {}).get("code", "") for e in errors}) or None,
    )


GRAPHIQL = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>WardHub GraphQL</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/graphiql/graphiql.min.css">
<style>html,body,#graphiql{{height:100%;margin:0}}</style></head>
<body><div id="graphiql" data-tenant="{tenant}"></div>
<script src="/static/vendor/graphiql/react.production.min.js"></script>
<script src="/static/vendor/graphiql/react-dom.production.min.js"></script>
<script src="/static/vendor/graphiql/graphiql.min.js"></script>
<script src="/static/graphiql-boot.js"></script></body></html>"""


@get("/graphql", media_type=MediaType.HTML, guards=[authenticated_guard])
async def graphiql(request: Request) -> str:
    """GraphiQL for signed-in users, vendored (the platform runs on closed networks)."""
    lang = language(request.headers.get("accept-language"))
    tenant = html.escape(request.query_params.get("tenant", ""), quote=True)
    return GRAPHIQL.format(lang=lang, tenant=tenant)
