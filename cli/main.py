"""The ``policy-qa`` command: one entry point for every stage and service.

The group lives in :mod:`cli.base`; importing the command modules here registers them, and
none of them imports this module back.
"""

from cli import bench, corpus, db, evaluate, library, report, search, serve, users, wecom  # noqa: F401  (each registers its commands)
from cli.base import main

__all__ = ["main"]
