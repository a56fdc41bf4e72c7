"""The tables. Times are naive UTC everywhere, so SQLite and PostgreSQL compare them alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAME_CHARS = 64
LABEL_CHARS = 64
COMMENT_CHARS = 1000


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_CHARS), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("user_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(LABEL_CHARS))
    # sha256 of a 256-bit random key: a slow hash would only slow every API call down
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AnswerRow(Base):
    __tablename__ = "answers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_name: Mapped[str | None] = mapped_column(String(NAME_CHARS + LABEL_CHARS + 1), nullable=True)
    question: Mapped[str | None] = mapped_column(Text, nullable=True)
    question_chars: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    found: Mapped[bool] = mapped_column(Boolean)
    chunk_ids: Mapped[str] = mapped_column(Text)  # JSON list
    document_ids: Mapped[str] = mapped_column(Text)  # JSON list
    index_version: Mapped[str] = mapped_column(String(64))
    latency_ms: Mapped[float] = mapped_column(Float)


class FeedbackRow(Base):
    __tablename__ = "feedback"
    # one opinion per person and answer: a later 👍/👎 or comment replaces the earlier one
    __table_args__ = (UniqueConstraint("answer_id", "user_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no foreign key: feedback may reach the queue in the same batch as its answer, or the
    # answer may have been purged by retention
    answer_id: Mapped[str] = mapped_column(String(32), index=True)
    user_name: Mapped[str] = mapped_column(String(NAME_CHARS + LABEL_CHARS + 1))
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
