"""One schema on both databases: the migrations build exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db.engine import current_revision, ensure_schema, head_revision, upgrade
from db.models import Base


def test_the_migrated_schema_matches_the_models(database):
    with database.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    assert set(inspect(database).get_table_names()) >= {"users", "api_keys", "answers", "feedback"}


def test_upgrading_again_changes_nothing(database):
    assert current_revision(database) == head_revision()
    assert upgrade(database) == head_revision() and ensure_schema(database)
