"""A real ``policy-qa serve`` process on a free loopback port, for the benchmark and the tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen
    log: Path
    env: dict[str, str]

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as a process manager would send; the exit code (killed if it hangs)."""
        return terminate(self.process, timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def memory(self) -> dict[int, dict[str, int]]:
        """Resident memory in KiB of the server and each worker process, by pid.

        ``VmRSS`` counts the shared libraries' pages (torch alone is a few hundred MB),
        which several workers share; ``RssAnon`` is what each process adds on its own.
        """
        return {pid: found for pid in [self.process.pid, *_descendants(self.process.pid)]
                if (found := _memory_kib(pid))}

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server and its workers."""
        return sum(_cpu_seconds(pid) for pid in [self.process.pid, *_descendants(self.process.pid)])

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _memory_kib(pid: int) -> dict[str, int]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # the process exited between listing and reading
        return {}
    fields = dict(line.split(":", 1) for line in lines if ":" in line)
    return {name: int(fields[name].split()[0]) for name in ("VmRSS", "RssAnon", "RssFile") if name in fields}


def _stat_fields(pid: int) -> list[str]:
    # The command name may contain spaces and parentheses; the fields after the last ")" do not.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _cpu_seconds(pid: int) -> float:
    try:
        fields = _stat_fields(pid)
    except OSError:  # exited meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, in ticks


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat_fields(int(entry.name))[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, ppid in parents.items() if ppid in frontier]
        found.extend(children)
        frontier = children
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_command() -> list[str]:
    """The ``policy-qa`` script beside this interpreter (the project's virtualenv)."""
    script = Path(sys.executable).with_name("policy-qa")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cli"]


def start(env: Mapping[str, str], workers: int = 1, timeout: float = 300.0,
          extra_args: tuple[str, ...] = ()) -> ServerProcess:
    """Start ``policy-qa serve`` with ``env`` (the full environment) and wait until it is healthy."""
    port = free_port()
    fd, name = tempfile.mkstemp(prefix="pqa-server-", suffix=".log")
    with os.fdopen(fd, "wb") as out:
        process = subprocess.Popen([*cli_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
                                    "--workers", str(workers), *extra_args],
                                   env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=str(REPO))
    server = ServerProcess(f"http://127.0.0.1:{port}", process, Path(name), dict(env))
    try:
        _wait_healthy(server, timeout, streak=1 if workers == 1 else 8 * workers)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_healthy(server: ServerProcess, timeout: float, streak: int) -> None:
    """Wait for ``streak`` healthy answers in a row.

    Each worker loads its own index and answers 503 until then; each check is a new
    connection, which the kernel hands to any worker, so a long streak means all are up.
    """
    deadline, healthy = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"policy-qa serve exited with {server.process.returncode}:\n{server.output()}")
        try:
            healthy = healthy + 1 if httpx.get(f"{server.url}/api/health", timeout=2).status_code == 200 else 0
        except httpx.HTTPError:
            healthy = 0
        if healthy >= streak:
            return
        time.sleep(0.25 if healthy == 0 else 0.02)
    raise RuntimeError(f"policy-qa serve not healthy after {timeout:.0f}s:\n{server.output()}")


def terminate(process: subprocess.Popen, timeout: float = 30.0) -> int:
    """SIGTERM, then SIGKILL if the process has not exited within ``timeout``; its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
