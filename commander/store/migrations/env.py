"""Alembic environment: run with the connection handed over by commander.store.migrate."""

from alembic import context

from commander.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite"
)
with context.begin_transaction():
    context.run_migrations()
