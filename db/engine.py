"""Connecting to the database and migrating it to the newest schema."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

log = logging.getLogger("policy_qa.db")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's folder is created, and SQLite runs in WAL mode so the
    log writer and the readers (dashboard, sign-in) do not block each other."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(connection, _record) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # the engine travels as an attribute, not as a URL option: configparser would choke on a '%' in a password
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> str:
    """Migrate to the newest schema (a no-op when it is there already); returns its revision."""
    command.upgrade(_config(engine), "head")
    return head_revision()


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ensure_schema(engine: Engine) -> bool:
    """Migrate when the schema is not the newest; False (logged) when the database cannot be reached, since
    answers go on without it: the log keeps its records queued until it can write them."""
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
        return True
    except SQLAlchemyError as err:
        log.error("database %s unavailable: %s", engine.url.render_as_string(hide_password=True),
                  str(err).splitlines()[0][:200])
        return False
