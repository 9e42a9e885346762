"""Property-based: whatever a caller asks through GraphQL with tenant A, nothing of tenant B comes back."""

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wardhub_hello.models import Greeting, Reply

from core.db.scoping import TenantScope

pytestmark = pytest.mark.plugins("hello")

FIELDS = st.lists(st.sampled_from(["id", "text"]), min_size=1, unique=True)


@st.composite
def queries(draw):
    """Documents over every root field the tenant can reach, with random paging and shapes."""
    parts = []
    if draw(st.booleans()):
        parts.append("tenant { id key parent { id key } }")
    if draw(st.booleans()):
        size = draw(st.integers(0, 20))
        parts.append(f"tenants(first: {size}) {{ totalCount nodes {{ id key }} }}")
    first = draw(st.integers(0, 30))
    reply_fields = " ".join(draw(FIELDS))
    node_fields = " ".join(draw(FIELDS))
    with_replies = f"replies {{ {reply_fields} }}" if draw(st.booleans()) else ""
    parts.append(
        f"hello {{ greetings(first: {first}) {{ totalCount pageInfo {{ endCursor }} "
        f"edges {{ cursor node {{ {node_fields} {with_replies} }} }} }} }}"
    )
    return "{ " + " ".join(parts) + " }"


@pytest.fixture
async def world(db, make_tenant):
    a, b = await make_tenant(), await make_tenant()
    secrets = {str(b.id), b.key}
    for tenant, prefix in ((a, "a"), (b, "b")):
        async with db.session(TenantScope.of(tenant.id)) as session:
            for i in range(12):
                greeting = Greeting(text=f"{prefix}-{i}-{uuid.uuid4().hex[:6]}")
                session.add(greeting)
                await session.flush()
                reply = Reply(greeting_id=greeting.id, text=f"{prefix}-reply-{i}")
                session.add(reply)
                await session.flush()
                if tenant is b:
                    secrets |= {str(greeting.id), greeting.text, str(reply.id), reply.text}
    return a, b, secrets


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=queries())
async def test_tenant_a_never_sees_tenant_b(client, world, query):
    a, _b, secrets = world
    response = await client.post("/graphql", json={"query": query}, headers={"X-Tenant": a.key})
    body = response.json()
    assert "errors" not in body, body
    text = json.dumps(body, ensure_ascii=False)
    leaked = [s for s in secrets if s in text]
    assert leaked == [], leaked
