"""Real ``policy-qa serve`` processes on 127.0.0.1 for the API, UI, WeCom and fault tests.

The process itself is run by the benchmark's launcher (eval/launcher.py). The shared index
and the shared servers are session fixtures in conftest.py (``server_index``, ``servers``,
``live_server``); ``launch`` starts a private server that the caller stops.
"""

from __future__ import annotations

from pathlib import Path

from eval.launcher import ServerProcess as Server
from eval.launcher import free_port, start

from retrieval_support import cli_env

__all__ = ["Server", "free_port", "launch"]

START_TIMEOUT = 180.0


def launch(index_dir: Path, extra_args: tuple[str, ...] = (), workers: int = 1, **env: str) -> Server:
    """A new server process, healthy on return; the caller stops it."""
    return start(cli_env(index_dir, **env), workers, START_TIMEOUT, extra_args)
