"""``policy-qa db upgrade``: migrate the database (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import click
from sqlalchemy.exc import SQLAlchemyError

from cli.base import friendly, main
from rag.settings import get_settings


def open_database():
    """The configured database's engine, migrated to the newest schema; a one-line error when unreachable."""
    from db.engine import make_engine, upgrade

    engine = make_engine(get_settings().database)
    try:
        upgrade(engine)
    except SQLAlchemyError as err:
        raise click.ClickException(f"database {engine.url.render_as_string(hide_password=True)} unavailable: "
                                   f"{str(err).splitlines()[0][:200]}") from None
    return engine


@main.group()
def db() -> None:
    """The database of accounts and the conversation log (POLICY_QA_DATABASE_URL)."""


@db.command()
@friendly
def upgrade() -> None:
    """Create or migrate the schema to the newest revision (safe to run again)."""
    from db.engine import current_revision

    engine = open_database()
    click.echo(f"{engine.url.render_as_string(hide_password=True)}: schema at revision {current_revision(engine)}")
