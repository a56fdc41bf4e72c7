"""`policy-qa db upgrade`, `users …` and `report` as a user runs them, against a real SQLite file."""

from __future__ import annotations

import json

import pytest

from db.accounts import identify_key
from db.engine import current_revision, head_revision, make_engine

from retrieval_support import cli_env, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture()
def env(tmp_path):
    return cli_env(tmp_path / "index", POLICY_QA_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")


def ok(args, env, stdin=None):
    done = run_cli(args, env, stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_accounts_from_the_command_line(env, tmp_path):
    assert "schema at revision" in ok(["db", "upgrade"], env)
    assert current_revision(make_engine(env["POLICY_QA_DATABASE_URL"])) == head_revision()
    ok(["users", "add", "alice", "--role", "admin", "--password", "password-1"], env)
    ok(["users", "add", "bob"], env, stdin="prompted-pw\nprompted-pw\n")  # no --password: asked twice
    key = ok(["users", "key", "bob", "--name", "crm"], env).strip().splitlines()[-1]
    assert identify_key(make_engine(env["POLICY_QA_DATABASE_URL"]), key).name == "bob/crm"
    listing = ok(["users", "list"], env)
    assert "alice\tadmin" in listing and "bob\tstaff  keys: crm" in listing
    ok(["users", "reset-password", "bob", "--password", "new-password"], env)
    ok(["users", "remove", "alice"], env)
    assert "alice" not in ok(["users", "list"], env)
    report = json.loads(ok(["report", "--json", "--no-clusters", "--since", "2020-01-01"], env))
    assert report["questions"] == 0 and report["gap_clusters"] == []


@pytest.mark.parametrize("args,message", [
    (["users", "add", "x'; DROP TABLE users;--", "--password", "password-1"], "invalid user name"),
    (["users", "add", "carol", "--role", "root", "--password", "password-1"], "Invalid value for '--role'"),
    (["users", "add", "carol", "--password", "short"], "8-1024"),
    (["users", "remove", "nobody-here"], "no user named"),
    (["users", "key", "nobody-here", "--name", "crm"], "no user named"),
    (["report", "--since", "yesterday"], "Invalid value for '--since'"),
])
def test_bad_input_is_one_line_and_exit_code_not_zero(env, args, message):
    done = run_cli(args, env)
    assert done.returncode != 0 and message in done.stderr and "Traceback" not in done.stderr


def test_an_unreachable_database_is_one_line(tmp_path):
    env = cli_env(tmp_path / "index", POLICY_QA_DATABASE_URL="postgresql+psycopg://u:secret@127.0.0.1:1/db")
    done = run_cli(["users", "list"], env)
    assert done.returncode == 1 and "unavailable" in done.stderr and "secret" not in done.stderr
