"""Every error becomes JSON ``{"error": {"code", "message", "fields"?, "request_id"}}`` in the client's
language. No stack trace or exception text reaches a client; unexpected errors are logged with one.

A browser (``Accept`` preferring ``text/html`` to JSON) gets the same error as an HTML page instead, in the
page's language (``?lang``, the ``lang`` cookie, then ``Accept-Language``), with the same status code;
API clients, which send ``application/json`` or ``*/*``, keep the JSON.
"""

from __future__ import annotations

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)

from core.errors import UserError, language
from core.web.i18n import request_language

log = structlog.get_logger("wardhub.errors")

GENERIC = {
    400: ("BAD_USER_INPUT", ("Yêu cầu không hợp lệ", "Bad request")),
    401: ("UNAUTHENTICATED", ("Cần đăng nhập", "Sign-in required")),
    403: ("FORBIDDEN", ("Không có quyền truy cập", "Forbidden")),
    404: ("NOT_FOUND", ("Không tìm thấy", "Not found")),
    405: ("BAD_USER_INPUT", ("Phương thức không được hỗ trợ", "Method not allowed")),
    413: ("BAD_USER_INPUT", ("Dữ liệu gửi lên quá lớn", "Request body too large")),
    429: ("RATE_LIMITED", ("Quá nhiều yêu cầu, hãy thử lại sau", "Too many requests, try again later")),
}
INTERNAL = ("Lỗi hệ thống; hãy báo mã yêu cầu cho quản trị viên",
            "Internal error; give the request id to an administrator")
UNAVAILABLE = ("Mất kết nối tới cơ sở dữ liệu; yêu cầu chưa được thực hiện, hãy thử lại",
               "The database connection was lost; nothing was done, please try again")


def wants_html(request: Request) -> bool:
    """Whether the client prefers an HTML page to JSON (a browser navigating), by its ``Accept`` header."""
    try:
        return request.accept.best_match(["application/json", "text/html"]) == "text/html"
    except Exception:  # a malformed Accept header: answer JSON
        return False


def _lang(request: Request) -> str:
    if wants_html(request):
        return request_language(request)
    return language(request.headers.get("accept-language"))


def _html_page(request: Request, status: int, body: dict[str, object]) -> Response | None:
    web = request.app.state.get("web")
    if web is None:
        return None
    try:
        return web.error_page(request, status, str(body["code"]), str(body["message"]))
    except Exception:  # the error page itself failed: the JSON answer still tells the client
        log.exception("error_page_failed", status=status)
        return None


def _respond(request: Request, status: int, body: dict[str, object]) -> Response:
    body["request_id"] = request.scope.get("state", {}).get("request_id")
    if wants_html(request):
        page = _html_page(request, status, body)
        if page is not None:
            return page
    return Response({"error": body}, status_code=status, media_type=MediaType.JSON)


def user_error_handler(request: Request, exc: UserError) -> Response:
    return _respond(request, exc.status, exc.render(_lang(request)))


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    lang = _lang(request)
    code, message = GENERIC.get(exc.status_code, ("BAD_USER_INPUT", ("Yêu cầu không hợp lệ", "Bad request")))
    body: dict[str, object] = {"code": code, "message": message[1] if lang == "en" else message[0]}
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        fields = {}
        for item in exc.extra:
            if isinstance(item, dict) and item.get("key"):
                fields[str(item["key"])] = "Giá trị không hợp lệ" if lang == "vi" else "Invalid value"
        if fields:
            body["fields"] = fields
    return _respond(request, exc.status_code, body)


OUT_OF_RANGE = ("Một giá trị số trong yêu cầu vượt quá giới hạn cho phép", "A number in the request is out of range")


def _overflow(exc: BaseException | None) -> bool:
    """An ``OverflowError`` in the chain: a number the database cannot take (``?offset=10**30``: SQLite raises it
    binding the value, asyncpg inside a ``DBAPIError``). The client sent it: a 400, not a 500."""
    for _ in range(8):
        if exc is None:
            return False
        if isinstance(exc, OverflowError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _connection_lost(exc: BaseException) -> bool:
    """The database connection broke under the request (a restart, a killed backend): nothing was committed,
    and the pool replaces the connection, so the client may simply try again."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    lang = _lang(request)
    if _connection_lost(exc):
        log.warning("database_connection_lost", path=request.url.path, error_type=type(exc).__name__)
        response = _respond(request, 503, {"code": "UNAVAILABLE", "message": UNAVAILABLE[1] if lang == "en"
                                           else UNAVAILABLE[0]})
        response.headers["Retry-After"] = "1"
        return response
    if _overflow(exc):
        log.warning("number_out_of_range", path=request.url.path, error_type=type(exc).__name__)
        return _respond(request, 400, {"code": "BAD_USER_INPUT", "message": OUT_OF_RANGE[1] if lang == "en"
                                       else OUT_OF_RANGE[0]})
    log.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return _respond(request, 500, {"code": "INTERNAL", "message": INTERNAL[1] if lang == "en" else INTERNAL[0]})


EXCEPTION_HANDLERS = {
    UserError: user_error_handler,
    HTTPException: http_error_handler,
    ValidationException: http_error_handler,
    NotFoundException: http_error_handler,
    NotAuthorizedException: http_error_handler,
    PermissionDeniedException: http_error_handler,
    MethodNotAllowedException: http_error_handler,
    Exception: internal_error_handler,
}
