"""Milvus Lite 2.5 as a TCP server, for the tests and the scale run.

A Lite database file can be opened by one process only. The ``milvus`` binary inside the
``milvus-lite`` wheel serves it over gRPC when given an address, so several ``policy-qa``
workers (and hosts) reach it at ``http://127.0.0.1:<port>`` as they would a Milvus server::

    LD_LIBRARY_PATH=$SITE/milvus_lite/lib $SITE/milvus_lite/lib/milvus /srv/pqa/milvus.db 127.0.0.1:19530 ERROR
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from milvus_lite.server import BIN_PATH

from eval.launcher import terminate


@dataclass
class LiteServer:
    """One ``milvus`` process serving ``db`` on 127.0.0.1:``port``; ``stop`` and ``start`` again at will."""

    db: Path
    port: int
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> LiteServer:
        env = {**os.environ, "LD_LIBRARY_PATH": BIN_PATH}
        self.process = subprocess.Popen([os.path.join(BIN_PATH, "milvus"), str(self.db), f"127.0.0.1:{self.port}",
                                         "ERROR"], env=env, cwd=str(self.db.parent), stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"milvus-lite exited with {self.process.returncode} serving {self.db}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"milvus-lite did not listen on port {self.port} within {timeout:.0f}s")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (it writes its data and exits), SIGKILL if it hangs."""
        if self.process is not None:
            terminate(self.process, timeout)
        self.process = None

    def rss_kib(self) -> int:
        """Resident memory of the server process."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def __enter__(self) -> LiteServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
