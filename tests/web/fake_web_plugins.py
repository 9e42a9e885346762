"""Plugins made for the web console's tests, added to the installed ones (see conftest.py).

``tally`` contributes a donut figure, a navigation entry, a page and messages; ``broken`` fails in every
web hook, its dashboard after a failed SQL statement (which aborts the transaction on PostgreSQL).
"""

from pathlib import Path

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException
from sqlalchemy import text

from core.toolkit import PluginManifest, TenantRef, hookimpl
from core.web.contributions import Figure, NavEntry
from core.web.ui import render


def manifest(name: str) -> PluginManifest:
    return PluginManifest(name=name, version="1.0.0", title_vi=f"Phân hệ {name}", title_en=f"Plugin {name}")


@get("/")
async def tally_page(request: Request) -> Response:
    return await render(request, "tally/page.html")


@get("/secret")
async def tally_secret() -> None:
    raise PermissionDeniedException()


class Tally:
    manifest = manifest("tally")

    @hookimpl
    def wardhub_routes(self):
        return [tally_page, tally_secret]

    @hookimpl
    def wardhub_templates(self):
        return Path(__file__).parent / "fake_templates" / "tally"

    @hookimpl
    def wardhub_messages(self):
        return {"tally.page.heading": ("Kiểm đếm", "Tally")}

    @hookimpl
    def wardhub_navigation(self, tenant: TenantRef, lang: str):
        return [NavEntry(label=("Kiểm đếm", "Tally"), url="", order=60)]

    @hookimpl
    async def wardhub_dashboard(self, tenant: TenantRef, session, lang: str):
        value = await session.scalar(text("SELECT 12345"))  # fails if an earlier plugin broke the transaction
        return [Figure(
            title=("Hộ theo loại", "Households by kind"), value=value, chart="donut",
            series=[(("Thường trú", "Permanent"), 7), (("Tạm trú", "Temporary"), 4), ("<KT3 & co>", 1)],
        )]


class Broken:
    manifest = manifest("broken")

    @hookimpl
    def wardhub_navigation(self, tenant: TenantRef, lang: str):
        raise RuntimeError("navigation exploded")

    @hookimpl
    async def wardhub_dashboard(self, tenant: TenantRef, session, lang: str):
        await session.execute(text("SELECT no_such_column FROM no_such_table"))
