"""A realistic conversation log, and the policy gaps the dashboard finds in it.

    python -m eval.gap_log [--asks 1000] [--database-url URL]

Starts `policy-qa serve` (logging on) and asks the development questions (eval/questions/*.jsonl),
phrased the way staff open and close a chat message, ``--asks`` times over the JSON and the
OpenAI-compatible APIs. Feedback follows what a reader would see: 👎 with a comment when an
answer misses the gold wording (or answers an out-of-scope question), 👍 now and then when it
has it. Then it prints `policy-qa report`'s figures and the largest gap clusters.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import httpx

from db.engine import make_engine, upgrade
from db.gaps import cluster_gaps
from db.report import build_report
from eval import launcher, load
from eval.log_overhead import server_env
from rag.assistant import Assistant
from rag.settings import REPO_ROOT, Settings, get_settings

QUESTION_SETS = sorted((REPO_ROOT / "eval" / "questions").glob("*.jsonl"))


def questions() -> list[dict]:
    rows = [json.loads(line) for path in QUESTION_SETS for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [r for r in rows if not r.get("history")]  # follow-ups need the conversation they follow


def phrase(question: str, rng: random.Random) -> str:
    return f"{rng.choice(load.OPENERS)}{question}{rng.choice(load.CLOSERS)}"


def opinion(row: dict, body: dict, rng: random.Random) -> tuple[str, str | None] | None:
    """(rating, comment) a reader would leave on this answer, or None."""
    text = body["answer"] + "".join(c["text"] for c in body["citations"])
    if not row["answerable"]:
        return ("down", "答非所问，政策里没有这个") if body["found"] and rng.random() < 0.8 else None
    missed = [g for g in row["gold"] if g not in text]
    if body["found"] and missed and rng.random() < 0.6:
        return "down", f"没有提到：{missed[0]}"
    if body["found"] and not missed and rng.random() < 0.3:
        return "up", None
    return None


def ask(client: httpx.Client, row: dict, rng: random.Random) -> None:
    question = phrase(row["question"], rng)
    if rng.random() < 0.2:
        r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": question}]})
        r.raise_for_status()
        return
    r = client.post("/api/ask", json={"question": question})
    r.raise_for_status()
    body = r.json()
    rated = opinion(row, body, rng)
    if rated:
        client.post("/api/feedback", json={"answer_id": body["answer_id"], "rating": rated[0],
                                           "comment": rated[1]}).raise_for_status()


def generate(settings: Settings, asks: int, database_url: str, index_dir: Path, seed: int = 14) -> None:
    upgrade(make_engine(database_url))
    rng = random.Random(seed)
    pool = questions()
    server = launcher.start(server_env(settings, index_dir, POLICY_QA_DATABASE_URL=database_url))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for _ in range(asks):
                ask(client, rng.choice(pool), rng)
    finally:
        server.stop()  # SIGTERM: the log's queue is flushed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--asks", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    parser.add_argument("--index-dir", type=Path, default=None, help="default: POLICY_QA_INDEX_DIR")
    parser.add_argument("--clusters", type=int, default=12, help="how many gap clusters to print")
    args = parser.parse_args()
    settings = get_settings()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='policy-qa-gaplog-')) / 'log.db'}"
    generate(settings, args.asks, url, args.index_dir or settings.index_dir)
    report = build_report(make_engine(url))
    index_dir = args.index_dir or settings.index_dir
    assistant = Assistant.from_settings(settings.model_copy(update={"index_dir": index_dir}))
    clusters = cluster_gaps(report.gaps, assistant.embed)
    print(f"log: {url}")
    print(f"{report.questions} questions, {report.refused} refused ({report.refused_share:.1%}), "
          f"👍 {report.thumbs_up}, 👎 {report.thumbs_down}; {len(report.gaps)} distinct failed questions "
          f"in {len(clusters)} clusters")
    for c in clusters[:args.clusters]:
        print(f"{c.size:>4} asked ({c.refused} refused, {c.disliked} 👎): " + " ｜ ".join(c.examples[:3]))


if __name__ == "__main__":
    main()
