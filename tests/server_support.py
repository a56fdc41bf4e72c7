"""Real ``policy-qa serve`` processes on 127.0.0.1 for the API, UI, WeCom and fault tests.

A server is started once per distinct environment and shared by every test that asks
for the same one; all of them are stopped (SIGTERM) when the pytest process exits. The
index is built once per pytest process into a temporary folder by the real CLI. The
process itself is run by the benchmark's launcher (eval/launcher.py).
"""

from __future__ import annotations

import atexit
import tempfile
import threading
from pathlib import Path

from eval.launcher import ServerProcess as Server
from eval.launcher import free_port, start
from retrieval_support import cli_env, run_cli

__all__ = ["Server", "free_port", "launch", "shared_index", "shared_server"]

_lock = threading.RLock()
_servers: dict[tuple, Server] = {}
_index: dict[str, Path] = {}
START_TIMEOUT = 180.0


def shared_index() -> Path:
    """An index over the repository corpus, built once per pytest process by ``policy-qa build``."""
    with _lock:
        if "dir" not in _index:
            folder = Path(tempfile.mkdtemp(prefix="pqa-server-index-")) / "index"
            done = run_cli(["build", "--quiet"], cli_env(folder))
            assert done.returncode == 0, done.stderr
            _index["dir"] = folder
        return _index["dir"]


def launch(index_dir: Path, extra_args: tuple[str, ...] = (), workers: int = 1, **env: str) -> Server:
    """A new server process (not shared), healthy on return; the caller stops it."""
    return start(cli_env(index_dir, **env), workers, START_TIMEOUT, extra_args)


def shared_server(**env: str) -> Server:
    """The shared server for this environment (POLICY_QA_* overrides), started on first use."""
    key = tuple(sorted(env.items()))
    with _lock:
        server = _servers.get(key)
        if server is None or server.process.poll() is not None:
            server = launch(shared_index(), **env)
            _servers[key] = server
        return server


@atexit.register
def _stop_all() -> None:
    for server in _servers.values():
        server.stop()
