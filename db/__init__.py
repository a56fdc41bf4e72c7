"""The service's database: accounts and API keys, the conversation log with its feedback, and the
report over it. SQLAlchemy 2 on SQLite (embedded default) or PostgreSQL, one schema migrated by Alembic.

It imports ``rag`` for the answer records only; the channels (api, ui, wecom, cli) import it.
"""
