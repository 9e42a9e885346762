"""Alembic environment: runs on the connection that :func:`core.db.migrate.upgrade` hands over."""

from alembic import context

from core.db.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `wardhub db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
