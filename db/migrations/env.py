"""Alembic's entry: migrate the engine that db.engine.upgrade hands over."""

from alembic import context

from db.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
