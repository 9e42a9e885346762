"""The strawberry permission class, through a tiny schema of its own."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.permission import PermissionExtension

from core.access.enforcer import AccessGrant
from core.access.filters import RowFilters
from core.access.guards import RequestAccess
from core.auth.principal import Principal
from core.toolkit import Requires


@strawberry.type
class Query:
    @strawberry.field(extensions=[PermissionExtension([Requires("hello.greeting:read")])])
    def greetings(self) -> list[str]:
        return ["Xin chào"]

    @strawberry.field(extensions=[PermissionExtension([Requires("hello.greeting.author:read")])])
    def author(self) -> str:
        return "Nguyễn Văn A"

    @strawberry.field
    def open(self) -> str:
        return "ok"


@strawberry.type
class Mutation:
    @strawberry.mutation(extensions=[PermissionExtension([Requires("hello.greeting:write")])])
    def hello_add(self, text: str) -> str:
        return text


SCHEMA = strawberry.Schema(query=Query, mutation=Mutation)
USER = Principal("user", uuid.uuid4(), "someone", None)


def context(permissions: set[str], principal: Principal | None = USER, lang: str = "en") -> dict:
    grant = AccessGrant("t", frozenset({"resident"}) if permissions else frozenset(), frozenset(permissions))
    return {"access": RequestAccess(principal, None, grant, RowFilters()), "lang": lang}


async def test_granted_field_resolves():
    result = await SCHEMA.execute("{ greetings open }", context_value=context({"hello.greeting:read"}))
    assert result.errors is None and result.data == {"greetings": ["Xin chào"], "open": "ok"}


async def test_missing_permission_is_forbidden_and_only_that_field_fails():
    result = await SCHEMA.execute("{ greetings author }", context_value=context({"hello.greeting:read"}))
    assert result.data is None or result.data.get("author") is None
    (error,) = result.errors
    assert error.path == ["author"]
    assert error.extensions == {"code": "FORBIDDEN"}
    assert error.message == "You lack the permission hello.greeting.author:read"
    original = error.original_error
    while getattr(original, "original_error", None) is not None:
        original = original.original_error
    assert original.code == "FORBIDDEN"  # the gateway's error formatter localizes from this UserError


async def test_anonymous_caller_is_unauthenticated_in_the_callers_language():
    result = await SCHEMA.execute("{ greetings }", context_value=context(set(), principal=None, lang="vi"))
    (error,) = result.errors
    assert error.extensions == {"code": "UNAUTHENTICATED"} and error.message == "Cần đăng nhập"


async def test_mutation_is_guarded_too():
    denied = await SCHEMA.execute('mutation { helloAdd(text: "x") }', context_value=context({"hello.greeting:read"}))
    assert denied.errors[0].extensions == {"code": "FORBIDDEN"}
    allowed = await SCHEMA.execute('mutation { helloAdd(text: "x") }', context_value=context({"hello.greeting:write"}))
    assert allowed.errors is None and allowed.data == {"helloAdd": "x"}


async def test_works_with_the_gateways_context_shape():
    """The gateway's context carries the request's tenant (with its grant) as ``tenant``."""
    from core.db.scoping import TenantScope
    from core.plugins.context import TenantRef
    from core.web.tenancy import RequestTenant

    ref = TenantRef(uuid.uuid4(), "local", "w1", "ward", "Phường 1")
    grant = AccessGrant(str(ref.id), frozenset({"resident"}), frozenset({"hello.greeting:read"}))
    tenant = RequestTenant(ref, frozenset({"hello"}), TenantScope.of(ref.id), (str(ref.id),), grant, USER)

    class GatewayLike:
        lang = "en"

        def __init__(self, tenant):
            self.tenant = tenant

    ok = await SCHEMA.execute("{ greetings }", context_value=GatewayLike(tenant))
    assert ok.errors is None
    stranger = RequestTenant(ref, frozenset({"hello"}), TenantScope(), (str(ref.id),), AccessGrant(str(ref.id)), USER)
    denied = await SCHEMA.execute("{ greetings }", context_value=GatewayLike(stranger))
    assert denied.errors[0].extensions == {"code": "FORBIDDEN"}
