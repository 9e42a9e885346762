"""The import page under ``/t/{tenant}/residents/web/import``: choose an ``.xlsx`` or ``.csv`` file in the
documented template, watch its upload progress and the check, and read the validation report (row, column,
message) when it ends; nothing is written unless every row is valid. "Check only" writes nothing at all.

With htmx the form posts in the background and the report replaces the result area (``import_report.html``);
without JavaScript the same form posts normally and the whole page comes back with the report.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

from core.toolkit import CSRF_HEADER, DbSession, render, requires
from plugins.residents import imports
from plugins.residents.pages import _base, _csrf
from plugins.residents.routes import CurrentTenant

IMPORT_WRITE = requires("residents.import:write")
MAX_BYTES = 20 * 1024 * 1024

MESSAGES: dict[str, tuple[str, str]] = {
    "residents.import.heading": ("Nhập nhân khẩu từ tệp", "Import persons from a file"),
    "residents.import.intro": ("Tệp .xlsx hoặc .csv theo mẫu; chỉ ghi khi mọi dòng đều hợp lệ.",
                               "An .xlsx or .csv file in the template; written only when every row is valid."),
    "residents.import.template": ("Tải tệp mẫu", "Download the template"),
    "residents.import.file": ("Tệp cần nhập", "File to import"),
    "residents.import.dry_run": ("Chỉ kiểm tra, không ghi", "Check only, write nothing"),
    "residents.import.submit": ("Nhập", "Import"),
    "residents.import.uploading": ("Đang tải tệp lên", "Uploading the file"),
    "residents.import.checking": ("Đang kiểm tra từng dòng…", "Checking every row…"),
    "residents.import.written": ("Đã nhập {rows} dòng: {households} hộ, {persons} nhân khẩu ({seconds} giây).",
                                 "Imported {rows} rows: {households} households, {persons} persons ({seconds} s)."),
    "residents.import.checked": ("Tệp hợp lệ: {rows} dòng, {households} hộ, {persons} nhân khẩu. Chưa ghi gì.",
                                 "The file is valid: {rows} rows, {households} households, {persons} persons. "
                                 "Nothing was written."),
    "residents.import.failed": ("{bad} dòng có lỗi trong {rows} dòng; chưa ghi dòng nào.",
                                "{bad} of {rows} rows have errors; nothing was written."),
    "residents.import.nav": ("Nhập từ tệp", "Import from a file"),
}


def _context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"base": _base(request), "csrf": _csrf(request), "csrf_header": CSRF_HEADER, "report": None,
            "problem": None, "dry_run": False, "bad_rows": 0, **extra}


@get("/web/import", guards=[IMPORT_WRITE])
async def import_page(request: Request) -> Response:
    return await render(request, "residents/import.html", _context(request))


@post("/web/import", guards=[IMPORT_WRITE])
async def import_submit(request: Request, db_session: DbSession, current_tenant: CurrentTenant) -> Response:
    """Check (and unless ``dry_run``, write) the uploaded file; answer the report, as a fragment for htmx."""
    form = await request.form()
    upload = form.get("file")
    dry_run = form.get("dry_run") in ("1", "on", "true")
    fragment = request.headers.get("hx-request") == "true"
    problem = None
    report = None
    if upload is None or not hasattr(upload, "read"):
        problem = ("Hãy chọn một tệp", "Choose a file")
    else:
        content = await upload.read()
        if not content:
            problem = ("Tệp trống", "The file is empty")
        elif len(content) > MAX_BYTES:
            problem = ("Tệp quá lớn (tối đa 20 MB)", "The file is too large (20 MB at most)")
        else:
            report = await imports.import_file(db_session, current_tenant.tenant.id, content,
                                               upload.filename or "", dry_run=dry_run)
            if not report.ok:
                await db_session.rollback()
    status = 400 if problem or (report is not None and not report.ok) else 200
    context = _context(request, report=report, problem=problem, dry_run=dry_run,
                       bad_rows=len({e.row for e in report.errors}) if report else 0)
    name = "residents/import_report.html" if fragment else "residents/import.html"
    # htmx swaps only 2xx answers by default: a refused file is still the report to show
    return await render(request, name, context, status_code=200 if fragment else status)


IMPORT_PAGES = [import_page, import_submit]
