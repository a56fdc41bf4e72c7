"""Users (staff, admin) with argon2 password hashes, their API keys, and signing in with lockout."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.models import LABEL_CHARS, NAME_CHARS, ApiKey, User

ROLES = ("staff", "admin")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 hashes any length; this only keeps one request from hashing megabytes
KEY_PREFIX = "pqa_"
# letters (Chinese included), digits and . _ @ - : what SSO user names and labels look like, nothing quotable
NAME = re.compile(r"[\w.@-]+")  # used with fullmatch: "$" would let a trailing newline through

_hasher = PasswordHasher()
# verified against when the user does not exist, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A name, role, password or label that cannot be used; the message says which and why."""


class SignInError(Exception):
    """Wrong name or password (the message does not say which)."""


class LockedOut(SignInError):
    def __init__(self, until: datetime):
        super().__init__(f"this account is locked after too many failed sign-ins until {until:%H:%M} UTC")
        self.until = until


@dataclass(frozen=True)
class Identity:
    """Who is asking: a user (by session, SSO header or one of their keys) or a configured key."""

    name: str
    role: str
    via: str  # session, sso, key

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    keys: tuple[str, ...]
    locked_until: datetime | None
    created_at: datetime


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)  # naive UTC: see db.models


def check_name(name: str, what: str = "user name", limit: int = NAME_CHARS) -> str:
    if not (1 <= len(name) <= limit) or not NAME.fullmatch(name):
        raise AccountError(f"invalid {what} {name[:80]!r}: use 1-{limit} letters, digits or . _ @ -")
    return name


def check_password(password: str) -> str:
    if not (MIN_PASSWORD <= len(password) <= MAX_PASSWORD):
        raise AccountError(f"a password needs {MIN_PASSWORD}-{MAX_PASSWORD} characters, not {len(password)}")
    return password


def _user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise AccountError(f"no user named {name[:80]!r}; see `policy-qa users list`")
    return user


def add_user(engine: Engine, name: str, role: str, password: str) -> None:
    check_name(name)
    if role not in ROLES:
        raise AccountError(f"invalid role {role!r}: choose one of {', '.join(ROLES)}")
    user = User(name=name, role=role, password_hash=_hasher.hash(check_password(password)),
                failed_logins=0, created_at=utcnow())
    try:
        with Session(engine) as session, session.begin():
            session.add(user)
    except IntegrityError:
        raise AccountError(f"a user named {name!r} exists already") from None


def remove_user(engine: Engine, name: str) -> None:
    with Session(engine) as session, session.begin():
        user = _user(session, name)
        session.execute(delete(ApiKey).where(ApiKey.user_id == user.id))
        session.delete(user)


def reset_password(engine: Engine, name: str, password: str) -> None:
    """A new password, and the lock (if any) lifted."""
    digest = _hasher.hash(check_password(password))
    with Session(engine) as session, session.begin():
        user = _user(session, name)
        user.password_hash, user.failed_logins, user.locked_until = digest, 0, None


def list_users(engine: Engine) -> list[UserInfo]:
    with Session(engine) as session:
        users = session.scalars(select(User).order_by(User.name)).all()
        labels: dict[int, list[str]] = {}
        for key in session.scalars(select(ApiKey).order_by(ApiKey.label)):
            labels.setdefault(key.user_id, []).append(key.label)
        return [UserInfo(u.name, u.role, tuple(labels.get(u.id, ())), u.locked_until, u.created_at) for u in users]


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(engine: Engine, name: str, label: str) -> str:
    """A new API key for user ``name``; only its hash is stored, so this is the one time it is seen."""
    check_name(label, "key label", LABEL_CHARS)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    try:
        with Session(engine) as session, session.begin():
            user = _user(session, name)
            session.add(ApiKey(user_id=user.id, label=label, key_hash=_digest(key), created_at=utcnow()))
    except IntegrityError:
        raise AccountError(f"{name!r} already has a key labelled {label!r}") from None
    return key


def identify_key(engine: Engine, key: str) -> Identity | None:
    """The owner of an API key (named ``user/label`` in the log), or None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    with Session(engine) as session:
        row = session.execute(select(User.name, User.role, ApiKey.label).join(ApiKey, ApiKey.user_id == User.id)
                              .where(ApiKey.key_hash == _digest(key))).first()
    return Identity(f"{row.name}/{row.label}", row.role, "key") if row else None


def _plausible(name: str) -> bool:
    """Could be a user name: anything else (a NUL byte, 10 KB, a quote) never reaches a query."""
    return 0 < len(name) <= NAME_CHARS and NAME.fullmatch(name) is not None


def find_user(engine: Engine, name: str) -> Identity | None:
    if not _plausible(name):
        return None
    with Session(engine) as session:
        row = session.execute(select(User.name, User.role).where(User.name == name)).first()
    return Identity(row.name, row.role, "session") if row else None


def sign_in(engine: Engine, name: str, password: str, max_attempts: int, lockout: timedelta) -> Identity:
    """The user, or :class:`SignInError` (:class:`LockedOut` after ``max_attempts`` failures in a row)."""
    now = utcnow()
    if not _plausible(name) or len(password) > MAX_PASSWORD:
        raise SignInError("wrong user name or password")
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.name == name))
        if user is not None and user.locked_until is not None and user.locked_until > now:
            raise LockedOut(user.locked_until)
        if user is not None and _verify(user.password_hash, password):
            user.failed_logins, user.locked_until = 0, None
            return Identity(user.name, user.role, "session")
        if user is None:
            _verify(_DUMMY_HASH, password)
            raise SignInError("wrong user name or password")
        user.failed_logins += 1
        locked_until = None
        if user.failed_logins >= max_attempts:
            user.failed_logins, user.locked_until = 0, now + lockout
            locked_until = user.locked_until
    # raised after the commit, so the failure (and the lock) is recorded
    raise LockedOut(locked_until) if locked_until else SignInError("wrong user name or password")


def _verify(digest: str, password: str) -> bool:
    try:
        return _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return False
