"""GraphQL errors with ``extensions.code`` (DESIGN §5), messages in the caller's language."""

from __future__ import annotations

from typing import Any

import structlog
from graphql import GraphQLError

from core.errors import UserError, pick

log = structlog.get_logger("wardhub.graphql")
INTERNAL = ("Lỗi hệ thống; hãy báo mã yêu cầu cho quản trị viên",
            "Internal error; give the request id to an administrator")
INVALID = ("Truy vấn không hợp lệ", "Invalid query")


def user_error(error: UserError, lang: str, path: list | None = None) -> dict[str, Any]:
    extensions: dict[str, Any] = {"code": error.code}
    if error.fields:
        extensions["fields"] = {name: pick(message, lang) for name, message in error.fields.items()}
    body: dict[str, Any] = {"message": pick(error.message, lang), "extensions": extensions}
    if path:
        body["path"] = path
    return body


def format_error(error: GraphQLError, lang: str) -> dict[str, Any]:
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    if isinstance(original, UserError):
        body = user_error(original, lang, error.path)
    elif original is None or isinstance(original, GraphQLError):
        # syntax, validation and limit errors, and input coercion (strawberry raises its own GraphQLError for
        # a variable a scalar cannot take, e.g. 42 for a UUID): graphql-core's text names the culprit, keep it
        code = (error.extensions or {}).get("code", "BAD_USER_INPUT")
        message = error.message if lang == "en" else f"{INVALID[0]}: {error.message}"
        body = {"message": message, "extensions": {"code": code}}
    else:
        log.error("graphql_resolver_error", path=error.path, error_type=type(original).__name__,
                  exc_info=(type(original), original, original.__traceback__))
        body = {"message": pick(INTERNAL, lang), "extensions": {"code": "INTERNAL"}, "path": error.path}
    if error.locations:
        body["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    return body
