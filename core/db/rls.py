"""PostgreSQL row-level security for tenant-owned tables, and the application role.

Each tenant-owned table gets ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and one policy comparing
``tenant_id`` with the transaction's ``app.tenant_ids`` setting (set by :mod:`core.db.scoping`). The app
connects as a role that owns no table and has no ``BYPASSRLS``, so it can neither switch the policies off
nor see rows outside the setting, even with raw SQL.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

TENANT_IDS_FUNCTION = """
CREATE OR REPLACE FUNCTION wardhub_tenant_ids() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT COALESCE(string_to_array(NULLIF(current_setting('app.tenant_ids', true), ''), ',')::uuid[],
                  '{}'::uuid[])
$$
"""

APPEND_ONLY = ("audit_log",)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# ``(SELECT …)`` makes the set an InitPlan, computed once per statement: called per row, parsing the setting
# cost 30 s for 1,000,000 rows over 150 wards (0.36 s this way).
POLICY_CHECK = "tenant_id = ANY ((SELECT wardhub_tenant_ids())::uuid[])"


def enable_statements(table: str) -> list[str]:
    if not _IDENT.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_isolation ON {table}",
        f"CREATE POLICY tenant_isolation ON {table} USING ({POLICY_CHECK}) WITH CHECK ({POLICY_CHECK})",
    ]


def enable_rls(op, table: str) -> None:
    """Call from a migration right after creating a tenant-owned table (a no-op on SQLite)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in enable_statements(table):
        op.execute(statement)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_app_role(conn: Connection, app_url: str, admin_url: str) -> str | None:
    """Create the application role named in ``app_url`` (if it differs from the owner) and grant it DML.

    Returns the role name, or None when the app connects as the owner itself.
    """
    app, admin = make_url(app_url), make_url(admin_url)
    if not app.username or app.username == admin.username:
        return None
    role = app.username
    if not _IDENT.match(role):
        raise ValueError(f"application role name must be a plain identifier: {role!r}")
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
    password = f" PASSWORD {_literal(app.password)}" if app.password else ""
    verb = "ALTER" if exists else "CREATE"
    conn.execute(text(f"{verb} ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE{password}"))
    database = conn.execute(text("SELECT current_database()")).scalar_one()
    conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {role}'))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"))
    for table in APPEND_ONLY:
        conn.execute(text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    conn.execute(text(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}"))
    return role
