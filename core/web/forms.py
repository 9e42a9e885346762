"""Console forms as data: each form is its fields, the permission it needs and the service it calls; core serves
them at ``/web/{name}`` under the plugin and draws them with one template (``forms/form.html``).

A plugin lists its forms by name and mounts the two handlers :func:`form_pages` makes::

    FORMS = {"stop": Form(("Dừng trợ cấp", "Stop an allowance"), BENEFICIARY_WRITE, (
        Field("id", ("Đối tượng", "Beneficiary"), "hidden"),
        Field("end_month", ("Tháng hưởng cuối cùng", "Last month paid"), required=True)), _stop,
        subject=_beneficiary)}
    PAGES = [*form_pages("social_welfare", FORMS, BENEFICIARY_READ), index_page]

``GET /web/{name}`` shows the form (values from the query string, for the fields the form has, over its
``defaults``); ``POST`` calls ``submit(session, values, access)`` with the typed values (text stripped, files as
uploaded) and redirects (303) to the plugin's page it returns (``""`` the plugin's home). A :class:`UserError`
other than ``FORBIDDEN``/``UNAUTHENTICATED`` rolls the session back (a refused form writes nothing) and shows
the form again with its status (400, 404, 409), each field's error beside it in the page's language, the other
errors above it and what was typed kept. Errors named ``rows.<row>.<column>`` (an import) show as a table.

A form's ``subject`` names the record it acts on: ``await subject(session, values)`` gives the parts of the
line shown above the form (text, or ``(vi, en)`` pairs), and raises ``NOT_FOUND`` when the record is not in
the ward, before anything is submitted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.response import Redirect
from sqlalchemy.ext.asyncio import AsyncSession

from core.access.guards import RequestAccess, requires
from core.errors import UserError, bad_input, not_found
from core.web.ui import render

Label = tuple[str, str]
Submit = Callable[[AsyncSession, dict[str, Any], RequestAccess], Awaitable[str]]
Subject = Callable[[AsyncSession, dict[str, Any]], Awaitable[list[str | Label]]]
TEMPLATE = "forms/form.html"


@dataclass(frozen=True)
class Field:
    name: str
    label: Label
    kind: str = "text"  # text | date | number | select | hidden | file | textarea
    options: tuple[tuple[str, Label], ...] = ()
    required: bool = False
    sensitive: bool = False  # personal data: marked beside its label
    hint: Label | None = None


@dataclass(frozen=True)
class Form:
    title: Label
    permission: str
    fields: tuple[Field, ...]
    submit: Submit  # (session, values, access) → the plugin page to go to next
    subject: Subject | None = None  # the record the form acts on, shown above it
    rename: tuple[tuple[str, str], ...] = ()  # a service's field → the form's field its errors belong to
    defaults: Callable[[], dict[str, str]] | None = None  # values the empty form opens with

    @property
    def multipart(self) -> bool:
        return any(f.kind == "file" for f in self.fields)

    @property
    def names(self) -> set[str]:
        return {f.name for f in self.fields}


def plugin_base(request: Request, plugin: str) -> str:
    """The path of the plugin's home in this request's unit (``/t/current:26734/military_service``)."""
    return request.url.path.split(f"/{plugin}", 1)[0] + f"/{plugin}"


async def uploaded_file(request: Request) -> tuple[bytes, str]:
    """``(content, file name)`` of a file posted as the multipart field ``file`` (``BAD_USER_INPUT`` on ``file``
    when there is none) or as the raw body (its name in the ``filename`` query parameter)."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        upload = (await request.form()).get("file")
        if upload is None or not hasattr(upload, "read"):
            raise bad_input("file", "Hãy gửi tệp trong trường file", "Send the file in the field named file")
        return await upload.read(), upload.filename or ""
    return await request.body(), request.query_params.get("filename", "")


def import_report(errors: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``rows.<row>.<column>`` errors as rows of a table: row, column, message; in row order."""
    out = []
    for key, message in errors.items():
        parts = key.split(".", 2)
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
            out.append({"row": int(parts[1]), "column": parts[2], "message": message})
    return sorted(out, key=lambda r: (r["row"], r["column"]))


def form_pages(plugin: str, forms: Mapping[str, Form], permission: str) -> list[HTTPRouteHandler]:
    """``GET`` and ``POST /web/{name}`` for ``forms``: the caller needs ``permission`` to reach them, then the
    form's own permission; an unknown name is ``NOT_FOUND``."""

    def form_of(name: str) -> Form:
        form = forms.get(name)
        if form is None:
            raise not_found("Không có biểu mẫu này", "No such form")
        return form

    async def show(request: Request, session: AsyncSession, name: str, form: Form, values: dict[str, Any],
                   errors: dict[str, Any], message: Any = None, status_code: int = 200) -> Response:
        shown = {f.name for f in form.fields if f.kind != "hidden"}
        return await render(request, TEMPLATE, {
            "base": plugin_base(request, plugin), "name": name, "form": form, "values": values, "errors": errors,
            "message": message, "subject": await form.subject(session, values) if form.subject else None,
            "other_errors": [m for k, m in errors.items() if k not in shown], "report": import_report(errors),
        }, status_code=status_code)

    @get("/web/{name:str}", guards=[requires(permission)])
    async def form_page(request: Request, db_session: NamedDependency[AsyncSession],
                        access: NamedDependency[RequestAccess], name: FromPath[str]) -> Response:
        form = form_of(name)
        access.require(form.permission)
        values = dict(form.defaults()) if form.defaults else {}
        values.update((k, v) for k, v in request.query_params.items() if k in form.names)
        return await show(request, db_session, name, form, values, {})

    @post("/web/{name:str}", guards=[requires(permission)], status_code=303)
    async def form_submit(request: Request, db_session: NamedDependency[AsyncSession],
                          access: NamedDependency[RequestAccess], name: FromPath[str]) -> Response:
        form = form_of(name)
        access.require(form.permission)
        data = await request.form()
        values = {k: (v.strip() if isinstance(v, str) else v) for k, v in data.items() if k in form.names}
        try:
            if form.subject:
                await form.subject(db_session, values)
            target = await form.submit(db_session, values, access)
        except UserError as error:
            if error.code in ("FORBIDDEN", "UNAUTHENTICATED"):
                raise
            await db_session.rollback()  # a refused form writes nothing
            typed = {k: v for k, v in values.items() if isinstance(v, str)}
            renamed = dict(form.rename)
            errors = {renamed.get(k, k): m for k, m in error.fields.items()}
            return await show(request, db_session, name, form, typed, errors, error.message, error.status)
        return Redirect(f"{plugin_base(request, plugin)}/{target}", status_code=303)

    return [form_page, form_submit]
