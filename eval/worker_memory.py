"""Resident memory of each `policy-qa serve` worker, FAISS index folder against Milvus.

``python -m eval.worker_memory [--workers 2]`` builds the configured corpus into a fresh index
folder and into a Milvus Lite TCP server, starts the service on each with the same settings,
asks the same questions, and prints VmRSS / RssAnon (MiB) per worker and of the Milvus server.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

import httpx

from eval import launcher
from eval.milvus_lite import LiteServer

QUESTIONS = ("科技型企业有哪些融资支持？", "省财政厅参与哪些措施？", "政府性融资担保机构的担保费率要降到多少？")


def _measure(env: dict[str, str], workers: int) -> list[dict]:
    done = subprocess.run([*launcher.cli_command(), "build", "--quiet"], env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)
    with launcher.start(env, workers=workers) as server:
        for _ in range(4 * workers):  # each new connection may land on either worker
            for q in QUESTIONS:
                httpx.post(f"{server.url}/api/ask", json={"question": q}, timeout=60).raise_for_status()
        memory = server.memory()
        return [{"pid": pid, "rss_mib": round(m["VmRSS"] / 1024), "anon_mib": round(m.get("RssAnon", 0) / 1024)}
                for pid, m in memory.items() if pid != server.process.pid]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    workers = parser.parse_args().workers
    base = {k: v for k, v in os.environ.items() if k not in ("POLICY_QA_STORE", "POLICY_QA_MILVUS_URI")}
    with tempfile.TemporaryDirectory() as tmp, LiteServer(Path(tmp) / "memory.db", launcher.free_port()).start() as lite:
        report = {"faiss": _measure({**base, "POLICY_QA_INDEX_DIR": f"{tmp}/index"}, workers),
                  "milvus": _measure({**base, "POLICY_QA_INDEX_DIR": f"{tmp}/unused", "POLICY_QA_STORE": "milvus",
                                      "POLICY_QA_MILVUS_URI": lite.uri}, workers),
                  "milvus_server_rss_mib": round(lite.rss_kib() / 1024)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
