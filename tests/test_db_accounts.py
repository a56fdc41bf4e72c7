"""Accounts on a real SQLite file and a real PostgreSQL: argon2 hashes, hashed keys, lockout, hostile input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.accounts import (
    AccountError,
    LockedOut,
    SignInError,
    add_user,
    create_key,
    find_user,
    identify_key,
    list_users,
    remove_user,
    reset_password,
    sign_in,
)
from db.models import ApiKey, User

PASSWORD = "correct horse 1"
LOCKOUT = timedelta(minutes=15)
HOSTILE = ["alice\n", "alice' OR '1'='1", "x'); DROP TABLE users;--", 'a" --', "名字;DELETE FROM users", "a" * 65, "",
           "a b", "a\x00b", "../etc/passwd"]


def test_a_user_signs_in_with_the_password_stored_only_as_an_argon2_hash(database):
    add_user(database, "alice", "admin", PASSWORD)
    with Session(database) as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "alice"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    identity = sign_in(database, "alice", PASSWORD, 5, LOCKOUT)
    assert (identity.name, identity.role, identity.is_admin) == ("alice", "admin", True)
    with pytest.raises(SignInError):
        sign_in(database, "alice", PASSWORD + "x", 5, LOCKOUT)
    with pytest.raises(SignInError):
        sign_in(database, "nobody-here", PASSWORD, 5, LOCKOUT)


def test_an_account_locks_after_the_allowed_failures_and_a_reset_unlocks_it(database):
    add_user(database, "bob", "staff", PASSWORD)
    for _ in range(2):
        with pytest.raises(SignInError) as failed:
            sign_in(database, "bob", "wrong-password", 3, LOCKOUT)
        assert not isinstance(failed.value, LockedOut)
    with pytest.raises(LockedOut) as locked:
        sign_in(database, "bob", "wrong-password", 3, LOCKOUT)
    assert "locked" in str(locked.value)
    with pytest.raises(LockedOut):  # even the right password, while locked
        sign_in(database, "bob", PASSWORD, 3, LOCKOUT)
    assert list_users(database)[0].locked_until is not None
    reset_password(database, "bob", "another password")
    assert sign_in(database, "bob", "another password", 3, LOCKOUT).name == "bob"


def test_keys_are_shown_once_stored_hashed_and_name_their_owner(database):
    add_user(database, "carol", "staff", PASSWORD)
    key = create_key(database, "carol", "crm")
    with Session(database) as session:
        stored = session.scalar(select(ApiKey.key_hash))
    assert key not in stored and len(stored) == 64
    assert identify_key(database, key).name == "carol/crm"
    assert identify_key(database, key + "x") is None
    with pytest.raises(AccountError, match="already has a key"):
        create_key(database, "carol", "crm")
    assert list_users(database)[0].keys == ("crm",)
    remove_user(database, "carol")
    assert identify_key(database, key) is None and find_user(database, "carol") is None


def test_duplicates_bad_roles_and_short_passwords_are_refused_with_the_reason(database):
    add_user(database, "dave", "staff", PASSWORD)
    with pytest.raises(AccountError, match="exists already"):
        add_user(database, "dave", "admin", PASSWORD)
    with pytest.raises(AccountError, match="role"):
        add_user(database, "erin", "root", PASSWORD)
    with pytest.raises(AccountError, match="8-1024"):
        add_user(database, "erin", "staff", "short")
    with pytest.raises(AccountError, match="no user"):
        remove_user(database, "erin")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_and_leave_the_table_intact(database, name):
    add_user(database, "frank", "staff", PASSWORD)
    with pytest.raises(AccountError):
        add_user(database, name, "staff", PASSWORD)
    with pytest.raises(SignInError):
        sign_in(database, name, PASSWORD, 5, LOCKOUT)
    with pytest.raises(AccountError):
        create_key(database, "frank", name)
    assert find_user(database, name) is None
    assert [u.name for u in list_users(database)] == ["frank"]


def test_hostile_and_oversized_passwords_are_only_ever_compared(database):
    add_user(database, "gina", "staff", "' OR ''='")
    assert sign_in(database, "gina", "' OR ''='", 5, LOCKOUT).name == "gina"
    with pytest.raises(SignInError):
        sign_in(database, "gina", "x" * 100_000, 5, LOCKOUT)
    with pytest.raises(AccountError):
        add_user(database, "hank", "staff", "x" * 100_000)
