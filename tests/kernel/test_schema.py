"""Every tenant-owned table is keyed by tenant: in the models and in the migrated database."""

from sqlalchemy import inspect

from core.db.base import Base, tenant_owned_tables


def _check(table_name, pk_columns, foreign_keys, owned):
    problems = []
    if not pk_columns or pk_columns[0] != "tenant_id" or set(pk_columns) != {"tenant_id", "id"}:
        problems.append(f"{table_name}: primary key is {pk_columns}, not (tenant_id, id)")
    for referred, columns, referred_columns in foreign_keys:
        if referred in owned and (columns[:1] != ["tenant_id"] or referred_columns[:1] != ["tenant_id"]):
            problems.append(f"{table_name}: foreign key {columns} -> {referred}{referred_columns} lacks tenant_id")
    return problems


def test_models_key_tenant_tables_by_tenant(plugin_manager):
    owned = {t.name for t in tenant_owned_tables()}
    assert owned, "plugins with tenant tables are loaded"
    problems = []
    for table in tenant_owned_tables():
        fks = [
            (fk.referred_table.name, [c.name for c in fk.columns], [e.column.name for e in fk.elements])
            for fk in table.foreign_key_constraints
        ]
        problems += _check(table.name, [c.name for c in table.primary_key.columns], fks, owned)
        assert not table.c.tenant_id.nullable
    assert problems == []


async def test_migrated_database_keys_tenant_tables_by_tenant(db, plugin_manager):
    owned = {t.name for t in tenant_owned_tables()}

    def inspect_all(conn):
        insp = inspect(conn)
        problems, seen = [], set(insp.get_table_names())
        for name in owned:
            assert name in seen, f"{name} is a model without a migration"
            pk = insp.get_pk_constraint(name)["constrained_columns"]
            fks = [(fk["referred_table"], fk["constrained_columns"], fk["referred_columns"])
                   for fk in insp.get_foreign_keys(name)]
            problems += _check(name, pk, fks, owned)
            tenant_col = next(c for c in insp.get_columns(name) if c["name"] == "tenant_id")
            if tenant_col["nullable"]:
                problems.append(f"{name}: tenant_id is nullable")
        return problems

    async with db.engine.connect() as conn:
        assert await conn.run_sync(inspect_all) == []
    assert set(Base.metadata.tables) >= owned
