"""Real databases for the db, auth and log tests: a SQLite file, and a PostgreSQL server the tests start
themselves in a temporary folder with Debian's initdb and pg_ctl.

PostgreSQL refuses to run as root, so under root (CI, `make test`) its commands run as the
unprivileged ``nobody`` through ``runuser``, in a folder handed over to that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import make_engine, upgrade

from server_support import free_port

PG_USER = "nobody"


def pg_bin() -> Path:
    """The newest Debian PostgreSQL's bin folder (``make test`` installs the postgresql package)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        pytest.fail("PostgreSQL is not installed: run `make test` or `apt-get install postgresql`")
    return found[-1].parent


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """One throw-away cluster on 127.0.0.1; ``stop`` and ``start`` again to play a database outage."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="policy-qa-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.bin = pg_bin()
        if os.geteuid() == 0:
            user = pwd.getpwnam(PG_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(_as_owner([str(self.bin / tool), *args]), capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{tool} failed: {done.stdout}\n{done.stderr}"

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        """A fresh database in this cluster; its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def remove(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    server = Postgres()
    yield server
    server.remove()


_databases = iter(range(1, 1_000_000))


def fresh_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'policy-qa.db'}"
    return request.getfixturevalue("postgres").create_database(f"t{next(_databases)}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database(request, tmp_path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file, then (slow) a new database on the test PostgreSQL."""
    engine = make_engine(fresh_url(request.param, request, tmp_path))
    upgrade(engine)
    yield engine
    engine.dispose()


def answer(question: str, found: bool = True, chunks: tuple[tuple[str, str], ...] = (("c1", "doc-a"),)):
    """An Answer as the answer stage returns it, citing ``chunks`` (chunk id, document id) when found."""
    from rag.types import Answer, Chunk, Citation

    citations = tuple(Citation(i + 1, Chunk(cid, "《某措施》", None, "（一）", None, "原文", (), ((0, 2),), did), 0.9)
                      for i, (cid, did) in enumerate(chunks)) if found else ()
    return Answer(question, "摘要", ("一句。[1]",) if found else (), citations, found,
                  "retrieval" if found else "refusal")


def wait_until(predicate, timeout: float = 30.0, step: float = 0.05) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
