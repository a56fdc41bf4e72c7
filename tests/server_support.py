"""Real ``policy-qa serve`` processes on 127.0.0.1 for the API, UI, WeCom and fault tests.

A server is started once per distinct environment and shared by every test that asks
for the same one; all of them are stopped (SIGTERM) when the pytest process exits. The
index is built once per pytest process into a temporary folder by the real CLI.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from retrieval_support import REPO, cli_env, cli_path, run_cli

_lock = threading.RLock()
_servers: dict[tuple, "Server"] = {}
_index: dict[str, Path] = {}
START_TIMEOUT = 180.0


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    env: dict[str, str]

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shared_index() -> Path:
    """An index over the repository corpus, built once per pytest process by ``policy-qa build``."""
    with _lock:
        if "dir" not in _index:
            folder = Path(tempfile.mkdtemp(prefix="pqa-server-index-")) / "index"
            done = run_cli(["build", "--quiet"], cli_env(folder))
            assert done.returncode == 0, done.stderr
            _index["dir"] = folder
        return _index["dir"]


def launch(index_dir: Path, extra_args: tuple[str, ...] = (), wait: bool = True, **env: str) -> Server:
    """A new server process (not shared); the caller stops it."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="pqa-server-", suffix=".log")[1])
    full_env = cli_env(index_dir, **env)
    with log.open("wb") as out:
        process = subprocess.Popen([*cli_path(), "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args],
                                   env=full_env, stdout=out, stderr=subprocess.STDOUT, cwd=str(REPO))
    server = Server(f"http://127.0.0.1:{port}", process, log, full_env)
    if wait:
        wait_ready(server)
    return server


def wait_ready(server: Server, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"server exited with {server.process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    server.stop()
    raise AssertionError(f"server not ready after {timeout}s:\n{server.output()}")


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
